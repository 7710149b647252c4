"""Admin reads made for the console's pages: what a page would otherwise assemble from one call per
plugin or from the whole sites list (a halted rollout's failing sites, named), and the sites'
audit trail (kept apart from every plugin's). Logic in ``logic/console_views.py``."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.adapters import repository
from chalicelib.api.http import find_plugin
from chalicelib.api.openapi import answer, list_of
from chalicelib.api.routing import Auth, route
from chalicelib.api.views import audit_json
from chalicelib.logic.audit_pages import AuditQuery, audit_page
from chalicelib.logic.console_views import every_plugin, halted_sites, release_overview
from chalicelib.logic.model import AuditEntry
from chalicelib.logic.roles import Role
from chalicelib.logic.sites import AUDIT_SCOPE as SITES_SCOPE

overview = Blueprint(__name__)

_TEXT: dict[str, Any] = {"type": "string"}
_LATEST: dict[str, Any] = {
    **answer(
        version=_TEXT,
        channel=_TEXT,
        status={"type": ["string", "null"]},
        rollout_percent={"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
        force_update={"type": "boolean"},
        halted={"type": "boolean"},
    ),
    "type": ["object", "null"],
}
_PLUGIN = answer(slug=_TEXT, name=_TEXT, platform=_TEXT, latest=_LATEST)
_NULLABLE_TEXT: dict[str, Any] = {"type": ["string", "null"]}
#: A page of an audit trail, newest first; ``next`` reads the older entries (null: none).
AUDIT_PAGE = answer(entries=list_of(AuditEntry), next=_NULLABLE_TEXT)
_HALT = answer(
    version=_TEXT,
    sites={"type": "array", "items": answer(site_id=_TEXT, name=_NULLABLE_TEXT, url=_NULLABLE_TEXT)},
)


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


def audit_answer(scope: str, query: AuditQuery) -> dict[str, Any]:
    """One page of ``scope``'s audit trail, with the cursor to its older entries."""
    entries, older = audit_page(repository(), scope, query)
    return {"entries": [audit_json(e) for e in entries], "next": older}


@route(
    overview, "/admin/sites/audit", auth=Auth.ADMIN, role=Role.VIEWER, query=AuditQuery, response=AUDIT_PAGE
)
def sites_audit(actor: str, query: AuditQuery) -> dict[str, Any]:
    """Who created, rotated or revoked which site, and when, newest first (the site by id: the
    sites list names it); ``next`` pages to older entries."""
    return audit_answer(SITES_SCOPE, query)


@route(
    overview,
    "/admin/plugins/{slug}/rollouts/halted-sites",
    auth=Auth.ADMIN,
    role=Role.VIEWER,
    response=answer(halts={"type": "array", "items": _HALT}),
)
def halted_sites_view(slug: str, actor: str) -> dict[str, Any]:
    """Each halted rollout's failing sites by name and address (its evidence names them by id):
    the console's rollout panel, without reading every site."""
    repo = repository()
    return {"halts": halted_sites(repo.versions(find_plugin(slug, active_only=False).slug), repo.get_site)}
