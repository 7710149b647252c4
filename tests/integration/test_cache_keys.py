"""A shared cache cannot mislead (issue 9 item 3, issue 11 item 5), proven on the answers.

The cache key of each shared route comes from one declaration, ``chalicelib/api/cache_keys.py``,
which the edge template's guard (``tests/infra/test_edge.py``) checks the CDN against. Here, on
the real app: two anonymous requests that differ only in what is NOT in the key (other headers,
other query strings, a different site URL in WordPress' agent string) get the same answer, so a
cache may hand one's answer to the other; a request that differs in something the key holds gets
an answer that names it in ``Vary`` or is private; a request with site credentials is never
answered ``public``; and no route outside the declaration answers ``public`` at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import adapters
from chalicelib.api.cache_keys import cache_keys
from chalicelib.api.cache_rules import NORMALISED, CacheKey
from chalicelib.api.routing import REGISTRY, Auth
from chalicelib.logic.rollout import wordpress_version_from_user_agent
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
VERSION = "1.0.0"
APP = "https://app.igny8.test"
#: A value for each query parameter a route may read, so every request is a valid one.
SAMPLE_QUERY = {"current_version": "0.0.1", "installed_version": "0.0.1", "version": VERSION}
#: What a site's own WordPress sends (the bridge's requires 5.8, so 5.0 is offered nothing).
OLD_WORDPRESS = "WordPress/5.0; https://old.example"
#: Headers no answer reads: a cache that ignores them must still be right.
NOISE = {
    "Accept-Language": "de-DE",
    "Cookie": "wordpress_logged_in=abc",
    "Referer": "https://elsewhere.example/",
    "X-Forwarded-For": "203.0.113.9",
    "User-Agent": "curl/8.5.0",
}
#: What makes two answers "the same" for a cache: everything it would store and replay.
REPLAYED = ("Cache-Control", "Content-Type", "ETag", "Vary", "Access-Control-Allow-Origin", "Location")


@dataclass(frozen=True)
class World:
    client: Client
    site: dict[str, str]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with deployed() as (client, outputs), pytest.MonkeyPatch.context() as env:
        env.setenv("APP_ORIGINS", APP)
        adapters.reset()
        upload(outputs["ArtifactsBucketName"], f"sources/wordpress/{SLUG}/{VERSION}/x.zip", source_zip())
        assert all(o["ok"] for o in Packager(client, outputs).run())
        admin = {**admin_headers(), "Content-Type": "application/json"}
        released = client.http.post(f"/admin/plugins/{SLUG}/versions/{VERSION}/release", headers=admin)
        assert released.status_code == 200, released.body
        made = client.http.post(
            "/admin/sites",
            headers=admin,
            body=json.dumps({"name": "Blog", "url": "https://b.example"}).encode(),
        )
        assert made.status_code == 201, made.body
        site = {
            "X-IGNY8-Site-ID": made.json_body["site"]["site_id"],
            "X-IGNY8-API-Key": made.json_body["api_key"],
        }
        yield World(client, site)


def url(key: CacheKey, extra: str = "") -> str:
    target = "wordpress" if key.path.endswith("/latest") else SLUG
    query = "&".join(f"{name}={SAMPLE_QUERY[name]}" for name in key.query if name in SAMPLE_QUERY)
    joined = "&".join(part for part in (query, extra) if part)
    return key.path.replace("{slug}", target) + (f"?{joined}" if joined else "")


def get(world: World, target: str, headers: dict[str, str] | None = None) -> Any:
    response = world.client.http.get(target, headers=headers or {})
    assert response.status_code in (200, 302), (target, response.status_code, response.body)
    return response


def replayed(response: Any) -> tuple[Any, ...]:
    return (response.status_code, response.body, *(response.headers.get(name) for name in REPLAYED))


def vary(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",") if part.strip()}


def shared(response: Any) -> bool:
    return bool(re.search(r"(^|,)\s*public\b", response.headers.get("Cache-Control", "")))


KEYS = cache_keys()
#: Every query parameter any route reads: a route whose key lacks one must ignore it.
ALL_QUERY = sorted({name for spec in REGISTRY if spec.query is not None for name in spec.query.model_fields})


@pytest.mark.parametrize("path", list(KEYS))
def test_what_the_key_leaves_out_changes_nothing(world: World, path: str) -> None:
    key = KEYS[path]
    headers = {"Origin": APP} if "Origin" in key.headers else {}
    base = get(world, url(key), headers)
    assert shared(base), f"{path}: the anonymous answer should be cacheable"
    unread = "&".join([*(f"{name}=9.9.9" for name in ALL_QUERY if name not in key.query), "utm_source=x"])
    noise = {name: value for name, value in NOISE.items() if name not in key.headers}
    assert replayed(get(world, url(key, unread), headers)) == replayed(base)
    assert replayed(get(world, url(key), {**headers, **noise})) == replayed(base)


def test_agents_with_the_same_normalised_form_get_the_same_answer(world: World) -> None:
    """The CDN keys check-update on the WordPress version, not the agent string with the site's URL."""
    key = KEYS["/plugins/{slug}/check-update"]
    assert NORMALISED["User-Agent"] in key.edge_headers
    one = get(world, url(key), {"User-Agent": "WordPress/6.6.2; https://one.example"})
    two = get(world, url(key), {"User-Agent": "WordPress/6.6.2; https://two.example"})
    assert replayed(one) == replayed(two)


