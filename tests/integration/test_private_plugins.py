"""A private plugin is private on every public and site route (issue 11, item 2).

The sweep takes the routes from ``app.routes`` (everything outside ``/admin``), so a route added
later fails here until it says how it is called. For each one and a private plugin:

* anonymous (also with ``X-IGNY8-Site-ID`` alone) and with a wrong site key, the answer holds no
  byte of the plugin's data and is the one an unknown slug gets: same status, same body (the
  slug put back), same ``Content-Type`` and ``Cache-Control``. Public routes answer 404
  ``not_found``; site routes and any wrong key 401 ``unauthorized``, as for any slug;
* with a valid site key every route works, and no answer about the plugin is ``public``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload
from tests.integration.test_public_api import readme_with

SLUG = "igny8-wp-bridge"
UNKNOWN = "no-such-plugin"
VERSION = "4.7.13"
CHANGE = "Quietly reworked the secret sauce."
#: ``latest``'s ``{slug}`` is a platform: the private plugin's, and one without any plugin.
PLATFORM, EMPTY_PLATFORM = "wordpress", "custom"


@dataclass(frozen=True)
class Call:
    """How the sweep calls one route: its query string and, for a POST, its JSON body."""

    query: str = ""
    body: dict[str, Any] | None = None
    #: What a valid site key gets.
    served: int = 200


#: Every public and site route of the app, and how to call it.
CALLS: dict[tuple[str, str], Call] = {
    ("GET", "/keys"): Call(),
    ("GET", "/openapi.json"): Call(),
    ("GET", "/plugins/{slug}/check-update"): Call(query="?current_version=0.1.0"),
    ("GET", "/plugins/{slug}/info"): Call(),
    ("GET", "/plugins/{slug}/download"): Call(served=302),
    ("GET", "/plugins/{slug}/download-url"): Call(),
    ("GET", "/plugins/{slug}/signature"): Call(query=f"?version={VERSION}"),
    ("GET", "/plugins/{slug}/latest"): Call(),
    ("POST", "/plugins/{slug}/register"): Call(body={"version": VERSION}),
    ("POST", "/plugins/{slug}/register-installation"): Call(body={"version": VERSION}),
    ("POST", "/plugins/{slug}/health-check"): Call(body={"version": VERSION, "status": "active"}),
    ("POST", "/plugins/{slug}/track-download"): Call(body={"version": VERSION}, served=204),
}


#: Routes that answer the same for every plugin: nothing in them is about one.
PLUGIN_FREE = {"/keys", "/openapi.json"}


def site_only(method: str, path: str) -> bool:
    """The site blueprint's routes take no anonymous caller: any slug is 401 without a valid key."""
    return bool(app.routes[path][method].view_function.__module__ == "chalicelib.api.sites")


@dataclass(frozen=True)
class World:
    client: Client
    site: tuple[str, str]
    #: Strings only the private plugin's own answers may hold.
    secrets: tuple[str, ...]

    def call(self, method: str, path: str, target: str, headers: dict[str, str]) -> Any:
        spec = CALLS[(method, path)]
        url = path.replace("{slug}", target) + spec.query
        body = json.dumps(spec.body).encode() if spec.body is not None else b""
        if spec.body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        return getattr(self.client.http, method.lower())(url, headers=headers, body=body)


def keyed(site: tuple[str, str]) -> dict[str, str]:
    return {"X-IGNY8-Site-ID": site[0], "X-IGNY8-API-Key": site[1]}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with deployed() as (client, outputs):
        readme = readme_with(VERSION, CHANGE, "Private notice.")
        archive = source_zip(replace={"readme.txt": readme})
        upload(
            outputs["ArtifactsBucketName"],
            f"sources/wordpress/{SLUG}/{VERSION}/src.zip",
            archive,
            status="released",
        )
        assert all(outcome["ok"] for outcome in Packager(client, outputs).run())
        admin = {**admin_headers(), "Content-Type": "application/json"}
        made = client.http.post(
            "/admin/sites",
            headers=admin,
            body=json.dumps({"name": "Blog", "url": "https://blog.example.com"}).encode(),
        )
        assert made.status_code == 201, made.body
        site = (made.json_body["site"]["site_id"], made.json_body["api_key"])
        public_info = client.http.get(f"/plugins/{SLUG}/info").json_body
        private = client.http.patch(f"/admin/plugins/{SLUG}", headers=admin, body=b'{"private": true}')
        assert private.status_code == 200, private.body
        secrets = (
            VERSION,
            CHANGE,
            public_info["name"],
            public_info["sha256"],
            public_info["sha384"],
            public_info["signature"],
        )
        assert all(secrets) and public_info["version"] == VERSION
        yield World(client, site, secrets)


