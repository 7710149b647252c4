"""The one error shape, ``{"error": {"code", "message"}}`` with a JSON content type, for every answer.

- A view's refusals (``DomainError``) and anything unexpected (a generic 500 with a request id) are
  translated where each view is wrapped (``api/routing.py``), because Chalice turns an exception a
  view raises into its own 500 before middleware can see it.
- What Chalice answers without calling a view (405 wrong method, its ``BadRequestError`` and
  binary-``Accept`` 400s, its own 500) is a ``Response`` returned inside the ``http`` middleware
  chain, in local mode and on Lambda alike: ``one_error_shape`` (registered first in app.py)
  rewrites any error body not in the service's shape.
- Unknown routes never reach the app: ``chalice local`` answers them in its gateway (rewritten by
  ``infra/local.py``), API Gateway with its Gateway Responses (declared by ``infra/deploy.py``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.api.bodies import UnsupportedMediaType
from chalicelib.logic.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

log = logging.getLogger(__name__)

#: The HTTP status of each kind of refusal the domain makes.
STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    UnsupportedMediaType: 415,
    TooManyRequests: 429,
}

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


def refusal(exc: DomainError) -> Response:
    """A domain refusal as its status and the service's error body."""
    status = next(s for cls, s in STATUS.items() if isinstance(exc, cls))
    retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return error_response(status, exc.code, exc.message, retry)


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
