"""Issue #4's release scenario on the local stack, with the `igny8-plugins` CLI alone (plus a
WordPress site's HTTP requests): forced releases, a staged rollout, a pull, a roll-forward
rollback, verification, an emergency release, and the audit trail it all leaves."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.conftest import BRIDGE, SLUG, Stack

pytestmark = pytest.mark.e2e


def _offer(stack: Stack, current: str, site_id: str | None = None) -> dict[str, Any]:
    headers = {"X-IGNY8-Site-ID": site_id} if site_id else {}
    response = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/",
        params={"current_version": current},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _json(stack: Stack, *args: str) -> dict[str, Any]:
    return dict(json.loads(stack.cli("--json", *args).stdout))


def test_release_rollout_pull_rollback_and_emergency_with_the_cli(stack: Stack) -> None:
    # Upload and release 2.0.0, 2.1.0 (a forced security fix) and 2.2.0.
    _json(stack, "upload", str(BRIDGE), "--version", "2.0.0", "--release")
    _json(stack, "upload", str(BRIDGE), "--version", "2.1.0")
    _json(stack, "release", SLUG, "2.1.0", "--force-update")
    _json(stack, "upload", str(BRIDGE), "--version", "2.2.0", "--release")
    offer = _offer(stack, "2.0.0")
    assert (offer["latest_version"], offer["update_available"], offer["force_update"]) == (
        "2.2.0",
        True,
        True,
    )

    # Roll 2.2.0 out to 10 %: about one site in ten is offered it; the others get 2.1.0.
    _json(stack, "rollout", SLUG, "2.2.0", "--percent", "10")
    sites = [f"e2e-site-{n}" for n in range(300)]
    offers = {site: _offer(stack, "2.1.0", site) for site in sites}
    admitted = [site for site, answer in offers.items() if answer["update_available"]]
    assert 10 <= len(admitted) <= 55, len(admitted)  # 30 expected; the exact spread is unit-tested
    assert {offers[s]["reason"] for s in sites if s not in admitted} == {"not_in_rollout"}
    assert _offer(stack, "2.0.0", "not-admitted-anyway")["latest_version"] in ("2.1.0", "2.2.0")

    # Pull 2.2.0: offered to nobody, its (cached) download link answers 410.
    link = offers[admitted[0]]["download_url"]
    _json(stack, "pull", SLUG, "2.2.0", "--yes")
    gone = requests.get(link, timeout=10)
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "pulled")
    assert _offer(stack, "2.1.0", admitted[0])["update_available"] is False

    # Roll back to 2.1.0: its code comes back as 2.2.1, offered to the sites on 2.2.0.
    rolled = _json(stack, "rollback", SLUG, "--to", "2.1.0")
    assert rolled["version"] == "2.2.1"
    offer = _offer(stack, "2.2.0", admitted[0])
    assert (offer["update_available"], offer["latest_version"]) == (True, "2.2.1")

    verified = _json(stack, "verify", SLUG, "2.2.1")
    assert verified["ok"] is True, verified["checks"]

    # Every step left an audit record.
    audit = _json(stack, "status", SLUG, "--audit")["audit"]
    actions = {(entry["action"], entry["version"]) for entry in audit}
    assert {("release", "2.1.0"), ("configure", "2.2.0"), ("pull", "2.2.0"), ("rollback", "2.2.1")} <= actions
    assert {("register", "2.2.1"), ("release", "2.2.1")} <= actions
    assert all(entry["actor"] for entry in audit)


def test_an_emergency_release_reaches_sites_forced(stack: Stack) -> None:
    result = _json(stack, "emergency", str(BRIDGE), "--version", "9.0.1", "--changelog", "SECURITY: fix")
    assert result["ok"] is True, result["steps"]
    assert result["verify"]["ok"] is True
    assert (result["sites"]["latest_version"], result["sites"]["force_update"]) == ("9.0.1", True)
    offer = _offer(stack, "1.0.0")
    assert (offer["latest_version"], offer["force_update"], offer["changelog"]) == (
        "9.0.1",
        True,
        "SECURITY: fix",
    )
    status = _json(stack, "status", SLUG)
    assert {v["version"]: v["status"] for v in status["versions"]}["9.0.1"] == "update_ready"


def test_admin_commands_fail_without_credentials(stack: Stack) -> None:
    env = {**stack.env, "IGNY8_ADMIN_TOKEN": "not-the-token"}
    result = Stack(api=stack.api, state_dir=stack.state_dir, env=env).cli(
        "--json", "pull", SLUG, "1.0.0", "--yes", check=False
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["code"] == "unauthorized"
