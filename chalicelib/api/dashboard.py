"""The machine admin's dashboard (seed §10.2): one read-only HTML page drawing the admin JSON API's
stats in a browser.

``GET /admin/dashboard`` serves ``console_ui/dashboard.html`` with the statistics' markup and
scripts the console's plugin page uses too (``api/console_page.py``); it fetches ``plugins``,
``plugins/{slug}/rollouts`` and ``plugins/{slug}/stats`` relative to itself (same origin, with
the browser's credentials). It changes nothing: its token cookie carries no CSRF token, so every
action lives in the console, whose changes need the session's.

Credentials depend on the stage, exactly as for every other admin route:

- **IAM mode** (deployed): the routes carry API Gateway's IAM authorizer, so the page and the JSON
  it fetches need a SigV4-signed request (e.g. through a signing proxy); ``require_admin`` refuses a
  request without an IAM identity. There is no login form and no session: ``/admin/session`` and
  ``/admin/logout`` answer 404.
- **Token mode** (the local stack): a browser cannot send ``Authorization: Bearer``, so without
  credentials the page answers 401 with a login form. ``POST /admin/session`` checks the token
  exactly as ``require_admin`` does (constant time, against the configured SHA-256) and sets it as
  an ``HttpOnly; SameSite=Strict`` cookie, which ``require_admin`` accepts instead of the header.
  The token travels only in a POST body or that cookie, never in a URL, so request logs never
  hold it; it is never echoed in a response.

People sign in to the console at ``/admin/console/dashboard`` with their user pool account in
every stage (``api/console.py``); the pieces both share (``html_page``, the sign-in form) are here.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from chalice.app import Blueprint, Response

from chalicelib.api.auth import ADMIN_COOKIE, require_admin, token_is_valid
from chalicelib.api.bodies import FORM, media_type, parse_body
from chalicelib.api.console_page import DASHBOARD_SCRIPTS, DASHBOARD_STYLES, assemble, new_nonce, ui_file
from chalicelib.api.routing import Auth, route
from chalicelib.logic.commands import SessionLogin
from chalicelib.logic.errors import InvalidInput, NotFound, Unauthorized
from chalicelib.settings import get_settings

dashboard = Blueprint(__name__)


def html_page(
    status: int, body: str, nonce: str, extra: dict[str, str] | None = None, connect: str = ""
) -> Response:
    """An HTML answer no one caches or frames, running only our own inline code; ``connect`` is
    one more origin its scripts may call (the console's presigned uploads to the bucket)."""
    connect_src = f"'self' {connect}" if connect else "'self'"
    csp = (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        f"connect-src {connect_src}; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Security-Policy": csp,
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            **(extra or {}),
        },
    )


