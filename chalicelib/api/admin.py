"""Admin routes (seed §3.3): what replaces the seed's Django admin and management commands.

Every route requires admin credentials, locally too, and every change is audited (who = the IAM
principal, or the local admin).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.adapters import repository, store
from chalicelib.api.callers import sites
from chalicelib.api.http import find_plugin
from chalicelib.api.openapi import answer, list_of, ref
from chalicelib.api.overview import AUDIT_PAGE, audit_answer
from chalicelib.api.routing import Auth, route
from chalicelib.api.views import plugin_json, site_json, version_json
from chalicelib.clock import now
from chalicelib.logic.audit_pages import AuditQuery
from chalicelib.logic.commands import (
    ConfigurePlugin,
    CreatePlugin,
    CreateSite,
    CreateVersion,
    ReleaseSettings,
    Rollback,
    StatsQuery,
    UploadRequest,
)
from chalicelib.logic.console_views import every_plugin, name_sites
from chalicelib.logic.model import Plugin, PluginVersion, Site, iso
from chalicelib.logic.plugins import configure, create_plugin
from chalicelib.logic.releases import TRANSITIONS, Releases
from chalicelib.logic.roles import ACTION_ROLES, Role
from chalicelib.logic.stats import plugin_stats

admin = Blueprint(__name__)

#: A presigned source upload is for an admin at a terminal: long enough for a slow link, no longer.
UPLOAD_URL_TTL = 900


_TEXT: dict[str, Any] = {"type": "string"}
_PLUGIN = answer(plugin=ref(Plugin))
_VERSION = answer(version=ref(PluginVersion))
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_SHARE: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
_MOMENT: dict[str, Any] = {"type": "string", "format": "date-time"}
_MAYBE_TEXT: dict[str, Any] = {"type": ["string", "null"]}
_MAYBE_MOMENT: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


#: ``logic/stats.plugin_stats``' answer, so the document (and the fuzzer) say what the dashboard reads.
_STATS = answer(
    slug=_TEXT,
    generated_at=_MOMENT,
    days=_COUNT,
    downloads=answer(
        total=_COUNT,
        per_version={"type": "object", "additionalProperties": _COUNT},
        per_day=_list(answer(day={"type": "string", "format": "date"}, count=_COUNT)),
    ),
    installations=answer(total=_COUNT, active=_COUNT, active_days=_COUNT),
    version_distribution=_list(answer(version=_TEXT, count=_COUNT, share=_SHARE)),
    updates=answer(offered=_COUNT, succeeded=_COUNT, success_rate={**_SHARE, "type": ["number", "null"]}),
    health=answer(
        failing=_COUNT,
        sites=_list(
            answer(
                site_id=_TEXT,
                name=_MAYBE_TEXT,
                url=_MAYBE_TEXT,
                status=_MAYBE_TEXT,
                at=_MAYBE_MOMENT,
                message=_MAYBE_TEXT,
            )
        ),
    ),
    forced=answer(
        version=_MAYBE_TEXT,
        sites_below=_COUNT,
        site_ids=_list(_TEXT),
        sites=_list(answer(site_id=_TEXT, name=_MAYBE_TEXT, url=_MAYBE_TEXT)),
    ),
    adoption=answer(
        version=_MAYBE_TEXT,
        released_at=_MAYBE_MOMENT,
        curve=_list(answer(hours={"type": "number", "minimum": 0}, share=_SHARE)),
        time_to_80_hours={"type": ["number", "null"], "minimum": 0},
    ),
)


def _releases(actor: str) -> Releases:
    return Releases(repository(), store(), now(), actor=actor)


@route(admin, "/admin/plugins", auth=Auth.ADMIN, role=Role.VIEWER, response=answer(plugins=list_of(Plugin)))
def list_plugins(actor: str) -> dict[str, Any]:
    """Every plugin, on every platform."""
    return {"plugins": [plugin_json(p) for p in sorted(every_plugin(repository()), key=lambda p: p.slug)]}


@route(
    admin,
    "/admin/plugins",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.RELEASER,
    body=CreatePlugin,
    response=_PLUGIN,
    status=201,
)
def create_plugin_view(actor: str, body: CreatePlugin) -> Response:
    """Register a plugin before its first upload (an upload also creates it)."""
    plugin = create_plugin(repository(), body, now(), actor)
    return Response(body={"plugin": plugin_json(plugin)}, status_code=201)


@route(
    admin,
    "/admin/plugins/{slug}",
    auth=Auth.ADMIN,
    role=Role.VIEWER,
    response=answer(plugin=ref(Plugin), versions=list_of(PluginVersion)),
)
def plugin_status(slug: str, actor: str) -> dict[str, Any]:
    """A plugin and all its versions, newest first."""
    plugin = find_plugin(slug, active_only=False)
    return {"plugin": plugin_json(plugin), "versions": [version_json(v) for v in repository().versions(slug)]}


@route(
    admin,
    "/admin/plugins/{slug}/versions",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.RELEASER,
    body=CreateVersion,
    response=_VERSION,
    status=201,
)
def create_version(slug: str, actor: str, body: CreateVersion) -> Response:
    """A draft with its changelog and channel, before its source is uploaded (seed §3.3)."""
    record = _releases(actor).create_version(find_plugin(slug, active_only=False), body)
    return Response(body={"version": version_json(record)}, status_code=201)


@route(
    admin,
    "/admin/plugins/{slug}/versions/{version}/upload",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.RELEASER,
    body=UploadRequest,
    response=answer(
        url={"type": "string", "format": "uri"},
        method={"const": "PUT"},
        headers={"type": "object", "additionalProperties": {"type": "string"}},
        key={"type": "string"},
        expires_at={"type": "string", "format": "date-time"},
    ),
)
def upload_url(slug: str, version: str, actor: str, body: UploadRequest) -> dict[str, Any]:
    """A presigned PUT to sources/: the S3 trigger then packages what is put there."""
    plugin = find_plugin(slug, active_only=False)
    record = repository().get_version(slug, version)
    channel = body.channel or (record.channel if record else None)
    changelog = body.changelog or (record.changelog if record else "")
    key = f"sources/{plugin.platform.value}/{slug}/{version}/{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}.zip"
    metadata = {"version": version, "uploaded-by": actor}
    if changelog:
        metadata["changelog"] = changelog
    if channel:
        metadata["channel"] = channel
    url, headers = store().presign_upload(key, metadata, UPLOAD_URL_TTL)
    expires = datetime.now(UTC) + timedelta(seconds=UPLOAD_URL_TTL)
    return {"url": url, "method": "PUT", "headers": headers, "key": key, "expires_at": iso(expires)}


def _transition_view(action: str) -> Callable[..., dict[str, Any]]:
    """POST .../versions/{version}/<action>: one status change, with optional release settings."""

    def view(slug: str, version: str, actor: str, body: ReleaseSettings) -> dict[str, Any]:
        releases = _releases(actor)
        record = releases.apply(slug, version, action, body)
        answer: dict[str, Any] = {"version": version_json(record)}
        if action == "push-update":
            answer["installations_notified"] = releases.notify_installations(record)
        return answer

    view.__name__ = f"{action.replace('-', '_')}_version"
    allowed, target = TRANSITIONS[action]
    view.__doc__ = (
        f"Move a version from {' or '.join(sorted(s.value for s in allowed))} to {target.value}, "
        "with optional release settings."
    )
    return view


for _action in TRANSITIONS:
    route(
        admin,
        f"/admin/plugins/{{slug}}/versions/{{version}}/{_action}",
        methods=("POST",),
        auth=Auth.ADMIN,
        role=ACTION_ROLES[_action],
        forcing=Role.ADMIN,
        body=ReleaseSettings,
        response=answer(
            ("installations_notified",),
            version=ref(PluginVersion),
            installations_notified={"type": "integer", "minimum": 0},
        ),
    )(_transition_view(_action))


@route(
    admin,
    "/admin/plugins/{slug}/versions/{version}",
    methods=("PATCH",),
    auth=Auth.ADMIN,
    role=Role.RELEASER,
    forcing=Role.ADMIN,
    body=ReleaseSettings,
    response=_VERSION,
)
def configure_version(slug: str, version: str, actor: str, body: ReleaseSettings) -> dict[str, Any]:
    """Change a version's release settings without changing its status."""
    return {"version": version_json(_releases(actor).apply(slug, version, None, body))}


