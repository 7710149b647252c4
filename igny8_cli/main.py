"""``igny8-plugins``: the admin command line of the plugin distribution service.

Commands are thin: they gather input, call the admin API through ``AdminApi.call`` or S3 through
``sources``, and hand one result to ``Output``. Errors are raised as ``CliError`` and reported
once by the group, which is what keeps ``--json`` output a single document.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
from rich import box
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from igny8_cli.client import AdminApi
from igny8_cli.config import AuthMode, Target, resolve_target
from igny8_cli.errors import CliError
from igny8_cli.output import Output
from igny8_cli.sources import (
    PLATFORMS,
    derive_slug,
    new_upload_id,
    source_archive,
    source_key,
    source_metadata,
    upload_source,
)

#: Seconds between polls while waiting for the packager (an S3 event, a queue and a Lambda away).
POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class App:
    out: Output
    target: Target


class _Group(click.Group):
    """Reports every ``CliError`` (and, under --json, usage errors) in the chosen output format."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as error:
            _output(ctx).error(error)
            ctx.exit(1)
        except click.UsageError as error:
            out = _output(ctx)
            if not out.as_json:
                raise
            out.error(CliError("usage", error.format_message()))
            ctx.exit(error.exit_code)


def _output(ctx: click.Context) -> Output:
    # The group callback may itself have failed (e.g. an unreadable stack file) before setting obj.
    return ctx.obj.out if isinstance(ctx.obj, App) else Output(bool(ctx.params.get("as_json")))


