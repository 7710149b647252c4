"""``igny8-plugins``: the admin command line of the plugin distribution service.

Commands are thin: they gather input, call the admin API through ``admin`` (over ``AdminApi.call``),
the public routes through ``verify``, or S3 through ``sources``, and hand one result to ``Output``
with a renderer from ``render``. Errors are raised as ``CliError`` and reported
once by the group, which is what keeps ``--json`` output a single document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from rich.console import Console

from chalicelib.logic.model import DEFAULT_CHANNEL
from igny8_cli import admin, render
from igny8_cli.client import AdminApi, PublicApi
from igny8_cli.context import App, Group
from igny8_cli.dlq import dlq
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
from igny8_cli.verify import FIRST_VERSION, Check, Report, check_update
from igny8_cli.verify import verify as verify_version

T = TypeVar("T")


@click.group(cls=Group)
@click.version_option(package_name="igny8-plugin-distribution", prog_name="igny8-plugins")
def cli() -> None:
    """Upload, release and inspect IGNY8 plugins.

    Without options it talks to the local stack described by .local/stack.json (`make run`).
    The options below may also be given after the command, e.g. `status SLUG --json`.
    """


def _version_target(command: Any) -> Any:
    """The SLUG VERSION arguments every per-version command takes."""
    return click.argument("slug")(click.argument("version")(command))


_timeout = click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=120,
    show_default=True,
    help="Seconds to wait for the packager.",
)
_PERCENT_HELP = "Share of sites offered it (0-100)."
_percent = click.option("--percent", type=click.IntRange(0, 100), help=_PERCENT_HELP)
_channel = click.option("--channel", help="Release channel, e.g. beta [default: stable].")
_slug = click.option(
    "--slug", help="Plugin slug [default: the directory name, or the zip name minus its version]."
)
_platform = click.option("--platform", type=click.Choice(PLATFORMS), default="wordpress", show_default=True)
_source = click.argument("path", type=click.Path(exists=True, path_type=Path))
_force_update = click.option("--force-update", is_flag=True, help="Mark the update mandatory for sites.")


class _SiteUrl(click.ParamType[str, Any]):
    """An http(s) URL with a host, checked before any request is sent."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in {"http", "https"}
            or not parts.hostname
            or text != text.strip()
        ):
            self.fail(
                f"{text!r} is not an http(s) URL with a host, e.g. https://shop.example.com", param, ctx
            )
        return text


_yes = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


