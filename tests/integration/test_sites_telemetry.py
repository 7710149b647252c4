"""Sites, their keys, the site endpoints, download limits, private plugins and stats, under moto."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.conftest import Packager, admin_headers, source_zip, upload

SLUG = "igny8-wp-bridge"


class World:
    def __init__(self, client: Client, aws: dict[str, str]) -> None:
        self.client = client
        self.bucket = aws["ArtifactsBucketName"]
        self.packager = Packager(client, aws)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        response = getattr(self.client.http, method.lower())(
            path,
            headers={**admin_headers(), "Content-Type": "application/json"},
            body=json.dumps(body or {}).encode(),
        )
        return response.status_code, response.json_body

    def publish(self, version: str) -> None:
        upload(self.bucket, f"sources/wordpress/{SLUG}/{version}/src.zip", source_zip(), status="released")
        assert all(outcome["ok"] for outcome in self.packager.run())

    def new_site(self, name: str = "Blog", **fields: str) -> tuple[str, str]:
        status, body = self.admin(
            "POST", "/admin/sites", {"name": name, "url": "https://blog.example.com", **fields}
        )
        assert status == 201, body
        return body["site"]["site_id"], body["api_key"]

    def site_call(
        self, method: str, path: str, site: tuple[str, str] | None, body: bytes | dict[str, Any] | None = None
    ) -> Any:
        headers = {"Content-Type": "application/json"}
        if site is not None:
            headers |= {"X-IGNY8-Site-ID": site[0], "X-IGNY8-API-Key": site[1]}
        raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        return getattr(self.client.http, method.lower())(path, headers=headers, body=raw)

    def stats(self) -> dict[str, Any]:
        status, body = self.admin("GET", f"/admin/plugins/{SLUG}/stats?days=7")
        assert status == 200, body
        return body


@pytest.fixture
def world(client: Client, aws: dict[str, str]) -> World:
    world = World(client, aws)
    world.publish("1.0.0")
    return world


def test_a_site_key_is_shown_once_stored_as_a_hash_rotates_with_overlap_and_revokes(world: World) -> None:
    site_id, key = world.new_site()
    assert key.startswith("igny8_sk_") and len(key) >= len("igny8_sk_") + 43
    listed = world.admin("GET", "/admin/sites")[1]["sites"]
    assert key not in json.dumps(listed)
    assert listed[0]["key_prefix"] == key[: len(listed[0]["key_prefix"])]

    register = f"/plugins/{SLUG}/register-installation"
    assert world.site_call("POST", register, (site_id, key), {"version": "1.0.0"}).status_code == 200

    status, rotated = world.admin("POST", f"/admin/sites/{site_id}/rotate")
    assert status == 200 and rotated["api_key"] != key
    for usable in (key, rotated["api_key"]):  # the old key keeps working during the overlap
        assert world.site_call("POST", register, (site_id, usable), {"version": "1.0.0"}).status_code == 200

    assert world.admin("POST", f"/admin/sites/{site_id}/revoke")[0] == 200
    for refused in (key, rotated["api_key"]):
        answer = world.site_call("POST", register, (site_id, refused), {"version": "1.0.0"})
        assert (answer.status_code, answer.json_body["error"]["code"]) == (401, "unauthorized")


def test_site_endpoints_refuse_bad_credentials_and_bad_bodies_and_change_nothing(world: World) -> None:
    site, other = world.new_site("A"), world.new_site("B")
    register = f"/plugins/{SLUG}/register-installation"
    for credentials in (None, (site[0], "igny8_sk_wrong"), (site[0], other[1]), ("site_unknown", site[1])):
        answer = world.site_call("POST", register, credentials, {"version": "1.0.0"})
        assert (answer.status_code, answer.json_body["error"]["code"]) == (401, "unauthorized"), credentials
    for body in (
        {"version": 1.0},
        {"version": "1.0.0", "colour": "red"},
        {},
        {"version": "1.0.0", "site_url": "ftp://x"},
        {"version": "banana"},
        b"[1, 2]",
        b"not json",
        b"{" + b" " * (70 * 1024) + b"}",
    ):
        answer = world.site_call("POST", register, site, body)
        assert answer.status_code == 400, (body, answer.body)
        assert set(answer.json_body["error"]) == {"code", "message"}
    health = world.site_call(
        "POST", f"/plugins/{SLUG}/health-check", site, {"version": "1.0.0", "status": "broken"}
    )
    assert health.status_code == 400
    assert world.stats()["installations"]["total"] == 0


def test_the_seeds_bodies_naming_their_own_site_are_accepted_on_every_report_path(world: World) -> None:
    site = world.new_site(site_id="123")
    for path, body in (
        ("register-installation", {"site_id": 123, "version": "1.0.0"}),
        ("register", {"site_id": "123", "version": "1.0.0"}),  # the seed's short path
        ("health-check", {"site_id": 123, "version": "1.0.0", "status": "active"}),
    ):
        answer = world.site_call("POST", f"/plugins/{SLUG}/{path}", site, body)
        assert answer.status_code == 200, (path, answer.body)
        assert answer.json_body["installation"]["site_id"] == "123"
    track = world.site_call(
        "POST", f"/plugins/{SLUG}/track-download", site, {"site_id": 123, "version": "1.0.0"}
    )
    assert track.status_code == 204
    assert world.stats()["installations"]["total"] == 1


def test_a_body_naming_another_site_is_a_400_and_changes_nothing(world: World) -> None:
    site, other = world.new_site("A", site_id="123"), world.new_site("B")
    for path, body in (
        ("register-installation", {"site_id": 124, "version": "1.0.0"}),
        ("register", {"site_id": other[0], "version": "1.0.0"}),
        ("health-check", {"site_id": "1234", "version": "1.0.0", "status": "active"}),
        ("track-download", {"site_id": 12, "version": "1.0.0"}),
    ):
        answer = world.site_call("POST", f"/plugins/{SLUG}/{path}", site, body)
        assert answer.status_code == 400, (path, answer.body)
        assert answer.json_body["error"]["code"] == "site_id_mismatch"
        assert set(answer.json_body["error"]) == {"code", "message"}
    assert world.stats()["installations"]["total"] == 0


def test_site_reports_may_be_form_encoded_as_wp_remote_post_sends_them(world: World) -> None:
    site = world.new_site(site_id="123")

    def post(path: str, body: str) -> Any:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-IGNY8-Site-ID": site[0],
            "X-IGNY8-API-Key": site[1],
        }
        return world.client.http.post(f"/plugins/{SLUG}/{path}", headers=headers, body=body)

    for refused, code in (
        ("version=1.0.0&version=1.0.1", "invalid_form"),
        ("version=%FF", "invalid_form"),
        ("site_id=124&version=1.0.0", "site_id_mismatch"),
        ("version=1.0.0&colour=red", "unknown_field"),
        ("version[]=1.0.0", "unknown_field"),
        ("x=" + "a" * 70 * 1024, "body_too_large"),
    ):
        answer = post("register", refused)
        assert (answer.status_code, answer.json_body["error"]["code"]) == (400, code), refused
    assert world.stats()["installations"]["total"] == 0

    registered = post("register", "site_id=123&version=1.0.0&wp_version=6.1.1&php_version=8.2.7")
    assert registered.status_code == 200, registered.body
    health = post("health-check", "site_id=123&version=1.0.0&status=error&message=Database+down")
    assert health.status_code == 200, health.body
    assert health.json_body["installation"]["health_status"] == "error"
    assert world.stats()["health"]["failing"] == 1


def test_the_eleventh_download_in_an_hour_is_refused_with_retry_after(world: World) -> None:
    site = world.new_site()
    answers = [world.site_call("GET", f"/plugins/{SLUG}/download-url", site) for _ in range(11)]

    assert [a.status_code for a in answers] == [200] * 10 + [429]
    granted = answers[0].json_body
    assert set(granted) >= {"url", "expires_at", "version"} and "X-Amz-Expires=300" in granted["url"]
    refused = answers[-1]
    assert refused.json_body["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    # The 302 download counts against the same allowance for this site; another site is fresh.
    assert world.site_call("GET", f"/plugins/{SLUG}/download", site).status_code == 429
    assert world.site_call("GET", f"/plugins/{SLUG}/download-url", world.new_site("B")).status_code == 200


def test_anonymous_downloads_are_limited_per_source_address(world: World) -> None:
    codes = [world.client.http.get(f"/plugins/{SLUG}/download").status_code for _ in range(31)]
    assert codes == [302] * 30 + [429]


def test_a_private_plugin_is_unknown_without_a_site_key(world: World) -> None:
    """The full sweep over every route is tests/integration/test_private_plugins.py."""
    site = world.new_site()
    status, body = world.admin("PATCH", f"/admin/plugins/{SLUG}", {"private": True})
    assert (status, body["plugin"]["private"]) == (200, True)

    for path in ("download", "info", "check-update?current_version=0.1"):
        answer = world.client.http.get(f"/plugins/{SLUG}/{path}")
        assert (answer.status_code, answer.json_body["error"]["code"]) == (404, "not_found"), path
    assert world.site_call("GET", f"/plugins/{SLUG}/info", site).status_code == 200
    assert world.site_call("GET", f"/plugins/{SLUG}/download", site).status_code == 302
    assert (
        world.site_call("GET", f"/plugins/{SLUG}/check-update?current_version=0.1", site).status_code == 200
    )
    assert world.admin("PATCH", f"/admin/plugins/{SLUG}", {"private": "yes"})[0] == 400


def test_stats_match_what_sites_reported(world: World) -> None:
    a, b, c = world.new_site("A"), world.new_site("B"), world.new_site("C")
    for site in (a, b, c):
        world.site_call("POST", f"/plugins/{SLUG}/register-installation", site, {"version": "1.0.0"})
    world.site_call("POST", f"/plugins/{SLUG}/health-check", c, {"version": "1.0.0", "status": "error"})
    world.publish("1.1.0")
    for site in (a, b):  # an authenticated check-update records the offer
        offer = world.site_call("GET", f"/plugins/{SLUG}/check-update?current_version=1.0.0", site).json_body
        assert offer["latest_version"] == "1.1.0"
    world.site_call("GET", f"/plugins/{SLUG}/download-url", a)
    world.site_call("POST", f"/plugins/{SLUG}/register-installation", a, {"version": "1.1.0"})

    stats = world.stats()
    assert stats["installations"] == {"total": 3, "active": 3, "active_days": 7}
    assert {row["version"]: row["count"] for row in stats["version_distribution"]} == {"1.0.0": 2, "1.1.0": 1}
    assert stats["updates"] == {"offered": 2, "succeeded": 1, "success_rate": 0.5}
    assert stats["health"]["failing"] == 1 and stats["health"]["sites"][0]["site_id"] == c[0]
    assert stats["downloads"]["per_version"] == {"1.1.0": 1}
    assert stats["downloads"]["total"] == 1 and len(stats["downloads"]["per_day"]) == 7
    assert stats["adoption"]["version"] == "1.1.0"


def test_no_key_ever_reaches_a_log_line(
    world: World, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    site_id, key = world.new_site()
    rotated = world.admin("POST", f"/admin/sites/{site_id}/rotate")[1]["api_key"]
    for used in (key, rotated, key + "x"):
        world.site_call(
            "POST", f"/plugins/{SLUG}/register-installation", (site_id, used), {"version": "1.0.0"}
        )
        world.site_call("GET", f"/plugins/{SLUG}/download-url", (site_id, used))
        world.site_call(
            "POST", f"/plugins/{SLUG}/health-check", (site_id, used), {"version": "x", "status": "?"}
        )
    world.admin("POST", f"/admin/sites/{site_id}/revoke")
    world.site_call("POST", f"/plugins/{SLUG}/register-installation", (site_id, key), {"version": "1.0.0"})

    logged = caplog.text + "".join(capsys.readouterr())
    assert logged  # the requests above were logged
    for secret in (key, rotated, key[len("igny8_sk_") :]):
        assert secret not in logged


BAD_ADMIN_INPUT: list[tuple[str, str, dict[str, Any] | None, int, str]] = [
    ("POST", "/admin/plugins", {"slug": "new-plugin"}, 400, "missing_field"),
    ("POST", "/admin/plugins", {"slug": "Bad Slug!", "name": "X"}, 400, "invalid_slug"),
    ("POST", "/admin/plugins", {"slug": "p", "name": "X", "platform": "joomla"}, 400, "invalid_platform"),
    ("POST", "/admin/sites", {"name": "", "url": "https://a.example"}, 400, "invalid_name"),
    ("POST", "/admin/sites", {"name": "A", "url": "javascript:alert(1)"}, 400, "invalid_url"),
    (
        "POST",
        "/admin/sites",
        {"name": "A", "url": "https://a.example", "site_id": "../x"},
        400,
        "invalid_site_id",
    ),
    ("POST", "/admin/sites/site_nope/rotate", {}, 404, "not_found"),
    ("POST", f"/admin/plugins/{SLUG}/versions", {"version": "banana"}, 400, "invalid_version"),
    ("POST", f"/admin/plugins/{SLUG}/versions", {"version": "1.0.0"}, 409, "version_exists"),
    (
        "POST",
        f"/admin/plugins/{SLUG}/versions/1.0.0/upload",
        {"channel": "nightly"},
        400,
        "invalid_channel",
    ),
    ("GET", f"/admin/plugins/{SLUG}/stats?days=0", None, 400, "invalid_days"),
    ("GET", f"/admin/plugins/{SLUG}/stats?days=lots", None, 400, "invalid_days"),
    ("PATCH", f"/admin/plugins/{SLUG}", {"downloads_per_hour": 0}, 400, "invalid_limit"),
    ("PATCH", f"/admin/plugins/{SLUG}", {"colour": "red"}, 400, "unknown_field"),
    ("POST", f"/admin/plugins/{SLUG}/rollback", {"to": "9.9.9"}, 404, "no_rollback_target"),
]


def test_bad_admin_input_is_refused_and_changes_nothing(world: World) -> None:
    """Each refusal is a 4xx JSON error naming the problem, and leaves plugins and sites as they were."""

    def state() -> tuple[Any, ...]:
        return (world.admin("GET", f"/admin/plugins/{SLUG}")[1], world.admin("GET", "/admin/sites")[1])

    before = state()
    answers = [(path, *world.admin(method, path, body)) for method, path, body, _, _ in BAD_ADMIN_INPUT]
    got = [(status, answer.get("error", {}).get("code")) for _, status, answer in answers]
    assert got == [(status, code) for *_, status, code in BAD_ADMIN_INPUT], answers
    assert state() == before