def test_what_the_key_holds_is_named_in_vary_or_kept_private(world: World) -> None:
    key = KEYS["/plugins/{slug}/check-update"]
    anonymous = get(world, url(key))
    old = get(world, url(key), {"User-Agent": OLD_WORDPRESS})
    assert anonymous.json_body["update_available"] and not old.json_body["update_available"]
    assert wordpress_version_from_user_agent(OLD_WORDPRESS) != wordpress_version_from_user_agent(None)
    for response in (anonymous, old):
        assert "user-agent" in vary(response) or not shared(response)
    current = get(world, url(key).replace("0.0.1", VERSION))
    assert current.json_body["update_available"] is False  # current_version is in the key: it matters
    assert "current_version" in key.query


@pytest.mark.parametrize("path", list(KEYS))
def test_every_answer_names_its_key_headers_in_vary(world: World, path: str) -> None:
    key = KEYS[path]
    response = get(world, url(key), {"Origin": APP})
    assert {name.strip().lower() for name in key.vary.split(",")} <= vary(response)  # Accept-Encoding too


@pytest.mark.parametrize("path", [path for path, key in KEYS.items() if "X-IGNY8-API-Key" in key.headers])
def test_a_request_with_site_credentials_is_never_shared(world: World, path: str) -> None:
    key = KEYS[path]
    for headers in (world.site, {"X-IGNY8-Site-ID": world.site["X-IGNY8-Site-ID"]}):
        response = world.client.http.get(url(key), headers=headers)
        if path.endswith("/latest") and "X-IGNY8-API-Key" not in headers:
            continue  # latest ignores a bare site id: its answer is the anonymous one (same key)
        assert response.status_code == 200, response.body
        assert not shared(response), f"{path} with {sorted(headers)}: {response.headers}"
        assert "private" in response.headers["Cache-Control"]


ANONYMOUS_GETS = sorted(
    spec.path
    for spec in REGISTRY
    if spec.method.upper() == "GET"
    and spec.auth in (Auth.PUBLIC, Auth.SITE_OPTIONAL)
    and spec.path in app.routes  # the public app's: the admin API is its own, never behind the CDN
    and spec.path not in KEYS
)


@pytest.mark.parametrize("path", ANONYMOUS_GETS)
def test_a_route_outside_the_declaration_is_never_public(world: World, path: str) -> None:
    response = world.client.http.get(url(CacheKey(path, tuple(SAMPLE_QUERY), ())))
    assert response.status_code < 500, response.body
    assert not shared(response), f"{path} answers public but is not in api/cache_keys.SHARED"
