"""CORS for the few public routes the IGNY8 app's download card calls from the app's own origin.

A route opts in with ``route(..., cors=True)`` (``api/routing.py``), which also registers its
preflight. Only origins configured for the stage (``APP_ORIGINS``) are ever echoed back, one at a
time: no wildcard, so a page elsewhere cannot read the answers even though it can send requests.
Every answer of such a route says ``Vary: Origin`` (the same URL answers differently per origin,
and a shared cache must not hand one origin's answer to another). No cookies are involved (the
app's token travels in a header), so ``Access-Control-Allow-Credentials`` is never sent.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Request, Response

from chalicelib.api.errors import error_response
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)

#: Request headers the card may send beyond the CORS-safelisted ones.
ALLOWED_HEADERS = ("Content-Type", "If-None-Match", "X-IGNY8-App-Token")
#: Seconds a browser may reuse a preflight's answer (Chromium caps it at 7200).
MAX_AGE_SECONDS = 600


def allowed_origin(request: Request) -> str | None:
    """The request's ``Origin`` when this stage lets that origin read the answer, else None."""
    origin = request.headers.get("origin")
    return origin if origin is not None and origin in get_settings().app_origins else None


def with_cors(result: Any, request: Request) -> Response:
    """``result`` (a view's answer or refusal) with the headers that let an allowed origin read it."""
    response = result if isinstance(result, Response) else Response(body=result)
    headers = dict(response.headers)
    vary = [part.strip() for part in str(headers.pop("Vary", "")).split(",") if part.strip()]
    headers["Vary"] = ", ".join(dict.fromkeys([*vary, "Origin"]))  # once, if the answer named it
    origin = allowed_origin(request)
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
    response.headers = headers
    return response


def preflight(request: Request, methods: tuple[str, ...]) -> Response:
    """The answer to a browser asking whether the card may send its request: yes for an allowed
    origin and one of the route's methods, else a refusal the browser enforces (and a developer
    can read in the network tab)."""
    origin = allowed_origin(request)
    asked = (request.headers.get("access-control-request-method") or "").upper()
    if origin is None or asked not in methods:
        log.info(
            "preflight refused",
            extra={"origin": request.headers.get("origin"), "method": asked, "path": request.path},
        )
        refused = error_response(
            403, "cors_refused", "this origin or method may not call this route from a browser"
        )
        refused.headers["Vary"] = "Origin"
        return refused
    return Response(
        body="",
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
            "Vary": "Origin",
        },
    )
