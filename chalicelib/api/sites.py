"""Site routes (seed §3.2), called by the plugin on each site with ``X-IGNY8-Site-ID`` and
``X-IGNY8-API-Key``: register-installation, health-check, download-url, track-download."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.adapters import repository
from chalicelib.api.downloads import serve_download
from chalicelib.api.http import find_plugin
from chalicelib.api.routing import Auth, route
from chalicelib.api.views import installation_json
from chalicelib.clock import now
from chalicelib.logic.answers import DownloadUrl, InstallationAnswer
from chalicelib.logic.apptoken import AppUser
from chalicelib.logic.model import Site
from chalicelib.logic.site_inputs import HealthReport, InstallReport, PinnedVersion, Registration
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
    return served.answer().json_body()


@route(
    site,
    "/plugins/{slug}/track-download",
    methods=("POST",),
    auth=Auth.SITE,
    body=InstallReport,
    status=204,
    produces="",
    cors=True,
    app=True,
    app_response=DownloadUrl,
)
def track_download(
    slug: str, caller: Site | None, user: AppUser | None, body: InstallReport | None
) -> Response:
    """The site confirms it installed a download (served downloads are counted when served).

    With an app token instead (the IGNY8 app's download card, no body): the download is served
    to that user, counted, and held to the per-user allowance; the answer's ``url`` is where the
    card sends the browser."""
    if user is not None:
        plugin = find_plugin(slug, site_key=caller is not None)
        served = serve_download(plugin, None, caller, site.current_request, user)
        return Response(body=served.answer().json_body())
    # Without an app user, routing has proven the site and parsed its report.
    assert caller is not None and body is not None
    plugin = find_plugin(slug, site_key=True)
    Telemetry(repository(), now()).installed(caller.site_id, plugin.slug, body)
    return Response(body="", status_code=204)
