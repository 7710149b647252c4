"""Admin routes (seed §3.3): what replaces the seed's Django admin and management commands.

Every route requires admin credentials, locally too, and every change is audited (who = the IAM
principal, or the local admin).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.adapters import now, repository, store
from chalicelib.api.auth import iam, require_admin
from chalicelib.api.http import find_plugin, json_body, route
from chalicelib.api.sites import sites
from chalicelib.api.views import audit_json, plugin_json, site_json, version_json
from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.model import (
    Platform,
    check_channel,
    check_slug,
    check_version,
    iso,
)
from chalicelib.logic.plugins import configure, create_plugin
from chalicelib.logic.releases import TRANSITIONS, Releases, ReleaseSettings
from chalicelib.logic.stats import plugin_stats
from chalicelib.settings import get_settings

admin = Blueprint(__name__)

#: A presigned source upload is for an admin at a terminal: long enough for a slow link, no longer.
UPLOAD_URL_TTL = 900
_DAYS_RE = re.compile(r"[0-9]{1,3}")


def _admin() -> str:
    request = admin.current_request
    return require_admin(get_settings(), request.context, request.headers)


def _releases() -> Releases:
    return Releases(repository(), store(), now(), actor=_admin())


def _settings(body: dict[str, Any], percent_field: str) -> ReleaseSettings:
    unknown = set(body) - {percent_field, "channel", "force_update"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", code="invalid_input")
    return ReleaseSettings(
        rollout_percent=body.get(percent_field),
        channel=body.get("channel"),
        force_update=body.get("force_update"),
    )


@route(admin, "/admin/plugins", methods=["GET"], authorizer=iam)
def list_plugins() -> dict[str, Any]:
    _admin()
    repo = repository()
    plugins = [p for platform in Platform for p in repo.plugins_on_platform(platform.value)]
    return {"plugins": [plugin_json(p) for p in sorted(plugins, key=lambda p: p.slug)]}


@route(admin, "/admin/plugins", methods=["POST"], authorizer=iam)
def create_plugin_view() -> Response:
    actor = _admin()
    plugin = create_plugin(repository(), json_body(admin.current_request.raw_body), now(), actor)
    return Response(body={"plugin": plugin_json(plugin)}, status_code=201)


@route(admin, "/admin/plugins/{slug}", methods=["GET"], authorizer=iam)
def plugin_status(slug: str) -> dict[str, Any]:
    _admin()
    plugin = find_plugin(slug, active_only=False)
    return {"plugin": plugin_json(plugin), "versions": [version_json(v) for v in repository().versions(slug)]}


@route(admin, "/admin/plugins/{slug}/versions", methods=["POST"], authorizer=iam)
def create_version(slug: str) -> Response:
    """A draft with its changelog and channel, before its source is uploaded (seed §3.3)."""
    releases = _releases()
    body = json_body(admin.current_request.raw_body)
    record = releases.create_version(find_plugin(slug, active_only=False), body)
    return Response(body={"version": version_json(record)}, status_code=201)


@route(admin, "/admin/plugins/{slug}/versions/{version}/upload", methods=["POST"], authorizer=iam)
def upload_url(slug: str, version: str) -> dict[str, Any]:
    """A presigned PUT to sources/: the S3 trigger then packages what is put there."""
    actor = _admin()
    plugin = find_plugin(slug, active_only=False)
    version = check_version(version)
    record = repository().get_version(slug, version)
    body = json_body(admin.current_request.raw_body)
    channel = body.get("channel") or (record.channel if record else None)
    if channel is not None:
        check_channel(channel)
    changelog = body.get("changelog") or (record.changelog if record else "")
    if not isinstance(changelog, str) or len(changelog) > 1500:
        raise InvalidInput("changelog must be text of at most 1500 characters", code="invalid_changelog")
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

    def view(slug: str, version: str) -> dict[str, Any]:
        releases = _releases()
        settings = _settings(json_body(admin.current_request.raw_body), "percent")
        record = releases.apply(check_slug(slug), version, action, settings)
        answer: dict[str, Any] = {"version": version_json(record)}
        if action == "push-update":
            answer["installations_notified"] = releases.notify_installations(record)
        return answer

    view.__name__ = f"{action.replace('-', '_')}_version"
    return view


for _action in TRANSITIONS:
    route(admin, f"/admin/plugins/{{slug}}/versions/{{version}}/{_action}", methods=["POST"], authorizer=iam)(
        _transition_view(_action)
    )


@route(admin, "/admin/plugins/{slug}/versions/{version}", methods=["PATCH"], authorizer=iam)
def configure_version(slug: str, version: str) -> dict[str, Any]:
    releases = _releases()  # credentials first: an anonymous caller learns nothing about bodies
    settings = _settings(json_body(admin.current_request.raw_body), "rollout_percent")
    return {"version": version_json(releases.apply(check_slug(slug), version, None, settings))}


@route(admin, "/admin/plugins/{slug}/rollback", methods=["POST"], authorizer=iam)
def rollback(slug: str) -> Response:
    releases = _releases()
    body = json_body(admin.current_request.raw_body)
    to = body.get("to")
    force, exclude = body.get("force_update", False), body.get("exclude_target_sites", False)
    if not isinstance(to, str) or not isinstance(force, bool) or not isinstance(exclude, bool):
        raise InvalidInput(
            'expected {"to": "<version>", "force_update": bool, "exclude_target_sites": bool}',
            code="invalid_input",
        )
    plan = releases.rollback(check_slug(slug), to, force_update=force, exclude_target_sites=exclude)
    return Response(body=plan, status_code=202)


@route(admin, "/admin/plugins/{slug}", methods=["PATCH"], authorizer=iam)
def configure_plugin(slug: str) -> dict[str, Any]:
    """Plugin-wide settings: ``private`` (downloads and info need a site key) and
    ``downloads_per_hour`` (per site, instead of the service default)."""
    actor = _admin()
    body = json_body(admin.current_request.raw_body)
    plugin = configure(repository(), check_slug(slug), body, now(), actor)
    return {"plugin": plugin_json(plugin)}


@route(admin, "/admin/plugins/{slug}/stats", methods=["GET"], authorizer=iam)
def stats(slug: str) -> dict[str, Any]:
    _admin()
    params: Mapping[str, str] = admin.current_request.query_params or {}
    raw = params.get("days", "30")
    if not _DAYS_RE.fullmatch(raw) or not 1 <= int(raw) <= 365:  # ASCII digits only: "²".isdigit()
        raise InvalidInput("days must be an integer from 1 to 365", code="invalid_days")
    return plugin_stats(repository(), find_plugin(slug, active_only=False).slug, now(), int(raw))


@route(admin, "/admin/sites", methods=["GET"], authorizer=iam)
def list_sites() -> dict[str, Any]:
    _admin()
    return {"sites": [site_json(s) for s in repository().sites()]}


@route(admin, "/admin/sites", methods=["POST"], authorizer=iam)
def create_site() -> Response:
    created, key = sites(_admin()).create(json_body(admin.current_request.raw_body))
    return Response(body={"site": site_json(created), "api_key": key}, status_code=201)


@route(admin, "/admin/sites/{site_id}/rotate", methods=["POST"], authorizer=iam)
def rotate_site(site_id: str) -> dict[str, Any]:
    rotated, key = sites(_admin()).rotate(site_id)
    return {
        "site": site_json(rotated),
        "api_key": key,
        "previous_key_valid_until": iso(rotated.previous_key_valid_until),
    }


@route(admin, "/admin/sites/{site_id}/revoke", methods=["POST"], authorizer=iam)
def revoke_site(site_id: str) -> dict[str, Any]:
    return {"site": site_json(sites(_admin()).revoke(site_id))}


@route(admin, "/admin/plugins/{slug}/audit", methods=["GET"], authorizer=iam)
def audit(slug: str) -> dict[str, Any]:
    _admin()
    entries = repository().audit(check_slug(slug))
    return {"entries": [audit_json(e) for e in entries]}
