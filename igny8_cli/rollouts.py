"""The rollout guard at the command line: ``release --plan`` starts a planned rollout, ``resume``
restarts a halted one, and ``status``/``stats`` show each rollout's step, gate, halt evidence,
funnel (with the previous version's alongside) and timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from igny8_cli import admin, render
from igny8_cli.context import App, Command
from igny8_cli.errors import CliError

if TYPE_CHECKING:
    from igny8_cli.client import AdminApi

STAGES = ("offered", "downloaded", "installed", "healthy", "health_failed", "install_failed", "silent")


def start(api: AdminApi, slug: str, version: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return api.call("POST", f"{admin.version_path(slug, version)}/rollout", body)


def report(api: AdminApi, slug: str) -> list[dict[str, Any]]:
    """Each planned rollout of ``slug``; none from a server that predates the rollout guard."""
    try:
        answer = api.call("GET", f"{admin.plugin_path(slug)}/rollouts")
    except CliError as error:
        if error.code == "no_route":
            return []
        raise
    rollouts: list[dict[str, Any]] = answer.get("rollouts", [])
    return rollouts


def with_report(api: AdminApi, slug: str, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with ``rollouts`` added when the plugin has planned rollouts."""
    found = report(api, slug)
    return {**document, "rollouts": found} if found else document


@click.command(cls=Command)
@click.argument("slug")
@click.argument("version")
@click.pass_obj
def resume(app: App, *, slug: str, version: str) -> None:
    """Restart a halted rollout at the percentage it stopped at (what its gate saw is accepted)."""
    answer = app.target.admin_api().call("POST", f"{admin.version_path(slug, version)}/resume", {})
    app.out.result(answer, partial(render.version_change, slug=slug, answer=answer))


def show(console: Console, rollouts: Sequence[Mapping[str, Any]]) -> None:
    """Each planned rollout: where it stands, why, the funnel per step and the timeline."""
    for rollout in rollouts:
        plan, gate = rollout.get("plan") or {}, rollout.get("gate") or {}
        steps = " -> ".join(
            f"[{p}]" if n == plan.get("step") else str(p) for n, p in enumerate(plan.get("steps") or [])
        )
        gated = "" if plan.get("gated", True) else "  UNGATED (--no-gate)"
        render.line(
            console,
            f"rollout {rollout.get('version')}: {str(plan.get('state')).upper()} at "
            f"{rollout.get('percent')}%  plan {steps} every {plan.get('step_hours')} h{gated}",
        )
        if plan.get("sizing"):
            render.line(console, f"  sizing: {plan['sizing']}")
        render.line(console, f"  gate: {gate.get('action')} - {gate.get('reason')}")
        if plan.get("stalled"):
            render.line(
                console,
                f"  STALLED since {plan.get('stalled_since')} (bound {plan.get('stall_hours')} h): the step "
                "cannot pass yet (the gate above says why): wait for more installs, or pull or roll back",
            )
        halt = rollout.get("halt")
        if halt:
            render.line(console, f"  HALTED: {halt.get('reason')}")
            render.line(console, f"  failing sites: {', '.join(halt.get('sites') or []) or '-'}")
        funnel = rollout.get("funnel") or {}
        baseline = funnel.get("baseline") or {}
        rows = [
            (f"step {s.get('percent')}%", *(s.get(k, 0) for k in STAGES)) for s in funnel.get("steps") or []
        ]
        rows.append(("total", *((funnel.get("total") or {}).get(k, 0) for k in STAGES)))
        rows.append(
            (
                f"baseline {baseline.get('version') or '-'}",
                *((baseline.get("counts") or {}).get(k, 0) for k in STAGES),
            )
        )
        console.print(render.table(("Funnel", *STAGES), rows))
        timeline = [
            (e.get("at"), e.get("action"), _percent(e.get("percent")), e.get("actor"), e.get("reason"))
            for e in rollout.get("timeline") or []
        ]
        console.print(render.table(("At", "Step", "Percent", "By", "Why"), timeline, wrap=("Why",)))


def _percent(value: Any) -> str:
    return "-" if value is None else f"{value}%"
