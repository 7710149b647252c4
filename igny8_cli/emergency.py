"""``emergency``: ship a critical fix in one command (seed §8), and the step runner it is built on.

Upload, package, release forced, push-update, verify and what sites are told run as named steps:
each is noted as it ends, a failure names the step that stopped it, and the ``--json`` document
lists every step, so an operator under pressure sees exactly how far the fix got.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from chalicelib.logic.model import DEFAULT_CHANNEL
from igny8_cli import admin, render, shared
from igny8_cli.context import App, Command
from igny8_cli.errors import CliError
from igny8_cli.output import Output
from igny8_cli.sources import derive_slug
from igny8_cli.verify import FIRST_VERSION, Check, Report, check_update
from igny8_cli.verify import verify as verify_version

if TYPE_CHECKING:
    from igny8_cli.client import PublicApi

T = TypeVar("T")


@click.command(cls=Command)
@shared.source_argument
@click.option("--version", required=True, help="The fixed version (a PATCH increment).")
@click.option("--changelog", required=True, help='What it fixes, e.g. "SECURITY: ...".')
@shared.slug_option
@shared.platform_option
@shared.timeout_option
@click.pass_obj
def emergency(
    app: App, *, path: Path, version: str, changelog: str, slug: str | None, platform: str, timeout: float
) -> None:
    """Ship a critical fix now: upload, release forced, push to sites, verify (seed §8)."""
    slug = slug or derive_slug(path)
    api, public = app.target.admin_api(), app.target.public_api()
    steps = _Steps(app.out)
    before = steps.run("status", lambda: admin.get_plugin(api, slug), _found)
    key, _ = steps.run(
        "upload",
        lambda: shared.upload(
            app, api, path, slug=slug, platform=platform, version=version, changelog=changelog, channel=None
        ),
        _uploaded,
    )
    packaged = steps.run("package", lambda: shared.wait_for_package(app, api, slug, key, timeout), _packaged)
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
    shared.exit_unless(steps.ok)


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


def _uploaded(uploaded: tuple[str, str]) -> tuple[bool, str]:
    return True, f"source uploaded to {uploaded[0]}"


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


def _render_emergency(
    console: Console, *, report: Report, steps: list[Check], sites: Mapping[str, Any]
) -> None:
    shared.render_report(console, report=report)
    render.sites(console, answer=sites)
    failed = ", ".join(step.name for step in steps if not step.ok)
    verdict = f"FAILED: {failed}" if failed else "released, forced and pushed to every site"
    render.line(console, f"emergency {report.slug} {report.version}: {verdict}")
