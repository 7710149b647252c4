"""The commands that move a plugin's versions through their life, and the ones that read it.

``upload`` hands a source to the packager; ``release``, ``push-update``, ``deprecate``, ``pull``,
``rollout`` and ``rollback`` change what sites are offered; ``status``, ``verify`` and ``stats``
show where a plugin stands. They are plain commands, which ``main`` names in its ``COMMANDS`` and
loads on the ``cli`` group: importing the group here would make the two modules circular.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click

from igny8_cli import admin, render, rollouts, shared
from igny8_cli.context import App, Command
from igny8_cli.shared import (
    exit_unless,
    given,
    platform_option,
    render_report,
    slug_option,
    source_argument,
    timeout_option,
    wait_for_package,
    yes_option,
)
from igny8_cli.sources import derive_slug
from igny8_cli.verify import verify as verify_version


def _version_target(command: Any) -> Any:
    """The SLUG VERSION arguments every per-version command takes."""
    return click.argument("slug")(click.argument("version")(command))


class _Percent(click.ParamType[int | float, Any]):
    """A percentage to the hundredth (2.5), checked by the API's own rule before any request."""

    name = "PERCENT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | float:
        # The API's fields module (pydantic) is imported only when a percentage is given.
        from chalicelib.logic.fields import parse_percent  # noqa: PLC0415

        try:
            return parse_percent(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


_PERCENT_HELP = "Share of sites offered it, 0-100 to the hundredth (e.g. 2.5)."
_PERCENT = _Percent()
_percent = click.option("--percent", type=_PERCENT, help=_PERCENT_HELP)
_channel = click.option("--channel", help="Release channel, e.g. beta [default: stable].")
_force_update = click.option("--force-update", is_flag=True, help="Mark the update mandatory for sites.")


@click.command(cls=Command)
@source_argument
@slug_option
@platform_option
@click.option("--version", help="Version to stamp [default: the one in the plugin header].")
@click.option("--changelog", help="Changelog text for this version.")
@_channel
@click.option(
    "--release", "release_after", is_flag=True, help="Release the packaged version (implies --wait)."
)
@_percent
@_force_update
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the packager's verdict.")
@timeout_option
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
    percent: float | None,
    force_update: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Upload a plugin source (a directory or a .zip) through the admin API for the packager."""
    if (percent is not None or force_update) and not release_after:
        raise click.UsageError("--percent and --force-update are release settings: add --release")
    slug = slug or derive_slug(path)
    api = app.target.admin_api()
    key, version = shared.upload(
        app, api, path, slug=slug, platform=platform, version=version, changelog=changelog, channel=channel
    )
    packaged: dict[str, Any] | None = None
    if wait or release_after:
        packaged = wait_for_package(app, api, slug, key, timeout)
        if release_after:
            # As the admin, through the API: an upload's own metadata never releases.
            settings = given(percent=percent, force_update=force_update or None)
            packaged = admin.change_version(api, slug, packaged["version"], "release", settings)["version"]
    document = {
        "slug": slug,
        "platform": platform,
        "bucket": app.target.bucket,
        "key": key,
        "version": packaged,
    }
    app.out.result(
        document, None if packaged is None else partial(render.version, slug=slug, version=packaged)
    )


@click.command(cls=Command)
@_version_target
@_force_update
@_percent
@_channel
@click.option(
    "--plan",
    help="Roll out in guarded steps, percentages to the hundredth, e.g. 1,5,25,100 or 0.5,2.5,25,100 "
    "(the rollout guard advances it).",
)
@click.option("--step-hours", type=click.IntRange(1, 168), help="Least hours per step [default: 6].")
@click.option("--no-gate", is_flag=True, help="Forced security release: advance on time alone (audited).")
@click.option("--margin", type=click.IntRange(1, 50), help="Points worse than the baseline allowed [5].")
@click.option("--min-installs", type=click.IntRange(min=1), help="Installs before a step passes [20].")
@click.option(
    "--stall-hours",
    type=click.IntRange(2, 720),
    help="Hours a step may run before it alarms as stalled [24].",
)
@click.pass_obj
def release(
    app: App,
    *,
    slug: str,
    version: str,
    force_update: bool,
    percent: float | None,
    channel: str | None,
    plan: str | None,
    step_hours: int | None,
    no_gate: bool,
    margin: int | None,
    min_installs: int | None,
    stall_hours: int | None,
) -> None:
    """Release a packaged version on its channel, at once or on a guarded plan (--plan)."""
    if plan is None:
        _change(
            app, slug, version, "release", force_update=force_update or None, percent=percent, channel=channel
        )
        return
    if percent is not None or channel is not None:
        raise click.UsageError("--plan sets the percentages itself; --percent and --channel do not apply")
    body = given(
        plan=plan,
        step_hours=step_hours,
        gate=False if no_gate else None,
        margin_points=margin,
        min_installs=min_installs,
        stall_hours=stall_hours,
        force_update=force_update or None,
    )
    answer = rollouts.start(app.target.admin_api(), slug, version, body)
    app.out.result(answer, partial(render.version_change, slug=slug, answer=answer))


@click.command("push-update", cls=Command)
@_version_target
@click.pass_obj
def push_update(app: App, *, slug: str, version: str) -> None:
    """Tell the installations to update now (status update_ready)."""
    _change(app, slug, version, "push-update")


@click.command(cls=Command)
@_version_target
@click.pass_obj
def deprecate(app: App, *, slug: str, version: str) -> None:
    """Supersede a version: still downloadable, no longer offered."""
    _change(app, slug, version, "deprecate")


@click.command(cls=Command)
@_version_target
@yes_option
@click.pass_obj
def pull(app: App, *, slug: str, version: str, yes: bool) -> None:
    """Withdraw a bad version: every site stops being offered it, downloads answer 410."""
    if not (yes or app.out.as_json):
        click.confirm(f"Pull {slug} {version}? Every site stops being offered it at once.", abort=True)
    _change(app, slug, version, "pull")


@click.command(cls=Command)
@_version_target
@click.option("--percent", type=_PERCENT, required=True, help=_PERCENT_HELP)
@click.pass_obj
def rollout(app: App, *, slug: str, version: str, percent: float) -> None:
    """Offer a released version to a share of the sites."""
    _change(app, slug, version, None, rollout_percent=percent)


@click.command(cls=Command)
@click.argument("slug")
@click.option("--to", "to", required=True, metavar="VERSION", help="The good version to go back to.")
@_force_update
@click.option(
    "--exclude-target-sites", is_flag=True, help="Do not offer it to sites already on --to or below."
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the new version.")
@timeout_option
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
    body = given(to=to, force_update=force_update or None, exclude_target_sites=exclude_target_sites or None)
    api = app.target.admin_api()
    answer = admin.rollback(api, slug, body)
    app.out.note(
        f"{slug} {to} comes back as {answer.get('version')}; pulled: {answer.get('pulled') or 'nothing'}"
    )
    if wait:
        answer = {**answer, "packaged": wait_for_package(app, api, slug, answer["source_key"], timeout)}
    app.out.result(answer, partial(render.rollback, slug=slug, answer=answer))


@click.command(cls=Command)
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
    document = rollouts.with_report(api, slug, document)
    app.out.result(document, partial(_status_and_rollouts, document=document, audit=entries))


def _status_and_rollouts(console: Any, *, document: dict[str, Any], audit: Any) -> None:
    render.status(console, document=document, audit=audit)
    rollouts.show(console, document.get("rollouts", []))


@click.command(cls=Command)
@_version_target
@click.pass_obj
def verify(app: App, *, slug: str, version: str) -> None:
    """Check what sites get for a version: download, digest, zip layout, header, offers, signature."""
    report = verify_version(app.target.admin_api(), app.target.public_api(), slug, version)
    app.out.result(report.as_json(), partial(render_report, report=report))
    exit_unless(report.ok)


@click.command(cls=Command)
@click.argument("slug")
@click.option(
    "--days", type=click.IntRange(min=1), default=30, show_default=True, help="How many days back to count."
)
@click.pass_obj
def stats(app: App, *, slug: str, days: int) -> None:
    """Downloads, installations, versions, updates, health and adoption of a plugin."""
    api = app.target.admin_api()
    document = rollouts.with_report(api, slug, admin.stats(api, slug, days))
    app.out.result(document, partial(_stats_and_funnel, document=document))


def _stats_and_funnel(console: Any, *, document: dict[str, Any]) -> None:
    render.stats(console, document=document)
    rollouts.show(console, document.get("rollouts", []))


def _change(app: App, slug: str, version: str, action: str | None, **fields: Any) -> None:
    """One version transition (or, with ``action`` None, a PATCH) and its outcome."""
    answer = admin.change_version(app.target.admin_api(), slug, version, action, given(**fields))
    app.out.result(answer, partial(render.version_change, slug=slug, answer=answer))