@cli.command()
@_source
@_slug
@_platform
@click.option("--version", help="Version to stamp [default: the one in the plugin header].")
@click.option("--changelog", help="Changelog text for this version.")
@_channel
@click.option(
    "--release", "release_after", is_flag=True, help="Release the packaged version (implies --wait)."
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the packager's verdict.")
@_timeout
@click.pass_obj
def upload(
    app: App,
    *,
    path: Path,
    slug: str | None,
    platform: str,
    version: str | None,
    changelog: str | None,
    channel: str | None,
    release_after: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Upload a plugin source (a directory or a .zip) for the packager."""
    slug = slug or derive_slug(path)
    key = source_key(platform, slug, version, new_upload_id())
    # Everything that can be refused is checked before a single byte goes to S3.
    metadata = source_metadata(version, changelog, channel)
    bucket = app.target.require_bucket()
    api = app.target.admin_api() if wait or release_after else None
    if api is not None:
        # Bad credentials or a stopped stack should fail now, not after the upload.
        admin.packaging_outcome(api, slug, key)
    _put_source(app, path, bucket=bucket, key=key, metadata=metadata)
    packaged: dict[str, Any] | None = None
    if api is not None:
        packaged = _wait(app, api, slug, key, timeout)
        if release_after:
            packaged = admin.change_version(api, slug, packaged["version"], "release", {})["version"]
    document = {"slug": slug, "platform": platform, "bucket": bucket, "key": key, "version": packaged}
    app.out.result(
        document, None if packaged is None else partial(render.version, slug=slug, version=packaged)
    )


@cli.command()
@_version_target
@_force_update
@_percent
@_channel
@click.pass_obj
def release(
    app: App, *, slug: str, version: str, force_update: bool, percent: int | None, channel: str | None
) -> None:
    """Release a packaged version on its channel."""
    _change(
        app, slug, version, "release", force_update=force_update or None, percent=percent, channel=channel
    )


@cli.command("push-update")
@_version_target
@click.pass_obj
def push_update(app: App, *, slug: str, version: str) -> None:
    """Tell the installations to update now (status update_ready)."""
    _change(app, slug, version, "push-update")


@cli.command()
@_version_target
@click.pass_obj
def deprecate(app: App, *, slug: str, version: str) -> None:
    """Supersede a version: still downloadable, no longer offered."""
    _change(app, slug, version, "deprecate")


@cli.command()
@_version_target
@_yes
@click.pass_obj
def pull(app: App, *, slug: str, version: str, yes: bool) -> None:
    """Withdraw a bad version: every site stops being offered it, downloads answer 410."""
    if not (yes or app.out.as_json):
        click.confirm(f"Pull {slug} {version}? Every site stops being offered it at once.", abort=True)
    _change(app, slug, version, "pull")


@cli.command()
@_version_target
@click.option("--percent", type=click.IntRange(0, 100), required=True, help=_PERCENT_HELP)
@click.pass_obj
def rollout(app: App, *, slug: str, version: str, percent: int) -> None:
    """Offer a released version to a share of the sites."""
    _change(app, slug, version, None, rollout_percent=percent)


@cli.command()
@click.argument("slug")
@click.option("--to", "to", required=True, metavar="VERSION", help="The good version to go back to.")
@_force_update
@click.option(
    "--exclude-target-sites", is_flag=True, help="Do not offer it to sites already on --to or below."
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the new version.")
@_timeout
@click.pass_obj
def rollback(
    app: App,
    *,
    slug: str,
    to: str,
    force_update: bool,
    exclude_target_sites: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Re-release an older version's code as a new version, pulling the bad one."""
    body = _given(to=to, force_update=force_update or None, exclude_target_sites=exclude_target_sites or None)
    api = app.target.admin_api()
    answer = admin.rollback(api, slug, body)
    app.out.note(
        f"{slug} {to} comes back as {answer.get('version')}; pulled: {answer.get('pulled') or 'nothing'}"
    )
    if wait:
        answer = {**answer, "packaged": _wait(app, api, slug, answer["source_key"], timeout)}
    app.out.result(answer, partial(render.rollback, slug=slug, answer=answer))


@cli.command()
@click.argument("slug")
@click.option("--audit", "with_audit", is_flag=True, help="Also show the audit log, newest first.")
@click.pass_obj
def status(app: App, *, slug: str, with_audit: bool) -> None:
    """Show a plugin and its versions, newest first."""
    api = app.target.admin_api()
    document = api.call("GET", admin.plugin_path(slug))
    entries = admin.audit(api, slug) if with_audit else None
    if entries is not None:
        document = {**document, "audit": entries}
    app.out.result(document, partial(render.status, document=document, audit=entries))


@cli.command()
@_version_target
@click.pass_obj
def verify(app: App, *, slug: str, version: str) -> None:
    """Check what sites get for a version: download, digest, zip layout, header, offers, signature."""
    report = verify_version(app.target.admin_api(), app.target.public_api(), slug, version)
    app.out.result(report.as_json(), partial(_render_report, report=report))
    _exit_unless(report.ok)


@cli.command()
@_source
@click.option("--version", required=True, help="The fixed version (a PATCH increment).")
@click.option("--changelog", required=True, help='What it fixes, e.g. "SECURITY: ...".')
@_slug
@_platform
@_timeout
@click.pass_obj
def emergency(
    app: App, *, path: Path, version: str, changelog: str, slug: str | None, platform: str, timeout: float
) -> None:
    """Ship a critical fix now: upload, release forced, push to sites, verify (seed §8)."""
    slug = slug or derive_slug(path)
    key = source_key(platform, slug, version, new_upload_id())
    metadata = source_metadata(version, changelog)
    bucket = app.target.require_bucket()
    api, public = app.target.admin_api(), app.target.public_api()
    steps = _Steps(app.out)
    before = steps.run("status", lambda: admin.get_plugin(api, slug), _found)
    steps.run("upload", lambda: _put_source(app, path, bucket=bucket, key=key, metadata=metadata), _uploaded)
    packaged = steps.run("package", lambda: _wait(app, api, slug, key, timeout), _packaged)
    number, channel = str(packaged["version"]), str(packaged.get("channel") or DEFAULT_CHANNEL)
    force = {"force_update": True}
    steps.run("release", lambda: admin.change_version(api, slug, number, "release", force), _changed)
    steps.run("push-update", lambda: admin.change_version(api, slug, number, "push-update", {}), _changed)
    report = steps.run("verify", lambda: verify_version(api, public, slug, number), _verified)
    previous = admin.latest_on(before, channel) or FIRST_VERSION
    sites = steps.run("sites", lambda: _sites_view(public, slug, previous, channel), partial(_forced, number))
    document = {"slug": slug, "version": number, "ok": steps.ok, "source_key": key, "steps": steps.as_json()}
    document |= {"verify": report.as_json(), "sites": sites}
    app.out.result(document, partial(_render_emergency, report=report, steps=steps.done, sites=sites))
    _exit_unless(steps.ok)


@cli.group()
def sites() -> None:
    """Register the sites allowed to call the API, and manage their API keys."""


@sites.command("create")
@click.argument("name")
@click.option("--url", required=True, type=_SiteUrl(), help="The site's address (http or https).")
@click.option("--site-id", help="Choose the site id [default: the server picks one].")
@click.pass_obj
def sites_create(app: App, *, name: str, url: str, site_id: str | None) -> None:
    """Register a site; its API key is shown this once."""
    answer = admin.create_site(app.target.admin_api(), _given(name=name, url=url, site_id=site_id))
    app.out.result(answer, partial(_render_key, answer=answer, rotated=None))


@sites.command("list")
@click.pass_obj
def sites_list(app: App) -> None:
    """Every site, with its key prefix (never its key) and status."""
    document = admin.list_sites(app.target.admin_api())
    app.out.result(document, partial(render.site_list, sites=document["sites"]))


@sites.command("rotate")
@click.argument("site_id")
@click.pass_obj
def sites_rotate(app: App, *, site_id: str) -> None:
    """Issue a new API key; the previous one keeps working for a grace period."""
    answer = admin.site_action(app.target.admin_api(), site_id, "rotate")
    until = answer.get("previous_key_valid_until") or (answer.get("site") or {}).get(
        "previous_key_valid_until"
    )
    grace = f"the previous key keeps working until {until}" if until else "the previous key no longer works"
    app.out.result(answer, partial(_render_key, answer=answer, rotated=f"key rotated: {grace}"))


@sites.command("revoke")
@click.argument("site_id")
@_yes
@click.pass_obj
def sites_revoke(app: App, *, site_id: str, yes: bool) -> None:
    """Shut a site out: its API key stops working at once."""
    if not (yes or app.out.as_json):
        click.confirm(f"Revoke site {site_id}? Its API key stops working at once.", abort=True)
    answer = admin.site_action(app.target.admin_api(), site_id, "revoke")
    app.out.result(answer, partial(render.site, site=answer.get("site") or {}))


@cli.command()
@click.argument("slug")
@click.option(
    "--days", type=click.IntRange(min=1), default=30, show_default=True, help="How many days back to count."
)
@click.pass_obj
def stats(app: App, *, slug: str, days: int) -> None:
    """Downloads, installations, versions, updates, health and adoption of a plugin."""
    document = admin.stats(app.target.admin_api(), slug, days)
    app.out.result(document, partial(render.stats, document=document))


cli.add_command(dlq)


def main() -> None:
    """Entry point of the ``igny8-plugins`` console script (see pyproject.toml)."""
    cli(prog_name="igny8-plugins")


def _given(**fields: Any) -> dict[str, Any]:
    """A request body of the options the user gave (None means "not given")."""
    return {name: value for name, value in fields.items() if value is not None}


def _change(app: App, slug: str, version: str, action: str | None, **fields: Any) -> None:
    """One version transition (or, with ``action`` None, a PATCH) and its outcome."""
    answer = admin.change_version(app.target.admin_api(), slug, version, action, _given(**fields))
    app.out.result(answer, partial(render.version_change, slug=slug, answer=answer))


def _put_source(app: App, path: Path, *, bucket: str, key: str, metadata: dict[str, str]) -> None:
    with source_archive(path) as archive, app.out.transfer(archive.name, archive.stat().st_size) as progress:
        upload_source(app.target.s3(), archive, bucket=bucket, key=key, metadata=metadata, progress=progress)
    app.out.note(f"uploaded {path} to s3://{bucket}/{key}")


def _wait(app: App, api: AdminApi, slug: str, key: str, timeout: float) -> dict[str, Any]:
    app.out.note("waiting for the packager...")
    return admin.wait_for_package(api, slug, key, timeout)


class _Steps:
    """The steps of a multi-step command: each one noted as it ends, and named in its error."""

    def __init__(self, out: Output) -> None:
        self._out = out
        self.done: list[Check] = []

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.done)

    def run(self, name: str, action: Callable[[], T], outcome: Callable[[T], tuple[bool, str]]) -> T:
        try:
            result = action()
        except CliError as error:
            details = {**error.details, "step": name}
            message = f"{name} failed: {error.message}"
            raise CliError(error.code, message, status=error.status, details=details) from error
        step = Check(name, *outcome(result))
        self.done.append(step)
        self._out.note(f"{step.outcome} {name}: {step.detail}")
        return result

    def as_json(self) -> list[dict[str, Any]]:
        return [step.as_json() for step in self.done]


def _found(document: Mapping[str, Any] | None) -> tuple[bool, str]:
    return True, "a first release" if document is None else f"latest {render.latest(document['plugin'])}"


def _uploaded(_: None) -> tuple[bool, str]:
    return True, "source uploaded"


def _packaged(version: Mapping[str, Any]) -> tuple[bool, str]:
    return True, f"{version.get('version')} {version.get('status')}"


def _changed(answer: Mapping[str, Any]) -> tuple[bool, str]:
    version = answer["version"]
    detail = f"{version.get('status')}, force_update {version.get('force_update')}"
    if "installations_notified" in answer:
        detail += f", {answer['installations_notified']} installations notified"
    return True, detail


def _verified(report: Report) -> tuple[bool, str]:
    failures = [check.name for check in report.checks if not check.ok]
    return not failures, "all checks passed" if not failures else f"failed: {', '.join(failures)}"


def _sites_view(public: PublicApi, slug: str, current: str, channel: str) -> dict[str, Any]:
    """What a site on ``current`` is told: the fields that matter in an emergency."""
    answer = check_update(public, slug, current, channel)
    return {"current_version": current} | {
        key: answer.get(key) for key in ("update_available", "latest_version", "force_update")
    }


def _forced(version: str, sites: Mapping[str, Any]) -> tuple[bool, str]:
    ok = (
        sites["update_available"] is True
        and sites["latest_version"] == version
        and sites["force_update"] is True
    )
    return ok, ", ".join(f"{key} {value}" for key, value in sites.items())


def _exit_unless(ok: bool) -> None:
    if not ok:
        click.get_current_context().exit(1)


def _render_report(console: Console, *, report: Report) -> None:
    render.checks(console, slug=report.slug, version=report.version, items=report.checks)


def _render_emergency(
    console: Console, *, report: Report, steps: list[Check], sites: Mapping[str, Any]
) -> None:
    _render_report(console, report=report)
    render.sites(console, answer=sites)
    failed = ", ".join(step.name for step in steps if not step.ok)
    verdict = f"FAILED: {failed}" if failed else "released, forced and pushed to every site"
    render.line(console, f"emergency {report.slug} {report.version}: {verdict}")


def _render_key(console: Console, *, answer: Mapping[str, Any], rotated: str | None) -> None:
    render.new_key(
        console, site_doc=answer.get("site") or {}, api_key=str(answer.get("api_key")), rotated=rotated
    )
