"""The console's session: people sign in with their user pool account, in every stage.

``/admin/console/...`` serves every admin route to people (``api/routing.py``: the same views
and roles, no API Gateway authorizer, since a browser cannot sign a request); this module adds
its sign-in page, sign-in and sign-out:

- ``GET /admin/console/dashboard``: the console for a signed-in person (``console_ui/index.html``:
  plugins, versions and their actions, guarded rollouts, uploads, sites, audit, statistics), else 401 and the
  sign-in form (403 with the reason for an account in no role group). Its CSP lets its scripts
  call this origin and the bucket's (presigned uploads), nothing else.
- ``POST /admin/console/session`` (form or JSON ``username``, ``password``): the pool checks the
  password (``chalicelib/identity.py``); the access token becomes the session cookie, HttpOnly
  (no page script can read it), SameSite=Strict, Secure over HTTPS, scoped to the console's path,
  expiring with the token (1 h). The refresh token, kept only so that sign-out can revoke it, is
  scoped to the sign-out path alone. A sign-in posted from another site is refused.
- ``POST /admin/console/logout``: with the session's CSRF token (form field ``csrf`` or the
  ``X-CSRF-Token`` header), revokes the refresh token and signs out at the pool, then clears the
  cookies. An already ended session just has its cookies cleared.

Tokens travel only in cookies and POST bodies, never in a URL or a page.
"""

from __future__ import annotations

import functools
import logging
from typing import Any
from urllib.parse import quote, urlsplit

from chalice.app import Blueprint, Response

from chalicelib.adapters import store
from chalicelib.api.auth import REFRESH_COOKIE, SESSION_COOKIE, cookie, csrf_token, same_site, session_person
from chalicelib.api.bodies import FORM, media_type, parse_body
from chalicelib.api.console_page import console_body, new_nonce
from chalicelib.api.dashboard import html_page, login_page, secure
from chalicelib.api.routing import CONSOLE_PREFIX, Auth, route
from chalicelib.identity import sessions, tokens
from chalicelib.logic.commands import ConsoleLogin, ConsoleLogout
from chalicelib.logic.errors import DomainError, Forbidden, InvalidInput, Unauthorized
from chalicelib.settings import get_settings

console = Blueprint(__name__)

log = logging.getLogger(__name__)

_FIELDS = """<label for="username">User name</label>
  <input id="username" name="username" autocomplete="username" required autofocus maxlength="128">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">"""
_HINT = "Your console account. The local stack prints its first admin's name and where its password is."
#: The API's own base path when no public base URL is configured: API Gateway's stage name.
_DEFAULT_BASE_PATH = "/api"


def _sign_in_page(message: str | None = None, status: int = 401) -> Response:
    return login_page(message, fields=_FIELDS, hint=_HINT, status=status)


@route(console, "/admin/console/dashboard", auth=Auth.SESSION_PAGE, produces="text/html")
def console_page() -> Response:
    """The console for a signed-in person (401 and the sign-in form otherwise)."""
    request = console.current_request
    try:
        person = session_person(request.headers, "GET")
    except Unauthorized as exc:
        has_cookie = cookie(request.headers, SESSION_COOKIE) is not None
        return _sign_in_page(exc.message if has_cookie else None)
    except Forbidden as exc:
        return _sign_in_page(exc.message, status=403)
    session = cookie(request.headers, SESSION_COOKIE) or ""
    log.info("console opened", extra={"actor": person.actor, "role": person.role.value})
    nonce = new_nonce()
    body = console_body(person, csrf_token(session), nonce)
    return html_page(200, body, nonce, connect=store().upload_origin())


#: The console's form posts: parsed by their views (a browser gets a page back), answered by a 303.
_form_post = functools.partial(
    route, console, methods=("POST",), auth=Auth.SESSION_PAGE, own_body=True, status=303, produces=""
)


@_form_post("/admin/console/session", body=ConsoleLogin)
def console_sign_in() -> Response:
    """Sign in with a console account: the session cookies and a 303 to the dashboard."""
    request = console.current_request
    content_type = request.headers.get("content-type") or ""
    # A browser's form gets the sign-in page again; a JSON client the service's JSON errors.
    browser = media_type(content_type) == FORM
    try:
        if not same_site(request.headers):
            raise Forbidden("sign in from the console's own page", code="cross_site")
        login = parse_body(ConsoleLogin, request.raw_body, content_type)
        signed_in = sessions().sign_in(login.username, login.password)
        person = tokens().person(signed_in.access)
    except (InvalidInput, Unauthorized, Forbidden) as exc:
        if not browser:
            raise
        return _sign_in_page(_page_message(exc), status=403 if isinstance(exc, Forbidden) else 401)
    log.info("signed in", extra={"actor": person.actor, "role": person.role.value})
    headers = request.headers
    return _redirect(
        [
            _cookie(SESSION_COOKIE, signed_in.access, _console_path(), signed_in.expires_in, headers),
            _cookie(
                REFRESH_COOKIE, signed_in.refresh, _console_path() + "/logout", signed_in.expires_in, headers
            ),
        ]
    )


@_form_post("/admin/console/logout", body=ConsoleLogout)
def console_sign_out() -> Response:
    """Sign out: the refresh token revoked, the session ended at the pool, the cookies cleared."""
    request = console.current_request
    content_type = request.headers.get("content-type")
    # Read (and refused when malformed) whether or not a session is left: one answer per body.
    form = parse_body(ConsoleLogout, request.raw_body, content_type)
    session = cookie(request.headers, SESSION_COOKIE)
    if session is not None:
        try:
            person = session_person(request.headers, "POST", csrf=form.csrf or None)
        except Unauthorized:
            person = None  # already ended: only the cookies are left to clear
        if person is not None:
            sessions().sign_out(session, cookie(request.headers, REFRESH_COOKIE) or "")
            log.info("signed out", extra={"actor": person.actor})
    headers = request.headers
    return _redirect(
        [
            _cookie(SESSION_COOKIE, "", _console_path(), 0, headers),
            _cookie(REFRESH_COOKIE, "", _console_path() + "/logout", 0, headers),
        ]
    )


def _page_message(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput) and exc.code == "invalid_input":
        return "The sign-in form could not be read; please try again."
    return exc.message


def _redirect(cookies: list[str]) -> Response:
    return Response(
        body="",
        status_code=303,
        headers={"Location": "dashboard", "Set-Cookie": cookies, "Cache-Control": "no-store"},
    )


def _console_path() -> str:
    """The cookies' path: the console under this API's base path (``/api/admin/console``)."""
    base = urlsplit(get_settings().public_base_url).path.rstrip("/") or _DEFAULT_BASE_PATH
    return base + CONSOLE_PREFIX


def _cookie(name: str, value: str, path: str, max_age: int, headers: Any) -> str:
    parts = [
        f"{name}={quote(value, safe='')}",
        "HttpOnly",
        "SameSite=Strict",
        f"Path={path}",
        f"Max-Age={max_age}",
    ]
    if max_age == 0:
        parts.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    if secure(headers):
        parts.append("Secure")
    return "; ".join(parts)
