"""Admin credentials, checked in code in every stage.

Deployed, admin routes carry API Gateway's IAM authorizer, so a request reaching us was SigV4-signed
by a principal allowed to invoke it; we still refuse one without an IAM identity, in case a route
is ever deployed without the authorizer. ``chalice local`` does not enforce IAM authorizers, so the
local stack uses a bearer token whose SHA-256 alone is configured.

A browser cannot send ``Authorization: Bearer``, so in token mode the admin dashboard's login
(``POST /admin/session``) puts the same token in an ``HttpOnly; SameSite=Strict`` cookie, which is
accepted as an alternative to the header. The cookie is ignored in IAM mode.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import unquote

from chalice.app import IAMAuthorizer

from chalicelib.logic.errors import Unauthorized
from chalicelib.settings import Settings

iam = IAMAuthorizer()

#: The cookie the dashboard's login sets (token mode only).
ADMIN_COOKIE = "igny8_admin"

#: ``Sec-Fetch-Site`` values a browser sends for requests we started ourselves (or typed URLs).
_OWN_FETCH_SITES = {"", "same-origin", "none"}


def require_admin(settings: Settings, context: dict[str, Any], headers: Any) -> str:
    """Return who the admin is (for the audit trail), or raise ``Unauthorized``."""
    if settings.admin_auth == "iam":
        arn = (context.get("identity") or {}).get("userArn")
        if not arn:
            raise Unauthorized("admin routes need an IAM-signed (SigV4) request")
        return str(arn)
    authorization = headers.get("authorization")
    if authorization is None:
        token = cookie_token(headers)
        if token is None:
            raise Unauthorized("admin routes need 'Authorization: Bearer <admin token>'")
    else:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("admin routes need 'Authorization: Bearer <admin token>'")
    if not token_is_valid(settings, token):
        raise Unauthorized("the admin token is not valid")
    return "local-admin"


def token_is_valid(settings: Settings, token: str) -> bool:
    """Compare the token's SHA-256 with the configured one, in constant time."""
    token = token.strip()
    if not token or not settings.admin_token_sha256:
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    return hmac.compare_digest(digest, settings.admin_token_sha256)


def cookie_token(headers: Any) -> str | None:
    """The admin token from the ``Cookie`` header (percent-encoded there), unless the request came from another site
    (``Sec-Fetch-Site``: defence in depth on top of ``SameSite=Strict``)."""
    if (headers.get("sec-fetch-site") or "").strip().lower() not in _OWN_FETCH_SITES:
        return None
    for pair in (headers.get("cookie") or "").split(";"):
        name, sep, value = pair.partition("=")
        if sep and name.strip() == ADMIN_COOKIE:
            return unquote(value.strip().strip('"')) or None
    return None
