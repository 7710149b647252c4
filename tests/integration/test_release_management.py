"""Release management over the admin API, as an admin lives in it: lifecycle, forced updates,
rollout, pull, roll-forward rollback, push-update, audit, presigned uploads and cache headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from chalice.test import Client

from chalicelib.adapters import repository
from chalicelib.logic.model import Installation
from chalicelib.logic.rollout import bucket
from tests.integration.conftest import Packager, admin_headers, source_zip, upload

SLUG = "igny8-wp-bridge"
DEMO = "igny8-demo"


class Admin:
    def __init__(self, client: Client, aws: dict[str, str]) -> None:
        self.client = client
        self.bucket = aws["ArtifactsBucketName"]
        self.packager = Packager(client, aws)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        headers = {**admin_headers(), "Content-Type": "application/json"}
        response = getattr(self.client.http, method.lower())(
            path, headers=headers, body=json.dumps(body or {}).encode()
        )
        return response.status_code, response.json_body

    def publish(self, version: str, **settings: Any) -> dict[str, Any]:
        upload(self.bucket, f"sources/wordpress/{SLUG}/{version}/src.zip", source_zip())
        assert all(outcome["ok"] for outcome in self.packager.run())
        status, body = self.call("POST", f"/admin/plugins/{SLUG}/versions/{version}/release", settings)
        assert status == 200, body
        return dict(body["version"])

    def offer(self, current: str, site_id: str | None = None, **query: str) -> dict[str, Any]:
        params = "&".join(f"{k}={v}" for k, v in {"current_version": current, **query}.items())
        headers = {"X-IGNY8-Site-ID": site_id} if site_id else {}
        response = self.client.http.get(f"/plugins/{SLUG}/check-update?{params}", headers=headers)
        assert response.status_code == 200, response.body
        return dict(response.json_body)

    def audit(self) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/admin/plugins/{SLUG}/audit")[1]["entries"])


@pytest.fixture
def admin(client: Client, aws: dict[str, str]) -> Admin:
    return Admin(client, aws)


def test_a_site_on_1_0_0_gets_1_2_0_forced_when_1_1_0_was_a_forced_release(admin: Admin) -> None:
    admin.publish("1.0.0")
    admin.publish("1.1.0", force_update=True)
    admin.publish("1.2.0")

    offer = admin.offer("1.0.0")
    assert (offer["latest_version"], offer["update_available"], offer["force_update"]) == (
        "1.2.0",
        True,
        True,
    )
    assert offer["update"]["autoupdate"] is True
    assert admin.offer("1.1.0")["force_update"] is False


def test_status_changes_follow_the_lifecycle_and_are_audited(admin: Admin) -> None:
    admin.publish("1.0.0")
    path = f"/admin/plugins/{SLUG}/versions/1.0.0"

    status, body = admin.call("POST", f"{path}/stage")
    assert (status, body["error"]["code"]) == (409, "invalid_transition")
    assert admin.call("GET", f"/admin/plugins/{SLUG}")[1]["versions"][0]["status"] == "released"

    for action, expected in (
        ("push-update", "update_ready"),
        ("deprecate", "deprecated"),
        ("pull", "pulled"),
    ):
        status, body = admin.call("POST", f"{path}/{action}")
        assert (status, body["version"]["status"]) == (200, expected)
    status, body = admin.call("POST", f"{path}/release")
    assert (status, body["error"]["code"]) == (409, "invalid_transition")

    actions = [entry["action"] for entry in admin.audit()]
    assert actions[:4] == ["pull", "deprecate", "push-update", "release"]
    assert "register" in actions
    newest = admin.audit()[0]
    assert (newest["actor"], newest["before"]["status"], newest["after"]["status"]) == (
        "local-admin",
        "deprecated",
        "pulled",
    )


def test_bad_admin_input_is_a_4xx_and_changes_nothing(admin: Admin) -> None:
    admin.publish("1.0.0")
    path = f"/admin/plugins/{SLUG}/versions/1.0.0"
    for body, code in (
        ({"rollout_percent": 101}, "invalid_percent"),
        ({"rollout_percent": True}, "invalid_percent"),
        ({"channel": "nightly"}, "invalid_channel"),
        ({"force_update": "yes"}, "invalid_force_update"),
        ({"colour": "red"}, "unknown_field"),
    ):
        status, answer = admin.call("PATCH", path, body)
        assert (status, answer["error"]["code"]) == (400, code)
    version = admin.call("GET", f"/admin/plugins/{SLUG}")[1]["versions"][0]
    assert (version["rollout_percent"], version["channel"], version["force_update"]) == (100, "stable", False)
    assert admin.call("POST", f"/admin/plugins/{SLUG}/versions/9.9.9/release")[0] == 404
    assert admin.call("POST", f"/admin/plugins/{SLUG}/rollback", {"to": 1})[0] == 400


def test_a_pulled_version_is_offered_to_nobody_and_its_old_download_url_answers_410(admin: Admin) -> None:
    admin.publish("1.0.0")
    admin.publish("1.1.0")
    old_link = admin.offer("1.0.0")["download_url"]
    admin.call("POST", f"/admin/plugins/{SLUG}/versions/1.1.0/pull")

    assert admin.offer("1.0.0")["update_available"] is False
    assert admin.offer("1.0.0")["reason"] == "pulled"
    gone = admin.client.http.get(old_link.removeprefix("https://plugins.test/api"))
    assert (gone.status_code, gone.json_body["error"]["code"]) == (410, "pulled")


def test_rollback_republishes_the_old_code_as_the_next_version_and_pulls_the_bad_one(admin: Admin) -> None:
    admin.publish("1.0.0")
    admin.publish("1.1.0")
    admin.publish("1.2.0")

    status, plan = admin.call(
        "POST", f"/admin/plugins/{SLUG}/rollback", {"to": "1.1.0", "force_update": True}
    )
    assert (status, plan["version"], plan["pulled"]) == (202, "1.2.1", "1.2.0")
    assert admin.offer("1.1.0")["update_available"] is False  # nothing offered until it is packaged
    assert all(outcome["ok"] for outcome in admin.packager.run())

    versions = {v["version"]: v for v in admin.call("GET", f"/admin/plugins/{SLUG}")[1]["versions"]}
    assert versions["1.2.0"]["status"] == "pulled"
    assert (versions["1.2.1"]["status"], versions["1.2.1"]["rollback_of"]) == ("released", "1.1.0")
    for current in ("1.2.0", "1.1.0"):
        offer = admin.offer(current)
        assert (offer["latest_version"], offer["update_available"], offer["force_update"]) == (
            "1.2.1",
            True,
            True,
        )
    assert any(entry["action"] == "rollback" for entry in admin.audit())


def test_rollout_percent_admits_a_stable_share_of_sites_and_anonymous_requests_wait(admin: Admin) -> None:
    admin.publish("1.0.0")
    admin.publish("1.1.0", percent=10)

    sites = [f"site-{n}" for n in range(200)]
    admitted = {site for site in sites if admin.offer("1.0.0", site)["update_available"]}
    assert 5 <= len(admitted) <= 40  # 10 % of 200, beyond 3 sigma: the exact spread is a unit test
    assert all(
        admin.offer("1.0.0", site)["reason"] == "not_in_rollout"
        for site in sites[:50]
        if site not in admitted
    )
    assert admin.offer("1.0.0")["update_available"] is False

    admin.call("PATCH", f"/admin/plugins/{SLUG}/versions/1.1.0", {"rollout_percent": 20})
    widened = {site for site in sites if admin.offer("1.0.0", site)["update_available"]}
    assert admitted <= widened


def _site_in_bucket(salt: str, wanted: int) -> str:
    return next(site for n in range(400_000) if bucket(salt, site := f"site-{n}") == wanted)


def test_a_rollout_in_hundredths_admits_its_buckets_to_the_hundredth_and_answers_as_given(
    admin: Admin,
) -> None:
    """At 2.5 % buckets 0-249 are in: a site in bucket 249 is offered 1.1.0, one in bucket 250 is
    not, until 2.51 %. The answers carry 2.5 as given, and a whole percentage stays whole."""
    admin.publish("1.0.0")
    admin.publish("1.1.0", percent=2.5)
    plugin = repository().get_plugin(SLUG)
    assert plugin is not None
    inside, outside = (_site_in_bucket(plugin.rollout_salt, b) for b in (249, 250))

    assert admin.offer("1.0.0", inside)["latest_version"] == "1.1.0"
    assert admin.offer("1.0.0", outside)["reason"] == "not_in_rollout"
    versions = {v["version"]: v for v in admin.call("GET", f"/admin/plugins/{SLUG}")[1]["versions"]}
    assert versions["1.1.0"]["rollout_percent"] == 2.5 and versions["1.0.0"]["rollout_percent"] == 100
    assert isinstance(versions["1.0.0"]["rollout_percent"], int)

    status, body = admin.call("PATCH", f"/admin/plugins/{SLUG}/versions/1.1.0", {"rollout_percent": "2.51"})
    assert (status, body["version"]["rollout_percent"]) == (200, 2.51)
    assert admin.offer("1.0.0", outside)["latest_version"] == "1.1.0"
    status, body = admin.call("PATCH", f"/admin/plugins/{SLUG}/versions/1.1.0", {"rollout_percent": 10.0})
    assert (status, body["version"]["rollout_percent"]) == (200, 10)
    assert json.dumps(body["version"]["rollout_percent"]) == "10"


def test_a_percentage_finer_than_a_hundredth_or_not_a_number_is_refused_and_changes_nothing(
    admin: Admin,
) -> None:
    admin.publish("1.0.0")
    admin.publish("1.1.0", percent=2.5)
    path = f"/admin/plugins/{SLUG}/versions/1.1.0"
    audited = len(admin.audit())
    for body, code in (
        ({"rollout_percent": 2.345}, "invalid_percent"),
        ({"rollout_percent": float("nan")}, "invalid_json"),  # JSON has no NaN: refused as such
        ({"rollout_percent": -0.5}, "invalid_percent"),
        ({"rollout_percent": 100.5}, "invalid_percent"),
        ({"rollout_percent": "2,5"}, "invalid_percent"),
    ):
        status, answer = admin.call("PATCH", path, body)
        assert (status, answer["error"]["code"]) == (400, code), body
    status, answer = admin.call("POST", f"{path}/rollout", {"plan": "0.5,2.555,100"})
    assert (status, answer["error"]["code"]) == (400, "invalid_plan")

    versions = {v["version"]: v for v in admin.call("GET", f"/admin/plugins/{SLUG}")[1]["versions"]}
    assert (versions["1.1.0"]["rollout_percent"], versions["1.1.0"]["rollout"]) == (2.5, None)
    assert len(admin.audit()) == audited


def test_push_update_marks_installations_below_it(admin: Admin) -> None:
    admin.publish("1.0.0")
    repo = repository()
    now = datetime.now(UTC)
    for site, version in (("site-a", "1.0.0"), ("site-b", "1.1.0")):
        repo.save_installation(Installation(site, SLUG, now, now, current_version=version))
    admin.publish("1.1.0")

    status, body = admin.call("POST", f"/admin/plugins/{SLUG}/versions/1.1.0/push-update")
    assert (status, body["version"]["status"], body["installations_notified"]) == (200, "update_ready", 1)
    pending = {i.site_id: i.pending_update for i in repo.installations_of(SLUG)}
    assert pending == {"site-a": "1.1.0", "site-b": None}


def test_create_then_upload_through_a_presigned_put(admin: Admin) -> None:
    status, body = admin.call(
        "POST", "/admin/plugins", {"slug": DEMO, "name": "Demo", "platform": "wordpress"}
    )
    assert status == 201
    assert admin.call("POST", "/admin/plugins", {"slug": DEMO, "name": "Demo"})[0] == 409
    status, body = admin.call(
        "POST", f"/admin/plugins/{DEMO}/versions", {"version": "2.0.0", "changelog": "Big."}
    )
    assert (status, body["version"]["status"]) == (201, "draft")

    status, grant = admin.call("POST", f"/admin/plugins/{DEMO}/versions/2.0.0/upload")
    assert status == 200
    assert grant["method"] == "PUT" and "X-Amz-Expires=900" in grant["url"]
    put = requests.put(grant["url"], data=source_zip(), headers=grant["headers"], timeout=10)
    assert put.status_code == 200, put.text
    assert all(outcome["ok"] for outcome in admin.packager.run())
    version = admin.call("GET", f"/admin/plugins/{DEMO}")[1]["versions"][0]
    assert (version["version"], version["status"], version["changelog"]) == ("2.0.0", "draft", "Big.")
    assert version["sha256"]


def test_anonymous_answers_carry_an_etag_and_answer_304_when_unchanged(admin: Admin) -> None:
    admin.publish("1.0.0")
    path = f"/plugins/{SLUG}/check-update?current_version=0.1"
    first = admin.client.http.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = admin.client.http.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.body) == (304, b"")

    admin.publish("1.1.0")  # an admin change is visible at once to a client that revalidates
    changed = admin.client.http.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json_body["latest_version"] == "1.1.0"
    personal = admin.client.http.get(path, headers={"X-IGNY8-Site-ID": "site-1"})
    assert personal.headers["Cache-Control"] == "private, max-age=60"
    info = admin.client.http.get(f"/plugins/{SLUG}/info")
    assert (
        admin.client.http.get(
            f"/plugins/{SLUG}/info", headers={"If-None-Match": info.headers["ETag"]}
        ).status_code
        == 304
    )


ADMIN_ROUTES = [
    ("GET", "/admin/plugins"),
    ("POST", "/admin/plugins"),
    ("GET", f"/admin/plugins/{SLUG}"),
    ("GET", f"/admin/plugins/{SLUG}/audit"),
    ("POST", f"/admin/plugins/{SLUG}/versions"),
    ("POST", f"/admin/plugins/{SLUG}/versions/1.0.0/upload"),
    ("PATCH", f"/admin/plugins/{SLUG}/versions/1.0.0"),
    ("POST", f"/admin/plugins/{SLUG}/rollback"),
    *[
        ("POST", f"/admin/plugins/{SLUG}/versions/1.0.0/{action}")
        for action in ("test", "stage", "release", "push-update", "deprecate", "pull")
    ],
]


def test_every_admin_route_refuses_anonymous_and_site_key_requests(admin: Admin) -> None:
    admin.publish("1.0.0")
    before = admin.call("GET", f"/admin/plugins/{SLUG}")[1]
    refusals = []
    for method, path in ADMIN_ROUTES:
        for headers in (
            {},
            {"X-IGNY8-Site-ID": "site-1", "X-IGNY8-API-Key": "igny8_site_key"},
            {"Authorization": "Bearer nope"},
        ):
            response = getattr(admin.client.http, method.lower())(path, headers=headers, body=b"{}")
            refusals.append((method, path, response.status_code, response.json_body["error"]["code"]))
    assert {(status, code) for *_, status, code in refusals} == {(401, "unauthorized")}, refusals
    assert len(refusals) == 3 * len(ADMIN_ROUTES)
    assert admin.call("GET", f"/admin/plugins/{SLUG}")[1] == before