@route(
    admin,
    "/admin/plugins/{slug}/rollback",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.ADMIN,
    body=Rollback,
    status=202,
    response=answer(
        version=_TEXT,
        rollback_of=_TEXT,
        pulled={"type": ["string", "null"]},
        pulled_versions={"type": "array", "items": _TEXT},
        source_key=_TEXT,
    ),
)
def rollback(slug: str, actor: str, body: Rollback) -> Response:
    """Republish an earlier version's code as the next version up, and pull what it replaces."""
    plan = _releases(actor).rollback(
        slug, body.to, force_update=body.force_update, exclude_target_sites=body.exclude_target_sites
    )
    return Response(body=plan, status_code=202)


@route(
    admin,
    "/admin/plugins/{slug}",
    methods=("PATCH",),
    auth=Auth.ADMIN,
    role=Role.ADMIN,
    body=ConfigurePlugin,
    response=_PLUGIN,
)
def configure_plugin(slug: str, actor: str, body: ConfigurePlugin) -> dict[str, Any]:
    """Plugin-wide settings: ``private`` (downloads and info need a site key) and
    ``downloads_per_hour`` (per site, instead of the service default)."""
    return {"plugin": plugin_json(configure(repository(), slug, body, now(), actor))}


@route(
    admin, "/admin/plugins/{slug}/stats", auth=Auth.ADMIN, role=Role.VIEWER, query=StatsQuery, response=_STATS
)
def stats(slug: str, actor: str, query: StatsQuery) -> dict[str, Any]:
    """Downloads, installations, health and adoption over the last ``days``; sites are named (name
    and URL) beside their ids."""
    repo = repository()
    return name_sites(
        plugin_stats(repo, find_plugin(slug, active_only=False).slug, now(), query.days), repo.get_site
    )


