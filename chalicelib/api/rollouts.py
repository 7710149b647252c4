"""Admin routes of the rollout guard (``logic/guard``): start a planned rollout, resume a halted
one, and read where each stands (its funnel, gate, halt evidence and timeline)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.adapters import repository, store
from chalicelib.api.http import find_plugin
from chalicelib.api.openapi import answer, ref
from chalicelib.api.routing import Auth, route
from chalicelib.api.views import version_json
from chalicelib.clock import now
from chalicelib.logic.commands import StartRollout
from chalicelib.logic.guard.plan import Rollouts
from chalicelib.logic.guard.report import rollout_report
from chalicelib.logic.model import PluginVersion
from chalicelib.logic.releases import Releases
from chalicelib.logic.roles import Role

rollouts = Blueprint(__name__)

_VERSION = answer(version=ref(PluginVersion))
_OBJECT: dict[str, Any] = {"type": "object"}
_REPORT = answer(
    slug={"type": "string"},
    generated_at={"type": "string", "format": "date-time"},
    rollouts={"type": "array", "items": _OBJECT},
)


def _rollouts(actor: str) -> Rollouts:
    return Rollouts(Releases(repository(), store(), now(), actor=actor))


@route(
    rollouts,
    "/admin/plugins/{slug}/versions/{version}/rollout",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.RELEASER,
    forcing=Role.ADMIN,
    body=StartRollout,
    response=_VERSION,
)
def start_rollout(slug: str, version: str, actor: str, body: StartRollout) -> dict[str, Any]:
    """Release a version at its plan's first percentage; the guard advances it while its health
    gate passes, and halts it when it fails (``gate: false`` opts out, audited). The first step is
    widened until it can give the gate's sample on the sites known to run the plugin."""
    return {"version": version_json(_rollouts(actor).start(slug, version, body))}


@route(
    rollouts,
    "/admin/plugins/{slug}/versions/{version}/resume",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.RELEASER,
    response=_VERSION,
)
def resume_rollout(slug: str, version: str, actor: str) -> dict[str, Any]:
    """Restart a halted rollout at the percentage it stopped at; what the gate saw is accepted."""
    return {"version": version_json(_rollouts(actor).resume(slug, version))}


@route(rollouts, "/admin/plugins/{slug}/rollouts", auth=Auth.ADMIN, role=Role.VIEWER, response=_REPORT)
def rollout_status(slug: str, actor: str) -> dict[str, Any]:
    """Each planned rollout: plan (with why its first step is its size, and whether its step is
    held beyond ``stall_hours``), live gate verdict, halt evidence, funnel per step with the
    previous version's, and the timeline of its steps."""
    return rollout_report(repository(), find_plugin(slug, active_only=False).slug, now())
