"""What more than one command module needs: the options they share and the upload/wait/exit steps.

``releases``, ``emergency`` and ``sites`` each do one job, but an emergency is an upload, a wait
and a verify like the release commands, so those pieces live here once instead of being copied
into each module (or imported sideways from one command module into another).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from igny8_cli import admin, render
from igny8_cli.context import App
from igny8_cli.errors import CliError
from igny8_cli.sources import PLATFORMS, check_slug, declared_version, source_archive, upload_request
from igny8_cli.verify import Report

if TYPE_CHECKING:
    from igny8_cli.client import AdminApi

timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=120,
    show_default=True,
    help="Seconds to wait for the packager.",
)
slug_option = click.option(
    "--slug", help="Plugin slug [default: the directory name, or the zip name minus its version]."
)
platform_option = click.option(
    "--platform", type=click.Choice(PLATFORMS), default="wordpress", show_default=True
)
source_argument = click.argument("path", type=click.Path(exists=True, path_type=Path))
yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


def given(**fields: Any) -> dict[str, Any]:
    """A request body of the options the user gave (None means "not given")."""
    return {name: value for name, value in fields.items() if value is not None}


def upload(
    app: App,
    api: AdminApi,
    path: Path,
    *,
    slug: str,
    platform: str,
    version: str | None,
    changelog: str | None,
    channel: str | None,
) -> tuple[str, str]:
    """Archive ``path`` and upload it through the admin API's presigned PUT, with a progress bar;
    the key and version it went up as.

    The API writes a grant for the key naming the authenticated admin, so the packager audits the
    upload as that person and acts on what they asked. Everything the API or S3 would refuse is
    checked before it is asked, and the admin API is asked before a byte is sent."""
    from igny8_cli.client import put_file  # noqa: PLC0415 - requests, for the commands that send

    request = upload_request(version, changelog, channel)
    check_slug(slug)
    with source_archive(path) as archive:
        version = version or declared_version(archive, platform)
        _ensure_plugin(api, slug, platform)
        grant = admin.upload_grant(api, slug, version, request)
        key = str(grant["key"])
        with app.out.transfer(archive.name, archive.stat().st_size) as progress:
            put_file(str(grant["url"]), grant.get("headers") or {}, archive, progress)
    app.out.note(f"uploaded {path} as {slug} {version} to {key}")
    return key, version


def _ensure_plugin(api: AdminApi, slug: str, platform: str) -> None:
    """The API hands out upload URLs for registered plugins: register a new slug first."""
    document = admin.get_plugin(api, slug)
    if document is None:
        admin.create_plugin(api, slug, platform)
        return
    registered = (document.get("plugin") or {}).get("platform")
    if registered and registered != platform:
        raise CliError("platform_mismatch", f"{slug} is a {registered} plugin; pass --platform {registered}")


def wait_for_package(app: App, api: AdminApi, slug: str, key: str, timeout: float) -> dict[str, Any]:
    """The packager's verdict, after a note so a silent wait is not mistaken for a hang."""
    app.out.note("waiting for the packager...")
    return admin.wait_for_package(api, slug, key, timeout)


def exit_unless(ok: bool) -> None:
    """Exit 1 after the result was written, so scripts see a failed check without losing the report."""
    if not ok:
        click.get_current_context().exit(1)


def render_report(console: Console, *, report: Report) -> None:
    """A verify report as text: shared by ``verify`` and the last steps of ``emergency``."""
    render.checks(console, slug=report.slug, version=report.version, items=report.checks)
