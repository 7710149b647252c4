"""The one way a route is declared: JSON errors for domain refusals, bodies and links.

Every error the API answers is ``{"error": {"code", "message"}}`` with a JSON content type:

- Chalice turns any exception a view raises into its own 500 before middleware can see it, so the
  translation from ``DomainError`` (and of anything unexpected, into a generic 500 with a request
  id) wraps each view here, in ``route``.
- What Chalice answers without calling a view (405 wrong method, 415 unsupported media type, its
  ``BadRequestError`` and binary-``Accept`` 400s, its own 500) is a ``Response`` returned inside
  the ``http`` middleware chain, in local mode and on Lambda alike: ``one_error_shape``
  (registered first in app.py) rewrites any error body not in the service's shape.
- Unknown routes never reach the app: ``chalice local`` answers them in its gateway (rewritten by
  ``infra/local.py``), API Gateway with its Gateway Responses (declared by ``infra/deploy.py``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
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
from chalicelib.logic.updates import Links, hidden_from_sites, unknown_plugin
from chalicelib.settings import get_settings

View = TypeVar("View", bound=Callable[..., Any])

log = logging.getLogger(__name__)

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
#: How deep a JSON body may nest (our bodies are flat objects; deeper is an attack or a mistake).
MAX_BODY_DEPTH = 16

#: The code for an error status whose body was not made by us (Chalice's own answers).
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str | list[str]] | None = None
) -> Response:
    return Response(
        body={"error": {"code": code, "message": message}},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def internal_error(request: Any) -> Response:
    """The one 500: a generic message and the request id to quote, never a stack trace."""
    request_id = request_id_of(request)
    return error_response(
        500,
        "internal_error",
        f"an internal error occurred; quote request id {request_id}",
        {"X-Request-Id": request_id},
    )


def request_id_of(request: Any) -> str:
    """API Gateway's request id, else the Lambda invocation's (chalice local), else a fresh one."""
    context = getattr(request, "context", None) or {}
    lambda_context = getattr(request, "lambda_context", None)
    return str(context.get("requestId") or getattr(lambda_context, "aws_request_id", None) or uuid.uuid4())


def route(blueprint: Blueprint, path: str, **options: Any) -> Callable[[View], View]:
    """``blueprint.route`` with domain errors answered as 4xx JSON, anything else as our 500."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def handle(**params: Any) -> Any:
            try:
                return view(**params)
            except DomainError as exc:
                status = next(s for cls, s in _STATUS.items() if isinstance(exc, cls))
                log.info(
                    "refused", extra={"route": view.__name__, "status": status, "reason": exc.code, **params}
                )
                retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
                return error_response(status, exc.code, exc.message, retry)
            except Exception:
                log.exception("unhandled error", extra={"route": view.__name__, **params})
                return internal_error(blueprint.current_request)

        blueprint.route(path, **options)(handle)
        return view

    return decorate


def one_error_shape(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """``http`` middleware: any JSON error answer not already ``{"error": {"code", "message"}}``
    (what Chalice makes on its own: ``{"Code", "Message"}``) is rewritten into it, any 5xx becomes
    our generic 500, and so does an exception escaping the chain. A 4xx whose body is text is
    ours on purpose (the dashboard answers a browser with its login page) and is left alone."""
    try:
        response = get_response(event)
    except Exception:
        log.exception("unhandled error outside a view")
        return internal_error(event)
    if not isinstance(response, Response) or response.status_code < 400 or _in_shape(response.body):
        return response
    if response.status_code >= 500:
        return internal_error(event)
    body = response.body
    if not isinstance(body, dict):  # a page we chose to answer (the dashboard's 401 login form)
        return response
    message = body.get("Message") or body.get("message")
    code = _STATUS_CODES.get(response.status_code, "bad_request")
    if body.get("Code") == "BadRequest":  # a binary response to a request without a matching Accept
        code = "not_acceptable"
    elif message == "Error Parsing JSON":  # Chalice's ``Request.json_body``
        code = "invalid_json"
    headers = {
        k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")
    }
    text = message if isinstance(message, str) and message else f"request refused ({response.status_code})"
    return error_response(response.status_code, code, text, headers)


def _in_shape(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    )


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
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # also UnicodeDecodeError, and numbers over Python's 4300 digits
        raise InvalidInput("request body is not valid UTF-8 JSON", code="invalid_json") from None
    if not isinstance(value, dict):
        raise InvalidInput("request body must be a JSON object", code="invalid_json")
    _check_nesting(value)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep() -> InvalidInput:
    return InvalidInput(f"request body nests deeper than {MAX_BODY_DEPTH} levels", code="body_too_deep")


def _check_nesting(value: Any) -> None:
    """Refuse bodies nested deeper than ``MAX_BODY_DEPTH`` and strings with lone surrogates
    (``"\\ud800"`` parses, but cannot be stored or encoded again)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput("request body holds invalid Unicode", code="invalid_json") from None
        elif isinstance(item, dict | list):
            if depth > MAX_BODY_DEPTH:
                raise _too_deep()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


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


def find_plugin(slug: str, *, active_only: bool = True, site_key: bool = False) -> Plugin:
    """The plugin a route names. Sites never see a deactivated one, nor a private one without a
    valid site key (``site_key``): either answers exactly as an unknown slug. Admins see all."""
    plugin = repository().get_plugin(check_slug(slug))
    if plugin is None or (active_only and hidden_from_sites(plugin, site_key=site_key)):
        raise unknown_plugin(slug)
    return plugin
