"""Public routes (seed §3.1): what every WordPress site calls, no credentials needed.

A private plugin is served only to a caller with a valid site key: without one, every route
answers exactly as for a slug that does not exist (404 ``not_found``), ``latest`` skips it, and
answers about it are never ``Cache-Control: public``. A key that does not match is 401 on every
route, checked before the slug is looked up (``site_plugin``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.adapters import now, repository
from chalicelib.api.downloads import serve_download
from chalicelib.api.http import cacheable, links, route
from chalicelib.api.sites import claimed_site, site_plugin
from chalicelib.logic.errors import NotFound
from chalicelib.logic.model import check_platform
from chalicelib.logic.telemetry import Telemetry
from chalicelib.logic.updates import (
    check_site_id,
    check_update,
    choose_download,
    latest_for_platform,
    plugin_info,
    site_request,
)
from chalicelib.observability import count
from chalicelib.settings import get_settings
from chalicelib.signing import published_keys

public = Blueprint(__name__)


def _query(name: str) -> str | None:
    params: Mapping[str, str] = public.current_request.query_params or {}
    return params.get(name)


def _links() -> Any:
    request = public.current_request
    return links(request.context, request.headers)


@route(public, "/plugins/{slug}/check-update", methods=["GET"])
def check_update_view(slug: str) -> Response:
    request = public.current_request
    plugin, caller = site_plugin(request, slug)
    site = site_request(
        current=_query("current_version"),
        installed_version=_query("installed_version"),
        channel=_query("channel"),
        site_id=request.headers.get("x-igny8-site-id"),
        wp_version=_query("wp_version"),
        php_version=_query("php_version"),
        php=_query("php"),
        user_agent=request.headers.get("user-agent"),
    )
    answer = check_update(plugin, repository().versions(plugin.slug), site, _links())
    count("CheckUpdate")
    if answer["update_available"]:
        count("UpdateOffered")
        if caller is not None:
            Telemetry(repository(), now()).record_offer(caller.site_id, plugin.slug, answer["latest_version"])
    personal = site.site_id is not None or plugin.private or site.read_user_agent
    return cacheable(answer, request, personal=personal)


@route(public, "/plugins/{slug}/info", methods=["GET"])
def info_view(slug: str) -> Response:
    request = public.current_request
    plugin, _ = site_plugin(request, slug)
    site_id = check_site_id(request.headers.get("x-igny8-site-id"))
    answer = plugin_info(plugin, repository().versions(plugin.slug), _links(), site_id)
    return cacheable(answer, request, personal=site_id is not None or plugin.private)


@route(public, "/plugins/{slug}/download", methods=["GET"])
def download_view(slug: str) -> Response:
    request = public.current_request
    plugin, caller = site_plugin(request, slug)
    served = serve_download(plugin, _query("version"), caller, request)
    return Response(body="", status_code=302, headers={"Location": served.url, "Cache-Control": "no-store"})


@route(public, "/plugins/{slug}/signature", methods=["GET"])
def signature_view(slug: str) -> Response:
    """The package's detached signature as a ``.sig`` file, the form WordPress fetches."""
    plugin, _ = site_plugin(public.current_request, slug)
    chosen = choose_download(repository().versions(plugin.slug), _query("version"), plugin.slug, now())
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


@route(public, "/keys", methods=["GET"])
def keys_view() -> Response:
    """The public keys package signatures verify with (retired keys stay for old packages), and the
    same list signed by the stage's root key: sites accept a signing key only through that."""
    keys = published_keys(get_settings().signing_public_keys_parameter)
    return Response(body=keys, headers={"Cache-Control": "public, max-age=300"})


# API Gateway needs sibling path variables to share a name, so ``{slug}`` here is a platform.
@route(public, "/plugins/{slug}/latest", methods=["GET"])
def latest_view(slug: str) -> Response:
    """Private plugins count only for a caller with a valid site key, whose answer is its own
    (private); the anonymous card may be kept by any cache (ETag, 304)."""
    caller = claimed_site(public.current_request)
    platform = check_platform(slug)
    repo = repository()
    plugins = repo.plugins_on_platform(platform.value)
    card = latest_for_platform(plugins, platform.value, _links(), repo.versions, site_key=caller is not None)
    # The same card for every anonymous visitor of the front-end: a CDN or browser may keep it.
    return cacheable(card, public.current_request, personal=caller is not None)
