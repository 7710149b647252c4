"""The one way a route is declared: JSON errors for domain refusals, bodies and links.

Chalice turns any exception a view raises into its own 500 before middleware can see it, so the
translation from ``DomainError`` to ``{"error": {"code", "message"}}`` wraps each view here.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from chalice.app import Blueprint, Response

from chalicelib.adapters import repository
from chalicelib.logic.errors import (
    Conflict,
    DomainError,
    Gone,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from chalicelib.logic.model import Plugin, check_slug
from chalicelib.logic.updates import Links
from chalicelib.settings import get_settings

View = TypeVar("View", bound=Callable[..., Any])

_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooManyRequests: 429,
}

#: Site and admin bodies are small; anything bigger is refused before parsing.
MAX_BODY_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"
#: What a route taking ``body_fields`` declares (Chalice answers 415 to any other Content-Type).
BODY_TYPES = ["application/json", FORM]
_MAX_FORM_FIELDS = 50


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body={"error": {"code": code, "message": message}},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def route(blueprint: Blueprint, path: str, **options: Any) -> Callable[[View], View]:
    """``blueprint.route`` with domain errors answered as 4xx JSON."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def handle(**params: Any) -> Any:
            try:
                return view(**params)
            except DomainError as exc:
                status = next(s for cls, s in _STATUS.items() if isinstance(exc, cls))
                retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
                return error_response(status, exc.code, exc.message, retry)

        blueprint.route(path, **options)(handle)
        return view

    return decorate


def cacheable(body: dict[str, Any], request: Any, *, personal: bool) -> Response:
    """A JSON answer with an ETag (304 when the client has it). Anonymous answers may be cached
    briefly by anyone; an answer for one site (rollout) only by that site."""
    etag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
    seconds = get_settings().public_cache_seconds
    headers: dict[str, str | list[str]] = {
        "ETag": etag,
        "Cache-Control": f"private, max-age={seconds}" if personal else f"public, max-age={seconds}",
        "Vary": "X-IGNY8-Site-ID",
    }
    if etag in (request.headers.get("if-none-match") or "").replace(" ", "").split(","):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, headers={"Content-Type": "application/json", **headers})


def json_body(raw: str | bytes | None) -> dict[str, Any]:
    """Parse a request body that must be a JSON object (an empty body counts as ``{}``)."""
    if not raw:
        return {}
    _check_size(raw)
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("request body is not valid JSON", code="invalid_json") from None
    if not isinstance(value, dict):
        raise InvalidInput("request body must be a JSON object", code="invalid_json")
    return value


def body_fields(raw: str | bytes | None, content_type: str | None) -> dict[str, Any]:
    """A JSON object, or the fields of a form-encoded body: what ``wp_remote_post()`` sends for an
    array body, WordPress' default. Each form field must appear once (``a[]=`` arrays are refused
    as unknown fields by whoever checks them)."""
    if (content_type or "").split(";", maxsplit=1)[0].strip().lower() != FORM:
        return json_body(raw)
    _check_size(raw or "")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw or ""
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("request body is not a valid UTF-8 form", code="invalid_form") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInput("a form field appears more than once", code="invalid_form")
    return fields


def _check_size(raw: str | bytes) -> None:
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"request body is larger than {MAX_BODY_BYTES} bytes", code="body_too_large")


def links(context: dict[str, Any], headers: Any) -> Links:
    """Our own public base URL: configured, else the API Gateway domain and stage of this request."""
    settings = get_settings()
    if settings.public_base_url:
        return Links(settings.public_base_url)
    domain = context.get("domainName") or headers.get("host", "localhost")
    return Links(f"https://{domain}/{context.get('stage', 'api')}")


def find_plugin(slug: str, *, active_only: bool = True) -> Plugin:
    """The plugin a route names; sites never see a deactivated one, admins do."""
    plugin = repository().get_plugin(check_slug(slug))
    if plugin is None or (active_only and not plugin.is_active):
        raise NotFound(f"no plugin {slug!r}")
    return plugin
