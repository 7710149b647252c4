"""Admin credentials, checked in code in every stage.

Deployed, admin routes carry API Gateway's IAM authorizer, so a request reaching us was SigV4-signed
by a principal allowed to invoke it; we still refuse one without an IAM identity, in case a route
is ever deployed without the authorizer. ``chalice local`` does not enforce IAM authorizers, so the
local stack uses a bearer token whose SHA-256 alone is configured.

A browser cannot send ``Authorization: Bearer``, so in token mode the admin dashboard's login
(``POST /admin/session``) puts the same token in an ``HttpOnly; SameSite=Strict`` cookie, which is
accepted as an alternative to the header. The cookie is ignored in IAM mode. These machine
credentials count as the ``admin`` role.

People sign in to the console (``/admin/console/...``, the same routes without API Gateway's
authorizer, since a browser cannot sign requests) with their user pool account, in every stage:
the session cookie holds the pool's access token (HttpOnly: no page script can read it), verified
on each request against the pool's keys (``chalicelib/identity.py``). A request that changes
anything must also carry the session's CSRF token, which the console's pages embed: it is derived
from the access token, so a page of another site, which cannot read the cookie, cannot know it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import unquote

from chalice.app import IAMAuthorizer

from chalicelib.logic.errors import Forbidden, Unauthorized
from chalicelib.logic.roles import Person, Role
from chalicelib.settings import Settings

iam = IAMAuthorizer()

#: The cookie the dashboard's login sets (token mode only).
ADMIN_COOKIE = "igny8_admin"

#: The console's session (the pool's access token) and refresh token (used only to sign out).
SESSION_COOKIE = "igny8_session"
REFRESH_COOKIE = "igny8_refresh"
#: The header carrying the session's CSRF token on the console's state-changing calls.
CSRF_HEADER = "X-CSRF-Token"
#: Methods that change nothing, hence need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: ``Sec-Fetch-Site`` values a browser sends for requests we started ourselves (or typed URLs).
_OWN_FETCH_SITES = {"", "same-origin", "none"}


def machine_person(settings: Settings, context: dict[str, Any], headers: Any) -> Person:
    """The CLI's caller (IAM deployed, the admin token locally): always the ``admin`` role."""
    return Person(actor=require_admin(settings, context, headers), role=Role.ADMIN)


def session_person(headers: Any, method: str, csrf: str | None = None) -> Person:
    """The person whose console session this request carries, or a refusal: ``Unauthorized``
    without a valid session, ``Forbidden`` for a request from another site or a state-changing one
    without the session's CSRF token (from ``csrf``, else the ``X-CSRF-Token`` header)."""
    if not same_site(headers):
        raise Forbidden("console requests must come from the console's own pages", code="cross_site")
    session = cookie(headers, SESSION_COOKIE)
    if session is None:
        raise Unauthorized("sign in to the console first (admin/console/dashboard)")
    # Only the admin API verifies sessions: the public edge never loads PyJWT or the SDK for it.
    from chalicelib.identity import tokens  # noqa: PLC0415

    person = tokens().person(session)
    if method.upper() not in SAFE_METHODS:
        sent = csrf if csrf is not None else headers.get(CSRF_HEADER.lower()) or ""
        if not hmac.compare_digest(sent.encode(), csrf_token(session).encode()):
            raise Forbidden(f"this change needs the session's {CSRF_HEADER}", code="csrf_token_missing")
    return person


def csrf_token(session: str) -> str:
    """The session's CSRF token: a MAC keyed by the (HttpOnly) access token, so it is bound to
    that session and unknowable without it."""
    digest = hmac.new(session.encode(), b"igny8-console-csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
    return cookie(headers, ADMIN_COOKIE) if same_site(headers) else None


def same_site(headers: Any) -> bool:
    """Whether the browser says the request came from our own pages (or no browser sent it)."""
    return (headers.get("sec-fetch-site") or "").strip().lower() in _OWN_FETCH_SITES


def cookie(headers: Any, wanted: str) -> str | None:
    """One cookie's value from the ``Cookie`` header (percent-decoded), or None."""
    for pair in (headers.get("cookie") or "").split(";"):
        name, sep, value = pair.partition("=")
        if sep and name.strip() == wanted:
            return unquote(value.strip().strip('"')) or None
    return None
