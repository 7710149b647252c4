"""Public routes (seed §3.1): what every WordPress site calls, no credentials needed.

A private plugin is served only to a caller with a valid site key: without one, every route
answers exactly as for a slug that does not exist (404 ``not_found``), ``latest`` skips it, and
answers about it are never ``Cache-Control: public``. A key that does not match is 401 on every
route, checked before the slug is looked up (``api/routing.py``)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.adapters import repository
from chalicelib.api.cache_keys import vary
from chalicelib.api.cacheable import cacheable, links
from chalicelib.api.downloads import serve_download
from chalicelib.api.http import find_plugin, hot
from chalicelib.api.routing import Auth, route
from chalicelib.api.signed import seal, signed
from chalicelib.clock import now
from chalicelib.logic.answers import CheckUpdateAnswer, LatestCard, PluginInformation, PublishedKeys
from chalicelib.logic.apptoken import AppUser
from chalicelib.logic.checks import check_site_id, check_update, site_request
from chalicelib.logic.decision import choose_download
from chalicelib.logic.errors import NotFound
from chalicelib.logic.fields import PlatformName
from chalicelib.logic.model import Platform, Site
from chalicelib.logic.release import complete, ordered
from chalicelib.logic.release_index import lookup
from chalicelib.logic.site_inputs import CheckUpdateQuery, PinnedVersion
from chalicelib.logic.telemetry import Telemetry
from chalicelib.logic.updates import latest_for_platform
from chalicelib.observability import count
from chalicelib.settings import get_settings
from chalicelib.signing import published_keys

public = Blueprint(__name__)
#: The answers a shared cache may keep answer 304 to a matching If-None-Match.
_REVALIDATED = (304,)


def _links() -> Any:
    request = public.current_request
    return links(request.context, request.headers)


@route(
    public,
    "/plugins/{slug}/check-update",
    auth=Auth.SITE_OPTIONAL,
    query=CheckUpdateQuery,
    response=CheckUpdateAnswer,
    also=_REVALIDATED,
)
def check_update_view(slug: str, caller: Site | None, query: CheckUpdateQuery) -> Response:
    """Is there an update for this site? WordPress' update item included (``update``)."""
    request = public.current_request
    plugin = find_plugin(slug, site_key=caller is not None)
    site = site_request(
        query, site_id=request.headers.get("x-igny8-site-id"), user_agent=request.headers.get("user-agent")
    )
    releases = ordered(plugin.releases)
    answer = check_update(plugin, releases, site, _links(), lookup(repository(), plugin.slug))
    count("CheckUpdate")
    if answer["update_available"]:
        count("UpdateOffered")
        offered = answer["latest_version"]
        if caller is not None and hot().offer_changed(caller.site_id, plugin.slug, offered):
            step = plugin.releases[offered].rollout_percent  # the funnel's step, without a read
            Telemetry(repository(), now()).record_offer(caller.site_id, plugin.slug, offered, step)
    personal = site.personal(private=plugin.private)
    return signed(cacheable(seal(answer), request, personal=personal, vary=vary(request)))


@route(
    public,
    "/plugins/{slug}/info",
    auth=Auth.SITE_OPTIONAL,
    response=PluginInformation,
    also=_REVALIDATED,
    cors=True,
)
def info_view(slug: str, caller: Site | None) -> Response:
    """The "View details" answer (WordPress' plugins_api, with plugin-update-checker's names)."""
    request = public.current_request
    plugin = find_plugin(slug, site_key=caller is not None)
    site_id = check_site_id(request.headers.get("x-igny8-site-id"))
    answer = hot().info(plugin, site_id, _links())
    personal = site_id is not None or plugin.private
    return signed(cacheable(seal(answer), request, personal=personal, vary=vary(request)))


@route(
    public,
    "/plugins/{slug}/download",
    auth=Auth.SITE_OPTIONAL,
    query=PinnedVersion,
    status=302,
    produces="",
    cors=True,
    app=True,
)
def download_view(slug: str, caller: Site | None, user: AppUser | None, query: PinnedVersion) -> Response:
    """A redirect to a fresh, short-lived link to the package (the latest, or a pinned version).
    With an app token, counted for that user under the per-user allowance."""
    plugin = find_plugin(slug, site_key=caller is not None)
    served = serve_download(plugin, query.version, caller, public.current_request, user)
    return Response(body="", status_code=302, headers={"Location": served.url, "Cache-Control": "no-store"})


@route(
    public, "/plugins/{slug}/signature", auth=Auth.SITE_OPTIONAL, query=PinnedVersion, produces="text/plain"
)
def signature_view(slug: str, caller: Site | None, query: PinnedVersion) -> Response:
    """The package's detached signature as a ``.sig`` file, the form WordPress fetches."""
    plugin = find_plugin(slug, site_key=caller is not None)
    found = lookup(repository(), plugin.slug)
    chosen = choose_download(complete(plugin.releases), query.version, plugin.slug, now(), found)
    if not chosen.signature:
        raise NotFound(f"{plugin.slug} {chosen.version} has no signature", code="unsigned")
    return Response(
        body=chosen.signature + "\n",
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "X-Signature-Key-Id": chosen.signature_key_id,
            **({"Cache-Control": "private"} if plugin.private else {}),
        },
    )


@route(public, "/keys", response=PublishedKeys)
def keys_view() -> Response:
    """The public keys package signatures verify with (retired keys stay for old packages), and the
    same list signed by the stage's root key: sites accept a signing key only through that."""
    keys = published_keys(get_settings().signing_public_keys_parameter)
    return Response(
        body=keys, headers={"Cache-Control": "public, max-age=300", "Vary": vary(public.current_request)}
    )


# API Gateway needs sibling path variables to share a name, so ``{slug}`` here is a platform.
@route(
    public,
    "/plugins/{slug}/latest",
    auth=Auth.SITE_OPTIONAL,
    path_types={"slug": PlatformName},
    response=LatestCard,
    also=_REVALIDATED,
    cors=True,
)
def latest_view(slug: Platform, caller: Site | None) -> Response:
    """The "download our plugin" card: the platform's most recently released plugin. Private
    plugins count only for a caller with a valid site key, whose answer is its own (private); the
    anonymous card may be kept by any cache (ETag, 304)."""
    plugins = hot().platform(slug.value)
    releases = {plugin.slug: ordered(plugin.releases) for plugin in plugins}
    card = latest_for_platform(
        plugins, slug.value, _links(), releases.__getitem__, site_key=caller is not None
    )
    return cacheable(
        card, public.current_request, personal=caller is not None, vary=vary(public.current_request)
    )
