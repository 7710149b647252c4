"""Site routes (seed §3.2), called by the plugin on each site with ``X-IGNY8-Site-ID`` and
``X-IGNY8-API-Key``: register-installation, health-check, download-url, track-download."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.adapters import now, repository
from chalicelib.api.downloads import serve_download
from chalicelib.api.http import BODY_TYPES, body_fields, find_plugin, route
from chalicelib.api.views import installation_json
from chalicelib.logic.answers import DownloadUrl
from chalicelib.logic.model import Plugin, Site
from chalicelib.logic.sites import Sites
from chalicelib.logic.telemetry import Telemetry
from chalicelib.settings import get_settings

site = Blueprint(__name__)


def sites(actor: str = "") -> Sites:
    overlap = timedelta(seconds=get_settings().site_key_overlap_seconds)
    return Sites(repository(), now(), overlap, actor)


def site_of(request: Request) -> Site:
    """The site these request headers prove, or ``Unauthorized``."""
    return sites().authenticate(
        request.headers.get("x-igny8-site-id"), request.headers.get("x-igny8-api-key")
    )


def claimed_site(request: Request) -> Site | None:
    """As ``site_of`` when a key is sent, else None: a site id alone claims nothing (check-update
    still buckets it for rollouts), while a key that does not match is always refused."""
    return None if request.headers.get("x-igny8-api-key") is None else site_of(request)


def site_plugin(request: Request, slug: str) -> tuple[Plugin, Site | None]:
    """The plugin a public route names, and the site asking if it sent a key. Credentials are
    checked before the slug is looked up, so a wrong key is 401 whether the plugin exists or not,
    and a private plugin asked for without a valid key is 404 as an unknown slug is."""
    caller = claimed_site(request)
    return find_plugin(slug, site_key=caller is not None), caller


def _authenticated(slug: str) -> tuple[Site, Plugin, dict[str, Any]]:
    request = site.current_request
    caller = site_of(request)  # before the slug: an unauthenticated caller learns nothing of it
    return (
        caller,
        find_plugin(slug, site_key=True),
        body_fields(request.raw_body, request.headers.get("content-type")),
    )


# The seed's plan names the same call ``register/`` in one place: both paths work.
@route(site, "/plugins/{slug}/register", methods=["POST"], content_types=BODY_TYPES)
@route(site, "/plugins/{slug}/register-installation", methods=["POST"], content_types=BODY_TYPES)
def register_installation(slug: str) -> dict[str, Any]:
    caller, plugin, body = _authenticated(slug)
    installation = Telemetry(repository(), now()).register(caller.site_id, plugin.slug, body)
    return {"installation": installation_json(installation)}


@route(site, "/plugins/{slug}/health-check", methods=["POST"], content_types=BODY_TYPES)
def health_check(slug: str) -> dict[str, Any]:
    caller, plugin, body = _authenticated(slug)
    installation = Telemetry(repository(), now()).health(caller.site_id, plugin.slug, body)
    return {"installation": installation_json(installation)}


@route(site, "/plugins/{slug}/download-url", methods=["GET"])
def download_url(slug: str) -> dict[str, Any]:
    request = site.current_request
    params: Mapping[str, str] = request.query_params or {}
    version = params.get("version")
    caller = site_of(request)
    served = serve_download(find_plugin(slug, site_key=True), version, caller, request)
    return DownloadUrl(
        url=served.url,
        expires_at=served.expires_at,
        version=served.version.version,
        sha256=served.version.sha256,
        file_size=served.version.file_size,
    ).json_body()


@route(site, "/plugins/{slug}/track-download", methods=["POST"], content_types=BODY_TYPES)
def track_download(slug: str) -> Response:
    """The site confirms it installed a download (served downloads are counted when served)."""
    caller, plugin, body = _authenticated(slug)
    Telemetry(repository(), now()).installed(caller.site_id, plugin.slug, body)
    return Response(body="", status_code=204)
