"""What makes an answer cacheable and where it points: ETags and Cache-Control for every JSON
answer a cache may keep, and our own public base URL. Apart from ``api/http.py`` (the warm reads
of the whole app) because check-update's fast path (``api/hot_check.py``) answers with them too."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalice.app import Response

from chalicelib.logic.links import Links
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
