"""The console's pages and the reads made for them, under moto: the page each role gets (its role
and name exposed, every script under the answer's nonce, framing refused, uploads allowed only to
the bucket), the plugins list's one-call overview, and sites named in the statistics."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import admin_headers
from tests.integration.console_world import (
    JSON,
    SLUG,
    World,
    world_fixture,  # noqa: F401 - the module's world
)
from tests.integration.test_public_api import assert_error

PAGE = "/admin/console/dashboard"


def page_of(world: World, username: str) -> tuple[Any, str, str]:
    session = world.sign_in(username)
    answer = world.client.http.get(PAGE, headers={"Cookie": session.cookie})
    assert answer.status_code == 200, answer.body
    csp = answer.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    return answer, answer.body.decode(), nonce.group(1)


@pytest.mark.parametrize(("username", "role"), [("vera", "viewer"), ("rita", "releaser"), ("ada", "admin")])
def test_each_person_gets_the_console_knowing_their_name_and_role(
    world: World, username: str, role: str
) -> None:
    _, body, _ = page_of(world, username)
    assert f'<body data-role="{role}" data-actor="{username}">' in body
    assert f"Signed in as {username} ({role})" in body
    for name in ("Plugins", "Sites", "Audit"):
        assert f'data-view="{name.lower()}">{name}</a>' in body
    assert '<div id="live" role="status" aria-live="polite"></div>' in body
    assert '<dialog id="confirm"' in body
    assert "{{" not in body


def test_the_page_runs_only_its_own_code_and_cannot_be_framed(world: World) -> None:
    answer, body, nonce = page_of(world, "ada")
    csp = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and answer.headers["X-Frame-Options"] == "DENY"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp
    scripts = re.findall(r"<script[^>]*>", body)
    assert len(scripts) >= 8 and all(tag == f'<script nonce="{nonce}">' for tag in scripts)
    assert re.findall(r"<style[^>]*>", body) == [f'<style nonce="{nonce}">']
    markup = re.sub(r"<script[^>]*>.*?</script>", "", body, flags=re.S)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", markup), "an inline event handler"
    assert "innerHTML" not in body and "outerHTML" not in body and "insertAdjacentHTML" not in body
    # A second page gets another nonce.
    assert page_of(world, "ada")[2] != nonce


def test_the_page_may_send_uploads_to_the_bucket_and_nowhere_else(world: World) -> None:
    rita = world.sign_in("rita")
    grant = world.client.http.post(
        f"/admin/console/plugins/{SLUG}/versions/9.9.9/upload", headers=rita.headers(), body=b"{}"
    )
    assert grant.status_code == 200, grant.body
    target = urlsplit(grant.json_body["url"])
    answer, _, _ = page_of(world, "rita")
    connect = next(
        part.split()[1:]
        for part in answer.headers["Content-Security-Policy"].split(";")
        if part.strip().startswith("connect-src")
    )
    assert connect == ["'self'", f"{target.scheme}://{target.netloc}"]


def test_the_plugins_list_shows_each_latest_release_in_one_call(world: World) -> None:
    vera, rita = world.sign_in("vera"), world.sign_in("rita")
    before = world.client.http.get("/admin/console/releases", headers=vera.headers())
    assert before.status_code == 200, before.body
    [plugin] = [p for p in before.json_body["plugins"] if p["slug"] == SLUG]
    versions = world.client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body["versions"]
    released = [v for v in versions if v["status"] in ("released", "update_ready")]
    assert plugin["latest"] == (
        {
            "version": released[0]["version"],
            "channel": "stable",
            "status": released[0]["status"],
            "rollout_percent": released[0]["rollout_percent"],
            "force_update": released[0]["force_update"],
            "halted": False,
        }
        if released
        else None
    )
    # Release the newest draft to 10 %, as the plugin page's dialog does: the list says so.
    drafts = [v["version"] for v in versions if v["status"] in ("draft", "testing", "staged")]
    target = drafts[0] if drafts else versions[0]["version"]
    action = "release" if drafts else "push-update"
    done = world.client.http.post(
        f"/admin/console/plugins/{SLUG}/versions/{target}/{action}",
        headers=rita.headers(),
        body=json.dumps({"rollout_percent": 10}).encode(),
    )
    assert done.status_code == 200, done.body
    after = world.client.http.get("/admin/releases", headers=admin_headers()).json_body
    [plugin] = [p for p in after["plugins"] if p["slug"] == SLUG]
    assert plugin["latest"]["version"] == target and plugin["latest"]["rollout_percent"] == 10
    assert plugin["name"] and plugin["platform"] == "wordpress"


@pytest.mark.parametrize("path", ["/releases", "/sites/audit"])
def test_the_consoles_reads_need_a_session_from_the_console(world: World, path: str) -> None:
    vera = world.sign_in("vera")
    nobody = world.client.http.get("/admin/console" + path, headers=JSON)
    assert_error(nobody.status_code, nobody.json_body, 401, "unauthorized")
    elsewhere = world.client.http.get(
        "/admin/console" + path, headers=vera.headers(more={"Sec-Fetch-Site": "cross-site"})
    )
    assert_error(elsewhere.status_code, elsewhere.json_body, 403, "cross_site")
    machine = world.client.http.get("/admin" + path)
    assert_error(machine.status_code, machine.json_body, 401, "unauthorized")
    written = world.client.http.post("/admin/console" + path, headers=vera.headers(), body=b"{}")
    assert written.status_code == 405 and "error" in written.json_body


def test_failing_sites_are_named_in_the_statistics(world: World) -> None:
    ada = world.sign_in("ada")
    made = world.client.http.post(
        "/admin/console/sites",
        headers=ada.headers(),
        body=json.dumps({"name": "Corner Shop", "url": "https://corner.example"}).encode(),
    )
    assert made.status_code == 201, made.body
    site = {
        "X-IGNY8-Site-ID": made.json_body["site"]["site_id"],
        "X-IGNY8-API-Key": made.json_body["api_key"],
    }
    report = world.client.http.post(
        f"/plugins/{SLUG}/health-check",
        headers={**site, **JSON},
        body=json.dumps({"version": "1.0.0", "status": "error", "message": "fatal"}).encode(),
    )
    assert report.status_code == 200, report.body
    stats = world.client.http.get(f"/admin/console/plugins/{SLUG}/stats", headers=ada.headers())
    assert stats.status_code == 200, stats.body
    [row] = [s for s in stats.json_body["health"]["sites"] if s["site_id"] == site["X-IGNY8-Site-ID"]]
    assert (row["name"], row["url"], row["status"]) == ("Corner Shop", "https://corner.example", "error")
    forced = stats.json_body["forced"]
    assert [s["site_id"] for s in forced["sites"]] == forced["site_ids"]


def test_the_sites_audit_trail_names_who_created_rotated_and_revoked_each_site(world: World) -> None:
    ada, vera = world.sign_in("ada"), world.sign_in("vera")
    made = world.client.http.post(
        "/admin/console/sites",
        headers=ada.headers(),
        body=json.dumps({"name": "Audited", "url": "https://audited.example"}).encode(),
    )
    site_id = made.json_body["site"]["site_id"]
    for action in ("rotate", "revoke"):
        done = world.client.http.post(f"/admin/console/sites/{site_id}/{action}", headers=ada.headers())
        assert done.status_code == 200, done.body
    trail = world.client.http.get("/admin/console/sites/audit", headers=vera.headers())
    assert trail.status_code == 200, trail.body
    mine = [e for e in trail.json_body["entries"] if e["after"].get("site_id") == site_id]
    assert [(e["actor"], e["action"]) for e in mine] == [
        ("ada", "revoke-site"),
        ("ada", "rotate-site-key"),
        ("ada", "create-site"),
    ]
    assert [e["at"] for e in mine] == sorted((e["at"] for e in mine), reverse=True)


def test_stats_of_an_unknown_plugin_are_a_404_and_bad_days_a_400(world: World) -> None:
    vera = world.sign_in("vera")
    unknown = world.client.http.get("/admin/console/plugins/no-such-plugin/stats", headers=vera.headers())
    assert_error(unknown.status_code, unknown.json_body, 404, None)
    bad = world.client.http.get(f"/admin/console/plugins/{SLUG}/stats?days=banana", headers=vera.headers())
    assert bad.status_code == 400 and "error" in bad.json_body
