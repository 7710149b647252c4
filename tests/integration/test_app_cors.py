"""The IGNY8 app's download card reads the public routes from the app's own origin (CORS), and
nothing else is opened: a page on any other origin, and every admin or site route, gets no CORS
header at all, so the browser keeps the answer from the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import adapters
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
APP = "https://app.igny8.test"
LOCAL_APP = "http://127.0.0.1:8081"
ELSEWHERE = "https://evil.example"
CARD_ROUTES = (
    "/plugins/wordpress/latest/",
    f"/plugins/{SLUG}/info/",
    f"/plugins/{SLUG}/download/",
)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with deployed() as (client, outputs), pytest.MonkeyPatch.context() as env:
        env.setenv("APP_ORIGINS", f"{APP},{LOCAL_APP}")
        adapters.reset()
        upload(outputs["ArtifactsBucketName"], f"sources/wordpress/{SLUG}/1.0.0/x.zip", source_zip())
        assert all(o["ok"] for o in Packager(client, outputs).run())
        released = client.http.post(f"/admin/plugins/{SLUG}/versions/1.0.0/release", headers=admin_headers())
        assert released.status_code == 200, released.body
        yield client


def cors_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("access-control-")}


def vary(headers: dict[str, Any]) -> list[str]:
    return [part.strip() for part in headers.get("Vary", "").split(",")]


@pytest.mark.parametrize("path", CARD_ROUTES)
@pytest.mark.parametrize("origin", [APP, LOCAL_APP])
def test_the_app_origin_may_read_each_route_the_card_uses(client: Client, path: str, origin: str) -> None:
    response = client.http.get(path, headers={"Origin": origin})

    assert response.status_code in (200, 302), response.body
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in vary(response.headers)
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_the_cacheable_card_varies_by_origin_and_by_site(client: Client) -> None:
    response = client.http.get("/plugins/wordpress/latest/", headers={"Origin": APP})

    assert response.json_body["version"] == "1.0.0"
    assert response.headers["Cache-Control"].startswith("public")
    assert set(vary(response.headers)) == {"X-IGNY8-Site-ID", "X-IGNY8-API-Key", "Origin", "Accept-Encoding"}


@pytest.mark.parametrize("path", CARD_ROUTES)
def test_another_origin_gets_the_answer_but_no_permission_to_read_it(client: Client, path: str) -> None:
    response = client.http.get(path, headers={"Origin": ELSEWHERE})

    assert response.status_code in (200, 302)
    assert cors_headers(response.headers) == {}
    assert "Origin" in vary(response.headers)


def test_an_origin_is_matched_exactly_not_by_prefix_or_scheme(client: Client) -> None:
    for origin in (f"{APP}.evil.example", APP.replace("https", "http"), f"{APP}:444", "null"):
        response = client.http.get("/plugins/wordpress/latest/", headers={"Origin": origin})
        assert cors_headers(response.headers) == {}, origin


def test_a_refusal_is_readable_by_the_app(client: Client) -> None:
    response = client.http.get("/plugins/no-such-plugin/info/", headers={"Origin": APP})

    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "not_found"
    assert response.headers["Access-Control-Allow-Origin"] == APP


@pytest.mark.parametrize(
    ("path", "method"),
    [*((path, "GET") for path in CARD_ROUTES), (f"/plugins/{SLUG}/track-download/", "POST")],
)
def test_preflight_answers_the_app_origin(client: Client, path: str, method: str) -> None:
    response = client.http.request(
        "OPTIONS",
        path,
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "x-igny8-app-token",
        },
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Methods"] == method
    assert "X-IGNY8-App-Token" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in vary(response.headers)


def test_a_preflight_reads_no_plugin_so_tells_nothing_about_a_slug(client: Client) -> None:
    def preflight(slug: str, origin: str) -> tuple[int, dict[str, Any], bytes]:
        response = client.http.request(
            "OPTIONS",
            f"/plugins/{slug}/info/",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        )
        return response.status_code, response.headers, response.body

    for origin in (APP, ELSEWHERE):
        assert preflight(SLUG, origin) == preflight("no-such-plugin", origin)


@pytest.mark.parametrize(
    ("origin", "method"), [(ELSEWHERE, "GET"), (None, "GET"), (APP, "DELETE"), (APP, None)]
)
def test_preflight_refuses_other_origins_and_methods(
    client: Client, origin: str | None, method: str | None
) -> None:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    response = client.http.request(
        "OPTIONS", "/plugins/wordpress/latest/", headers={k: v for k, v in headers.items() if v is not None}
    )

    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "cors_refused"
    assert cors_headers(response.headers) == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/plugins/{SLUG}/check-update/?current_version=0.1.0"),
        ("GET", f"/plugins/{SLUG}/signature/"),
        ("GET", "/keys/"),
        ("GET", f"/plugins/{SLUG}/download-url/"),
        ("POST", f"/plugins/{SLUG}/register-installation/"),
        ("POST", f"/plugins/{SLUG}/health-check/"),
        ("GET", "/admin/plugins"),
        ("GET", f"/admin/plugins/{SLUG}/stats"),
    ],
)
def test_routes_the_card_does_not_use_are_not_opened(client: Client, method: str, path: str) -> None:
    headers = {"Origin": APP, **(admin_headers() if path.startswith("/admin") else {})}
    response = client.http.request(method, path, headers=headers)

    assert cors_headers(response.headers) == {}
    assert "Origin" not in vary(response.headers)