@click.group(cls=_Group)
@click.option("--api", "api_url", envvar="IGNY8_API_URL", metavar="URL", help="Admin API base, e.g. .../api.")
@click.option("--s3-endpoint", metavar="URL", help="S3 endpoint (the local stack's moto server).")
@click.option("--bucket", metavar="NAME", help="Artifacts bucket that receives sources/.")
@click.option("--region", metavar="REGION", help="AWS region.")
@click.option(
    "--auth", type=click.Choice(["token", "iam"]), help="Admin auth [default: token if set, else iam]."
)
@click.option(
    "--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Admin token file."
)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON document on stdout.")
@click.pass_context
def cli(
    ctx: click.Context,
    *,
    api_url: str | None,
    s3_endpoint: str | None,
    bucket: str | None,
    region: str | None,
    auth: AuthMode | None,
    token_file: Path | None,
    as_json: bool,
) -> None:
    """Upload, release and inspect IGNY8 plugins.

    Without options it talks to the local stack described by .local/stack.json (`make run`).
    """
    target = resolve_target(
        api_url=api_url,
        s3_endpoint=s3_endpoint,
        bucket=bucket,
        region=region,
        auth=auth,
        token_file=token_file,
    )
    ctx.obj = App(Output(as_json), target)


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--slug", help="Plugin slug [default: the directory name, or the zip name minus its version].")
@click.option("--platform", type=click.Choice(PLATFORMS), default="wordpress", show_default=True)
@click.option("--version", help="Version to stamp [default: the one in the plugin header].")
@click.option("--changelog", help="Changelog text for this version.")
@click.option(
    "--release", "release_after", is_flag=True, help="Release the packaged version (implies --wait)."
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the packager's verdict.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=120,
    show_default=True,
    help="Seconds to wait for the packager.",
)
@click.pass_obj
def upload(
    app: App,
    *,
    path: Path,
    slug: str | None,
    platform: str,
    version: str | None,
    changelog: str | None,
    release_after: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Upload a plugin source (a directory or a .zip) for the packager."""
    slug = slug or derive_slug(path)
    key = source_key(platform, slug, version, new_upload_id())
    # Everything that can be refused is checked before a single byte goes to S3.
    metadata = source_metadata(version, changelog)
    bucket = app.target.require_bucket()
    api = app.target.admin_api() if wait or release_after else None
    if api is not None:
        # Bad credentials or a stopped stack should fail now, not after the upload.
        _packaging_outcome(api, slug, key)
    with source_archive(path) as archive, app.out.transfer(archive.name, archive.stat().st_size) as progress:
        upload_source(app.target.s3(), archive, bucket=bucket, key=key, metadata=metadata, progress=progress)
    app.out.note(f"uploaded {path} to s3://{bucket}/{key}")
    packaged: dict[str, Any] | None = None
    if api is not None:
        app.out.note("waiting for the packager...")
        packaged = _wait_for_package(api, slug, key, timeout)
        if release_after:
            packaged = _version_action(api, slug, packaged["version"], "release")
    document = {"slug": slug, "platform": platform, "bucket": bucket, "key": key, "version": packaged}
    render = None if packaged is None else partial(_render_version, slug=slug, version=packaged)
    app.out.result(document, render)


@cli.command()
@click.argument("slug")
@click.argument("version")
@click.pass_obj
def release(app: App, *, slug: str, version: str) -> None:
    """Release a packaged version on its channel."""
    released = _version_action(app.target.admin_api(), slug, version, "release")
    app.out.result({"version": released}, partial(_render_version, slug=slug, version=released))


@cli.command()
@click.argument("slug")
@click.pass_obj
def status(app: App, *, slug: str) -> None:
    """Show a plugin and its versions, newest first."""
    document = app.target.admin_api().call("GET", _plugin_path(slug))
    app.out.result(document, partial(_render_status, document=document))


def main() -> None:
    """Entry point of the ``igny8-plugins`` console script (see pyproject.toml)."""
    cli(prog_name="igny8-plugins")


def _plugin_path(slug: str) -> str:
    return f"/admin/plugins/{quote(slug, safe='')}"


def _version_action(api: AdminApi, slug: str, version: str, action: str) -> dict[str, Any]:
    """POST one of the version transitions (release, ...) and return the updated version."""
    path = f"{_plugin_path(slug)}/versions/{quote(version, safe='')}/{action}"
    updated: dict[str, Any] = api.call("POST", path, {})["version"]
    return updated


def _wait_for_package(api: AdminApi, slug: str, key: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (packaged := _packaging_outcome(api, slug, key)) is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CliError(
                "timeout",
                f"the packager has not finished {key} after {timeout:g} s; "
                f"check later with `igny8-plugins status {slug}`",
                details={"source_key": key},
            )
        time.sleep(min(POLL_INTERVAL, remaining))
    return packaged


def _packaging_outcome(api: AdminApi, slug: str, key: str) -> dict[str, Any] | None:
    """The version built from ``key``; None while the packager has not got to it yet."""
    try:
        document = api.call("GET", _plugin_path(slug))
    except CliError as error:
        # A first upload of a slug: the plugin only exists once the packager registered it.
        if error.status == 404 and error.code == "not_found":
            return None
        raise
    for version in document.get("versions", []):
        if version.get("source_key") == key and version.get("status") != "pending":
            if version.get("status") == "failed":
                raise _packaging_failed(key, version.get("failure_code"), version.get("failure_reason"))
            return dict(version)
    failure = document.get("plugin", {}).get("last_failure")
    if failure and failure.get("source_key") == key:
        raise _packaging_failed(key, failure.get("code"), failure.get("message"))
    return None


def _packaging_failed(key: str, code: str | None, reason: str | None) -> CliError:
    message = f"packaging failed: {reason or 'no reason given'}"
    return CliError(code or "failed", message, details={"source_key": key})


def _render_version(console: Console, *, slug: str, version: Mapping[str, Any]) -> None:
    parts = [f"{slug} {version.get('version')}: {version.get('status')}"]
    if version.get("channel"):
        parts.append(f"channel {version['channel']}")
    if version.get("file_size") is not None:
        parts.append(f"{version['file_size']:,} bytes")
    if version.get("sha256"):
        parts.append(f"sha256 {version['sha256']}")
    console.print("  ".join(parts), markup=False, soft_wrap=True)


def _render_status(console: Console, *, document: Mapping[str, Any]) -> None:
    plugin = document["plugin"]
    latest = ", ".join(f"{channel} {number}" for channel, number in (plugin.get("latest") or {}).items())
    header = f"{plugin.get('name')} ({plugin.get('slug')})  {plugin.get('platform')}  latest: {latest or '-'}"
    if plugin.get("is_active") is False:
        header += "  (inactive)"
    console.print(header, markup=False, soft_wrap=True)
    failure = plugin.get("last_failure")
    if failure:
        reason = f"{failure.get('message')} ({failure.get('code')})"
        console.print(
            f"last failure: {reason} from {failure.get('source_key')}", markup=False, soft_wrap=True
        )
    # Identifiers stay on one line; only the free-text failure reason wraps on narrow terminals.
    fixed = ("Version", "Status", "Channel", "Size", "SHA-256", "Released")
    columns = [*(Column(header, no_wrap=True) for header in fixed), Column("Failure")]
    table = Table(*columns, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for version in document.get("versions", []):
        sha256 = version.get("sha256")
        size = version.get("file_size")
        table.add_row(
            *(
                Text(str(value) if value is not None else "-")
                for value in (
                    version.get("version"),
                    version.get("status"),
                    version.get("channel"),
                    f"{size:,}" if size is not None else None,
                    sha256[:12] if sha256 else None,
                    _minutes(version.get("released_at")),
                    version.get("failure_reason"),
                )
            )
        )
    console.print(table)


def _minutes(timestamp: str | None) -> str | None:
    """ISO-8601 cut to minutes: enough to tell releases apart, and it leaves room for failure reasons."""
    return timestamp[:16].replace("T", " ") if timestamp else None