def test_the_sweep_knows_every_public_and_site_route() -> None:
    routes = {
        (method, path)
        for path, methods in app.routes.items()
        if not path.startswith("/admin")
        for method in methods
        if method != "OPTIONS"  # CORS preflights read no plugin (tests/integration/test_app_cors.py)
    }
    assert routes == set(CALLS), "say in CALLS how the sweep calls each public or site route"


def _targets(path: str) -> tuple[str, str]:
    """What ``{slug}`` is for the private plugin and for its nobody-knows-it twin."""
    return (PLATFORM, EMPTY_PLATFORM) if path.endswith("/latest") else (SLUG, UNKNOWN)


def _normalised(response: Any, target: str) -> tuple[int, str, str | None, str | None]:
    body = response.body.decode() if isinstance(response.body, bytes) else str(response.body)
    return (
        response.status_code,
        body.replace(target, "<slug>"),
        response.headers.get("Content-Type"),
        response.headers.get("Cache-Control"),
    )


def _strangers(world: World) -> dict[str, dict[str, str]]:
    site_id, key = world.site
    return {
        "anonymous": {},
        "site id alone": {"X-IGNY8-Site-ID": site_id},
        "wrong key": keyed((site_id, "igny8_sk_" + "x" * 43)),
        "unknown site": keyed(("site_0000000000000000", key)),
    }


@pytest.mark.parametrize(("method", "path"), sorted(CALLS))
def test_without_a_valid_key_a_private_plugin_is_a_slug_nobody_knows(
    world: World, method: str, path: str
) -> None:
    mine, unknown = _targets(path)
    for who, headers in _strangers(world).items():
        answer = world.call(method, path, mine, headers)
        text = answer.body.decode() + json.dumps(dict(answer.headers))
        leaked = [secret for secret in world.secrets if secret in text]
        assert not leaked, (who, path, leaked)
        assert _normalised(answer, mine) == _normalised(
            world.call(method, path, unknown, headers), unknown
        ), (who, path)
        if path in PLUGIN_FREE:
            continue
        keyless = who in ("anonymous", "site id alone")
        expected = (404, "not_found") if keyless and not site_only(method, path) else (401, "unauthorized")
        if path.endswith("/latest") and keyless:
            expected = (404, "no_release")
        assert (answer.status_code, answer.json_body["error"]["code"]) == expected, (who, path, answer.body)
        assert "public" not in (answer.headers.get("Cache-Control") or ""), (who, path)


@pytest.mark.parametrize(("method", "path"), sorted(CALLS))
def test_with_a_valid_key_every_route_serves_a_private_plugin_never_publicly_cached(
    world: World, method: str, path: str
) -> None:
    mine, _ = _targets(path)
    answer = world.call(method, path, mine, keyed(world.site))
    assert answer.status_code == CALLS[(method, path)].served, (path, answer.body)
    if path not in PLUGIN_FREE:
        assert "public" not in (answer.headers.get("Cache-Control") or ""), path
    if path.endswith(("/check-update", "/info", "/latest", "/download-url")):
        assert VERSION in answer.body.decode(), path


def test_a_cached_etag_does_not_open_a_private_answer(world: World) -> None:
    path = f"/plugins/{SLUG}/info"
    etag = world.client.http.get(path, headers=keyed(world.site)).headers["ETag"]
    answer = world.client.http.get(path, headers={"If-None-Match": etag})
    assert (answer.status_code, answer.json_body["error"]["code"]) == (404, "not_found")
