"""Admin routes (seed §3.3). Every one requires admin credentials, locally too."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.adapters import now, repository
from chalicelib.api.auth import iam, require_admin
from chalicelib.api.http import route
from chalicelib.logic.errors import NotFound
from chalicelib.logic.model import Plugin, PluginVersion, check_slug
from chalicelib.logic.releases import release
from chalicelib.settings import get_settings

admin = Blueprint(__name__)


def _admin() -> str:
    request = admin.current_request
    return require_admin(get_settings(), request.context, request.headers)


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def version_json(v: PluginVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "version_code": v.version_code,
        "status": v.status.value,
        "channel": v.channel,
        "file_path": v.file_path,
        "file_size": v.file_size,
        "sha256": v.sha256,
        "checksum": v.sha256,
        "sha384": v.sha384,
        "signature": v.signature,
        "signature_key_id": v.signature_key_id,
        "changelog": v.changelog,
        "requires": v.requires,
        "tested": v.tested,
        "requires_php": v.requires_php,
        "created_at": _iso(v.created_at),
        "released_at": _iso(v.released_at),
        "force_update": v.force_update,
        "main_file": v.main_file,
        "update_uri": v.update_uri,
        "text_domain": v.text_domain,
        "source_key": v.source_key,
        "source_version_id": v.source_version_id,
        "failure_code": v.failure_code or None,
        "failure_reason": v.failure_reason or None,
        "stamped": v.stamped,
    }


def plugin_json(p: Plugin) -> dict[str, Any]:
    failure = p.last_failure
    return {
        "slug": p.slug,
        "name": p.name,
        "platform": p.platform.value,
        "description": p.description,
        "is_active": p.is_active,
        "latest": p.latest,
        "last_failure": None
        if failure is None
        else {
            "source_key": failure.source_key,
            "code": failure.code,
            "message": failure.message,
            "at": _iso(failure.at),
        },
        "created_at": _iso(p.created_at),
        "updated_at": _iso(p.updated_at),
    }


@route(admin, "/admin/plugins/{slug}", methods=["GET"], authorizer=iam)
def plugin_status(slug: str) -> dict[str, Any]:
    _admin()
    repo = repository()
    plugin = repo.get_plugin(check_slug(slug))
    if plugin is None:
        raise NotFound(f"no plugin {slug!r}")
    return {"plugin": plugin_json(plugin), "versions": [version_json(v) for v in repo.versions(slug)]}


@route(admin, "/admin/plugins/{slug}/versions/{version}/release", methods=["POST"], authorizer=iam)
def release_version(slug: str, version: str) -> dict[str, Any]:
    _admin()
    return {"version": version_json(release(repository(), check_slug(slug), version, now()))}
