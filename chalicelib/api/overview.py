"""Admin reads made for the console's pages: what a page would otherwise assemble from one call per
plugin. Logic in ``logic/console_views.py``."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.adapters import repository
from chalicelib.api.openapi import answer
from chalicelib.api.routing import Auth, route
from chalicelib.logic.console_views import every_plugin, release_overview
from chalicelib.logic.roles import Role

overview = Blueprint(__name__)

_TEXT: dict[str, Any] = {"type": "string"}
_LATEST: dict[str, Any] = {
    **answer(
        version=_TEXT,
        channel=_TEXT,
        status={"type": ["string", "null"]},
        rollout_percent={"type": "integer", "minimum": 0, "maximum": 100},
        force_update={"type": "boolean"},
        halted={"type": "boolean"},
    ),
    "type": ["object", "null"],
}
_PLUGIN = answer(slug=_TEXT, name=_TEXT, platform=_TEXT, latest=_LATEST)


@route(
    overview,
    "/admin/releases",
    auth=Auth.ADMIN,
    role=Role.VIEWER,
    response=answer(plugins={"type": "array", "items": _PLUGIN}),
)
def release_overview_view(actor: str) -> dict[str, Any]:
    """Every plugin with its latest release at a glance (version, channel, rollout percent, forced,
    halted): the console's plugins list, in one call."""
    return {"plugins": release_overview(every_plugin(repository()))}
