"""Answers shared by the routes: cache validators, our own links, and the plugin a route names."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from chalice.app import Response

from chalicelib.adapters import repository
from chalicelib.logic.hotcache import HotReads
from chalicelib.logic.links import Links
from chalicelib.logic.model import Plugin
from chalicelib.logic.ports import Repository
from chalicelib.logic.visibility import hidden_from_sites, unknown_plugin
from chalicelib.settings import get_settings


def cacheable(body: dict[str, Any], request: Any, *, personal: bool, vary: str) -> Response:
    """A JSON answer with an ETag (304 when the client has it). Anonymous answers may be cached
    briefly by anyone; an answer for one site (rollout) only by that site. ``vary`` names every
    request header the answer depends on (``api/cache_keys.py``)."""
    etag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
    seconds = get_settings().public_cache_seconds
    headers: dict[str, str | list[str]] = {
        "ETag": etag,
        "Cache-Control": f"private, max-age={seconds}" if personal else f"public, max-age={seconds}",
        "Vary": vary,
    }
    if etag in (request.headers.get("if-none-match") or "").replace(" ", "").split(","):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, headers={"Content-Type": "application/json", **headers})


def links(context: dict[str, Any], headers: Any) -> Links:
    """Our own public base URL: configured, else the API Gateway domain and stage of this request."""
    settings = get_settings()
    if settings.public_base_url:
        return Links(settings.public_base_url)
    domain = context.get("domainName") or headers.get("host", "localhost")
    return Links(f"https://{domain}/{context.get('stage', 'api')}")


def find_plugin(slug: str, *, active_only: bool = True, site_key: bool = False) -> Plugin:
    """The plugin a route names. Sites never see a deactivated one, nor a private one without a
    valid site key (``site_key``): either answers exactly as an unknown slug. Admins see all, and
    read their own writes; sites get it from memory while fresh (``hot``)."""
    plugin = hot().plugin(slug) if active_only else repository().get_plugin(slug)
    if plugin is None or (active_only and hidden_from_sites(plugin, site_key=site_key)):
        raise unknown_plugin(slug)
    return plugin


def hot() -> HotReads:
    """This container's warm reads, for this stage's repository (a new one after
    ``adapters.reset``) and its ``hot_cache_seconds``."""
    return _hot(repository(), get_settings().hot_cache_seconds)


@lru_cache(maxsize=1)
def _hot(repo: Repository, seconds: int) -> HotReads:
    return HotReads(repo, seconds)