@route(admin, "/admin/sites", auth=Auth.ADMIN, role=Role.VIEWER, response=answer(sites=list_of(Site)))
def list_sites(actor: str) -> dict[str, Any]:
    """Every site allowed to call the site routes (never a key, only its first characters)."""
    return {"sites": [site_json(s) for s in repository().sites()]}


@route(
    admin,
    "/admin/sites",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.ADMIN,
    body=CreateSite,
    status=201,
    response=answer(site=ref(Site), api_key=_TEXT),
)
def create_site(actor: str, body: CreateSite) -> Response:
    """A site and its API key, shown this once."""
    created, key = sites(actor).create(body)
    return Response(body={"site": site_json(created), "api_key": key}, status_code=201)


@route(
    admin,
    "/admin/sites/{site_id}/rotate",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.ADMIN,
    response=answer(site=ref(Site), api_key=_TEXT, previous_key_valid_until={"type": ["string", "null"]}),
)
def rotate_site(site_id: str, actor: str) -> dict[str, Any]:
    """A new key, shown once; the old one keeps working for the overlap."""
    rotated, key = sites(actor).rotate(site_id)
    return {
        "site": site_json(rotated),
        "api_key": key,
        "previous_key_valid_until": iso(rotated.previous_key_valid_until),
    }


@route(
    admin,
    "/admin/sites/{site_id}/revoke",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.ADMIN,
    response=answer(site=ref(Site)),
)
def revoke_site(site_id: str, actor: str) -> dict[str, Any]:
    """End the site's keys at once."""
    return {"site": site_json(sites(actor).revoke(site_id))}


@route(
    admin,
    "/admin/plugins/{slug}/audit",
    auth=Auth.ADMIN,
    role=Role.VIEWER,
    query=AuditQuery,
    response=AUDIT_PAGE,
)
def audit(slug: str, actor: str, query: AuditQuery) -> dict[str, Any]:
    """Who changed what and when, newest first; ``next`` pages to older entries."""
    return audit_answer(slug, query)
