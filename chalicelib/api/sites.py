"""Site routes (seed §3.2), called by the plugin on each site with ``X-IGNY8-Site-ID`` and
``X-IGNY8-API-Key``: register-installation, health-check, download-url, track-download."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.adapters import now, repository
from chalicelib.api.downloads import serve_download
from chalicelib.api.http import find_plugin
from chalicelib.api.routing import Auth, route
from chalicelib.api.views import installation_json
from chalicelib.logic.answers import DownloadUrl, InstallationAnswer
from chalicelib.logic.commands import HealthReport, InstallReport, PinnedVersion, Registration
from chalicelib.logic.model import Site
from chalicelib.logic.telemetry import Telemetry

site = Blueprint(__name__)


# The seed's plan names the same call ``register/`` in one place: both paths work.
@route(
    site,
    "/plugins/{slug}/register",
    methods=("POST",),
    auth=Auth.SITE,
    body=Registration,
    response=InstallationAnswer,
)
@route(
    site,
    "/plugins/{slug}/register-installation",
    methods=("POST",),
    auth=Auth.SITE,
    body=Registration,
    response=InstallationAnswer,
)
def register_installation(slug: str, caller: Site, body: Registration) -> dict[str, Any]:
    """On activation and after each upgrade: the site runs ``version`` now."""
    plugin = find_plugin(slug, site_key=True)
    installation = Telemetry(repository(), now()).register(caller.site_id, plugin.slug, body)
    return {"installation": installation_json(installation)}


@route(
    site,
    "/plugins/{slug}/health-check",
    methods=("POST",),
    auth=Auth.SITE,
    body=HealthReport,
    response=InstallationAnswer,
)
def health_check(slug: str, caller: Site, body: HealthReport) -> dict[str, Any]:
    """Daily, after each update and on deactivation: is the plugin working on this site?"""
    plugin = find_plugin(slug, site_key=True)
    installation = Telemetry(repository(), now()).health(caller.site_id, plugin.slug, body)
    return {"installation": installation_json(installation)}


@route(site, "/plugins/{slug}/download-url", auth=Auth.SITE, query=PinnedVersion, response=DownloadUrl)
def download_url(slug: str, caller: Site, query: PinnedVersion) -> dict[str, Any]:
    """A fresh, short-lived link to the package, with what to verify it by (the bridge's path)."""
    served = serve_download(find_plugin(slug, site_key=True), query.version, caller, site.current_request)
    return DownloadUrl(
        url=served.url,
        expires_at=served.expires_at,
        version=served.version.version,
        sha256=served.version.sha256,
        file_size=served.version.file_size,
    ).json_body()


@route(
    site,
    "/plugins/{slug}/track-download",
    methods=("POST",),
    auth=Auth.SITE,
    body=InstallReport,
    status=204,
    produces="",
)
def track_download(slug: str, caller: Site, body: InstallReport) -> Response:
    """The site confirms it installed a download (served downloads are counted when served)."""
    plugin = find_plugin(slug, site_key=True)
    Telemetry(repository(), now()).installed(caller.site_id, plugin.slug, body)
    return Response(body="", status_code=204)