_LOGIN = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>IGNY8 plugins · admin sign-in</title>
<link rel="icon" href="data:,">
<style nonce="{nonce}">
  body {{ font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f6f9;
         color: #1f2933; margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }}
  form {{ background: #fff; padding: 28px 32px; border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.08);
          width: min(360px, 90vw); }}
  h1 {{ font-size: 18px; margin: 0 0 16px; }}
  label {{ display: block; font-weight: 600; margin: 10px 0 6px; }}
  input {{ width: 100%; box-sizing: border-box; padding: 9px 10px; border: 1px solid #c5ccd6; border-radius: 6px;
           font: inherit; }}
  button {{ margin-top: 16px; width: 100%; padding: 9px; border: 0; border-radius: 6px; background: #2563eb;
            color: #fff; font: inherit; font-weight: 600; cursor: pointer; }}
  .message {{ background: #fdecec; color: #9b1c1c; padding: 8px 10px; border-radius: 6px; margin-bottom: 14px; }}
  .hint {{ color: #52606d; font-size: 13px; margin-top: 12px; }}
</style>
</head>
<body>
<form id="login" method="post" action="session">
  <h1>IGNY8 plugin distribution · admin</h1>
  {message}
  {fields}
  <button type="submit">Sign in</button>
  <p class="hint">{hint}</p>
</form>
<script nonce="{nonce}">
  // The form posts next to the dashboard; from ".../dashboard/" that is one level up.
  if (location.pathname.endsWith("/")) document.getElementById("login").action = "../session";
</script>
</body>
</html>
"""


_LOCAL_FIELDS = """<label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>"""
_LOCAL_HINT = (
    "The local stack writes its token next to <code>stack.json</code> (<code>admin_token_file</code>)."
)


def login_page(
    message: str | None = None, *, fields: str = _LOCAL_FIELDS, hint: str = _LOCAL_HINT, status: int = 401
) -> Response:
    """The sign-in form (``fields`` and ``hint`` are our own markup), with ``message`` escaped."""
    nonce = new_nonce()
    text = f'<p class="message" role="alert">{html.escape(message)}</p>' if message else ""
    return html_page(status, _LOGIN.format(nonce=nonce, message=text, fields=fields, hint=hint), nonce)


def dashboard_html(auth: str, csrf: str = "") -> Response:
    """The dashboard page for a signed-in caller; ``csrf`` is the session's token its forms send."""
    nonce = new_nonce()
    body = assemble(
        ui_file("dashboard.html"),
        nonce,
        {"title": "IGNY8 plugins · dashboard", "auth": auth, "csrf": csrf},
        styles=DASHBOARD_STYLES,
        scripts=DASHBOARD_SCRIPTS,
        panel_heading="h2",
    )
    return html_page(200, body, nonce)


def secure(headers: Any) -> bool:
    return (headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower() == "https"


def _cookie(value: str, headers: Any, *, clear: bool = False) -> str:
    parts = [f"{ADMIN_COOKIE}={value}", "HttpOnly", "SameSite=Strict", "Path=/"]
    if clear:
        parts += ["Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    if secure(headers):
        parts.append("Secure")
    return "; ".join(parts)


def _token_mode_only() -> None:
    if get_settings().admin_auth != "token":
        raise NotFound("admin sessions exist only with token authentication (the local stack)")


@route(dashboard, "/admin/dashboard", auth=Auth.ADMIN_PAGE, produces="text/html")
def dashboard_page() -> Response:
    """The page (401 login form in token mode without credentials)."""
    settings = get_settings()
    request = dashboard.current_request
    try:
        require_admin(settings, request.context, request.headers)
    except Unauthorized:
        if settings.admin_auth != "token":
            raise
        return login_page()
    return dashboard_html(settings.admin_auth)


@route(
    dashboard,
    "/admin/session",
    methods=("POST",),
    auth=Auth.ADMIN_PAGE,
    body=SessionLogin,
    own_body=True,
    status=303,
    produces="",
)
def create_session() -> Response:
    """Sign in with the admin token (token mode): a cookie and a 303 back to the dashboard."""
    _token_mode_only()
    request = dashboard.current_request
    content_type = request.headers.get("content-type") or ""
    # A browser's form gets the login page again; a JSON client the service's JSON errors.
    browser = media_type(content_type) == FORM
    try:
        token = parse_body(SessionLogin, request.raw_body, content_type).token
    except InvalidInput:
        if not browser:
            raise
        return login_page("The sign-in form could not be read; please try again.")
    if not token_is_valid(get_settings(), token):
        if not browser:
            raise Unauthorized("the admin token is not valid")
        return login_page("That admin token is not valid.")
    return Response(
        body="",
        status_code=303,
        headers={
            "Location": "dashboard",
            "Set-Cookie": _cookie(quote(token.strip(), safe=""), request.headers),
            "Cache-Control": "no-store",
        },
    )


@route(dashboard, "/admin/logout", methods=("POST",), auth=Auth.ADMIN_PAGE, status=303, produces="")
def logout() -> Response:
    """Forget the session cookie (token mode) and go back to the login form."""
    _token_mode_only()
    request = dashboard.current_request
    return Response(
        body="",
        status_code=303,
        headers={
            "Location": "dashboard",
            "Set-Cookie": _cookie("", request.headers, clear=True),
            "Cache-Control": "no-store",
        },
    )
