"""The dashboard's browser session: the admin token in a cookie, the login, the logout and the page."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from chalice.app import CaseInsensitiveMapping
from chalice.test import Client

from admin.app import app
from chalicelib.api import dashboard as dashboard_module
from chalicelib.api.auth import ADMIN_COOKIE, require_admin
from chalicelib.logic.errors import Unauthorized
from chalicelib.settings import Settings, load_settings

TOKEN = "s3cr3t-dashboard-token/with+odd=chars"  # a throwaway credential
ARN = "arn:aws:iam::123456789012:user/alice"
pytestmark = pytest.mark.filterwarnings("ignore:IAMAuthorizer is not a supported in local mode")

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def token_mode() -> Settings:
    return replace(
        load_settings(), admin_auth="token", admin_token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest()
    )


@pytest.fixture
def iam_mode(token_mode: Settings) -> Settings:
    return replace(token_mode, admin_auth="iam")


def headers(**values: str) -> CaseInsensitiveMapping:
    return CaseInsensitiveMapping({name.replace("_", "-"): value for name, value in values.items()})


def cookie(token: str = TOKEN, **others: str) -> str:
    pairs = [f"{name}={value}" for name, value in others.items()] + [
        f"{ADMIN_COOKIE}={quote(token, safe='')}"
    ]
    return "; ".join(pairs)


# --- require_admin with the cookie ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(cookie(), id="alone"),
        pytest.param(cookie(theme="dark", sid="x"), id="among-others"),
        pytest.param(f'{ADMIN_COOKIE}="{quote(TOKEN, safe="")}"', id="quoted"),
    ],
)
def test_token_mode_accepts_the_admin_token_in_the_cookie(token_mode: Settings, value: str) -> None:
    assert require_admin(token_mode, {}, headers(Cookie=value)) == "local-admin"


@pytest.mark.parametrize("fetch_site", ["same-origin", "none"])
def test_the_cookie_works_for_the_dashboards_own_requests(token_mode: Settings, fetch_site: str) -> None:
    assert require_admin(token_mode, {}, headers(Cookie=cookie(), Sec_Fetch_Site=fetch_site)) == "local-admin"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(cookie("wrong-token"), id="wrong-token"),
        pytest.param(cookie(TOKEN + "x"), id="extra-char"),
        pytest.param(cookie(TOKEN[:-1]), id="prefix"),
        pytest.param(cookie(hashlib.sha256(TOKEN.encode()).hexdigest()), id="the-hash-itself"),
        pytest.param(f"{ADMIN_COOKIE}=", id="empty"),
        pytest.param(f"other_{ADMIN_COOKIE}={quote(TOKEN, safe='')}", id="another-cookie-name"),
        pytest.param("garbage;;==;", id="garbage"),
    ],
)
def test_token_mode_refuses_a_wrong_cookie(token_mode: Settings, value: str) -> None:
    with pytest.raises(Unauthorized):
        require_admin(token_mode, {}, headers(Cookie=value))


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_the_cookie_is_ignored_on_a_request_from_another_site(token_mode: Settings, fetch_site: str) -> None:
    with pytest.raises(Unauthorized):
        require_admin(token_mode, {}, headers(Cookie=cookie(), Sec_Fetch_Site=fetch_site))


def test_a_wrong_authorization_header_is_not_rescued_by_the_cookie(token_mode: Settings) -> None:
    with pytest.raises(Unauthorized):
        require_admin(token_mode, {}, headers(Authorization="Bearer wrong", Cookie=cookie()))


def test_iam_mode_ignores_the_cookie(iam_mode: Settings) -> None:
    with pytest.raises(Unauthorized):
        require_admin(iam_mode, {}, headers(Cookie=cookie()))
    assert require_admin(iam_mode, {"identity": {"userArn": ARN}}, headers(Cookie=cookie("x"))) == ARN


# --- the routes, on the real app (settings swapped; these routes touch no AWS) --------------------
#
# Chalice consumes a blueprint's route options on its first registration, so the blueprint cannot be
# registered again on a test app of our own: app.py's registration is the one under test.


def test_the_app_serves_the_dashboard_routes() -> None:
    assert {
        path: sorted(app.routes[path]) for path in ("/admin/dashboard", "/admin/session", "/admin/logout")
    } == {
        "/admin/dashboard": ["GET"],
        "/admin/session": ["POST"],
        "/admin/logout": ["POST"],
    }


@pytest.fixture
def client(token_mode: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setattr(dashboard_module, "get_settings", lambda: token_mode)
    with Client(app) as test_client:
        yield test_client


def lower(response: Any) -> dict[str, str]:
    """The test client's headers keep their case; HTTP's do not matter."""
    return {name.lower(): value for name, value in response.headers.items()}


def login(client: Client, token: str = TOKEN, **extra: str) -> Any:
    return client.http.post(
        "/admin/session", headers={**FORM, **extra}, body=f"token={quote(token, safe='')}"
    )


def test_login_sets_an_http_only_cookie_and_redirects_to_the_dashboard(client: Client) -> None:
    response = login(client)

    assert response.status_code == 303
    assert lower(response)["location"] == "dashboard"
    set_cookie = lower(response)["set-cookie"]
    attributes = [part.strip() for part in set_cookie.split(";")]
    assert attributes[0] == f"{ADMIN_COOKIE}={quote(TOKEN, safe='')}"
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attributes)
    assert "Secure" not in attributes
    assert lower(response)["cache-control"] == "no-store"


def test_login_over_https_marks_the_cookie_secure(client: Client) -> None:
    response = login(client, **{"X-Forwarded-Proto": "https"})

    assert response.status_code == 303
    assert "Secure" in [part.strip() for part in lower(response)["set-cookie"].split(";")]


def test_login_accepts_json_too(client: Client) -> None:
    response = client.http.post(
        "/admin/session", headers={"Content-Type": "application/json"}, body=f'{{"token": "{TOKEN}"}}'
    )

    assert response.status_code == 303
    assert lower(response)["set-cookie"].startswith(f"{ADMIN_COOKIE}=")


@pytest.mark.parametrize("token", ["wrong-token-value", "", TOKEN + "x"])
def test_a_wrong_token_gets_the_login_page_again_without_echoing_it(client: Client, token: str) -> None:
    response = login(client, token)

    assert response.status_code == 401
    assert lower(response)["content-type"] == "text/html; charset=utf-8"
    assert "set-cookie" not in lower(response)
    body = response.body.decode()
    assert 'action="session"' in body
    assert 'type="password"' in body
    assert "not valid" in body
    if token:
        assert token not in body
        assert quote(token, safe="") not in body


def test_an_unreadable_login_body_gets_the_login_page(client: Client) -> None:
    response = client.http.post("/admin/session", headers=FORM, body=b"token=%ff%fe\xff")

    assert response.status_code == 401
    assert "set-cookie" not in lower(response)


def test_the_dashboard_without_credentials_is_the_login_form(client: Client) -> None:
    response = client.http.get("/admin/dashboard")

    assert response.status_code == 401
    assert lower(response)["content-type"] == "text/html; charset=utf-8"
    assert lower(response)["cache-control"] == "no-store"
    assert lower(response)["x-frame-options"] == "DENY"
    body = response.body.decode()
    assert '<form id="login" method="post" action="session">' in body
    assert 'name="token"' in body


def test_the_dashboard_with_the_cookie_is_the_page(client: Client) -> None:
    response = client.http.get("/admin/dashboard", headers={"Cookie": cookie()})

    assert response.status_code == 200
    assert lower(response)["content-type"] == "text/html; charset=utf-8"
    assert lower(response)["cache-control"] == "no-store"
    assert lower(response)["x-frame-options"] == "DENY"
    csp = lower(response)["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    body = response.body.decode()
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in body
    assert f'<style nonce="{nonce}">' in body
    assert "{{" not in body
    for chart in ("chart-versions", "chart-downloads", "chart-adoption"):
        assert f'id="{chart}"' in body
    assert "http://" not in body.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in body


def test_each_page_gets_a_fresh_nonce(client: Client) -> None:
    first = client.http.get("/admin/dashboard", headers={"Cookie": cookie()})
    second = client.http.get("/admin/dashboard", headers={"Cookie": cookie()})

    assert lower(first)["content-security-policy"] != lower(second)["content-security-policy"]


def test_the_dashboard_with_a_bearer_token_is_the_page(client: Client) -> None:
    response = client.http.get("/admin/dashboard", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200


def test_the_dashboard_with_a_wrong_cookie_is_the_login_form(client: Client) -> None:
    response = client.http.get("/admin/dashboard", headers={"Cookie": cookie("nope")})

    assert response.status_code == 401
    assert b'name="token"' in response.body


def test_login_then_dashboard_with_the_cookie_it_set(client: Client) -> None:
    set_cookie = lower(login(client))["set-cookie"]

    response = client.http.get("/admin/dashboard", headers={"Cookie": set_cookie.split(";")[0]})

    assert response.status_code == 200


def test_logout_clears_the_cookie(client: Client) -> None:
    response = client.http.post("/admin/logout", headers={**FORM, "Cookie": cookie()}, body="")

    assert response.status_code == 303
    assert lower(response)["location"] == "dashboard"
    attributes = [part.strip() for part in lower(response)["set-cookie"].split(";")]
    assert attributes[0] == f"{ADMIN_COOKIE}="
    assert {"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=0"} <= set(attributes)


# --- IAM mode: no login form, no sessions ----------------------------------------------------------


@pytest.fixture
def iam_client(iam_mode: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setattr(dashboard_module, "get_settings", lambda: iam_mode)
    with Client(app) as test_client:
        yield test_client


def test_iam_mode_dashboard_without_an_identity_is_a_json_401(iam_client: Client) -> None:
    response = iam_client.http.get("/admin/dashboard", headers={"Cookie": cookie()})

    assert response.status_code == 401
    assert lower(response)["content-type"] == "application/json"
    assert json.loads(response.body)["error"]["code"] == "unauthorized"
    assert b'name="token"' not in response.body


@pytest.mark.parametrize("path", ["/admin/session", "/admin/logout"])
def test_iam_mode_has_no_sessions(iam_client: Client, path: str) -> None:
    response = iam_client.http.post(path, headers=FORM, body=f"token={TOKEN}")

    assert response.status_code == 404
    assert "set-cookie" not in lower(response)
