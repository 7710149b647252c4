"""`make run` keeps what it stored: after a stop and a start, the same site key works, the same
package bytes download, and the console's account (printed once, at the first start) still signs
in; `--fresh` starts clean. One sequence of starts for all of it (each start takes about 7 s).

The console over real HTTP on the local stack, as a person uses it: sign in with the account the
stack printed, act (within the role), see the audit name them, sign out; after a restart the same
account still signs in, and its password is not printed again."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import BRIDGE, SLUG, Stack, running_stack

pytestmark = pytest.mark.e2e

PRINTED = re.compile(r"Console: (\S+)\s+sign in as '(\w+)', password (\S+)\s+\(shown this once")


def _health(stack: Stack, site: dict[str, str]) -> int:
    return requests.post(
        f"{stack.api}/plugins/{SLUG}/health-check/",
        json={"version": "1.0.0", "status": "active"},
        headers=site,
        timeout=30,
    ).status_code


def _package(stack: Stack, version: str) -> requests.Response:
    return requests.get(f"{stack.api}/plugins/{SLUG}/download/?version={version}", timeout=30)


def test_a_restarted_stack_keeps_sites_versions_keys_packages_and_console_accounts(tmp_path: Path) -> None:
    with running_stack(tmp_path) as first:
        # The console first: its audit check counts the versions created so far.
        url, user, password = _console_on_the_first_start(first)
        created = json.loads(
            first.cli("--json", "sites", "create", "blog", "--url", "https://blog.example").stdout
        )
        site = {"X-IGNY8-Site-ID": created["site"]["site_id"], "X-IGNY8-API-Key": created["api_key"]}
        first.cli("upload", str(BRIDGE), "--version", "1.1.0", "--changelog", "Kept across restarts")
        first.cli("release", SLUG, "1.1.0")
        package = _package(first, "1.1.0").content
        keys = requests.get(f"{first.api}/keys/", timeout=30).json()

    with running_stack(tmp_path) as second:
        assert _health(second, site) == 200
        assert _package(second, "1.1.0").content == package
        assert requests.get(f"{second.api}/keys/", timeout=30).json()["key_list"] == keys["key_list"]
        offer = requests.get(
            f"{second.api}/plugins/{SLUG}/check-update/?current_version=1.0.0", timeout=30
        ).json()
        assert offer["latest_version"] == "1.1.0"
        status = json.loads(second.cli("--json", "status", SLUG).stdout)
        assert "1.1.0" in json.dumps(status)
        log = (second.state_dir / "stack.log").read_text()
        assert log.count("(shown this once") == 1  # printed at the first start only
        browser, _ = _sign_in(second, url.replace(first.api, second.api), user, password)
        assert browser.get(f"{second.api}/admin/console/plugins", timeout=30).status_code == 200

    with running_stack(tmp_path, "--fresh") as fresh:
        assert _health(fresh, site) == 401
        assert _package(fresh, "1.1.0").status_code == 404


# ---- the console ---------------------------------------------------------------------------


def _printed_account(stack: Stack) -> tuple[str, str, str]:
    """What the stack printed once it was ready (its banner follows its first answers)."""
    deadline = time.monotonic() + 30
    while (found := PRINTED.search((stack.state_dir / "stack.log").read_text())) is None:
        assert time.monotonic() < deadline, "the stack did not print the console's first account"
        time.sleep(0.2)
    url, user, password = found.groups()
    return url, user, password


def _sign_in(stack: Stack, url: str, user: str, password: str) -> tuple[requests.Session, str]:
    """A browser: the sign-in form posted from the console's page, the page's CSRF token read."""
    browser = requests.Session()
    browser.headers["Sec-Fetch-Site"] = "same-origin"
    login = browser.get(url, timeout=30)
    assert login.status_code == 401 and 'name="username"' in login.text
    signed_in = browser.post(
        f"{stack.api}/admin/console/session", data={"username": user, "password": password}, timeout=30
    )
    assert signed_in.status_code == 200 and signed_in.url == url  # the 303 back to the dashboard
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', signed_in.text)
    assert csrf is not None
    return browser, csrf.group(1)


def _console_on_the_first_start(stack: Stack) -> tuple[str, str, str]:
    """Sign in with the printed account, act, see the audit name the person, sign out; the
    account (url, user, password) for the next start."""
    url, user, password = _printed_account(stack)
    assert url == f"{stack.api}/admin/console/dashboard"
    kept = stack.state_dir / "console-admin-password"
    assert kept.read_text().strip() == password and kept.stat().st_mode & 0o777 == 0o600

    browser, csrf = _sign_in(stack, url, user, password)
    cookies = {cookie.name: cookie for cookie in browser.cookies}
    assert set(cookies) == {"igny8_session", "igny8_refresh"}
    assert cookies["igny8_session"].path == "/api/admin/console"
    assert cookies["igny8_session"].has_nonstandard_attr("HttpOnly")

    api = f"{stack.api}/admin/console"
    assert browser.get(f"{api}/plugins/{SLUG}", timeout=30).status_code == 200
    refused = browser.post(f"{api}/sites", json={"name": "Shop", "url": "https://shop.example"}, timeout=30)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_token_missing"
    for path, body in (
        ("sites", {"name": "Shop", "url": "https://shop.example"}),
        (f"plugins/{SLUG}/versions", {"version": "9.0.0", "changelog": "Drafted in the console"}),
    ):
        done = browser.post(f"{api}/{path}", json=body, headers={"X-CSRF-Token": csrf}, timeout=30)
        assert done.status_code == 201, done.text
    audit = browser.get(f"{api}/plugins/{SLUG}/audit", timeout=30).json()["entries"]
    assert [entry["actor"] for entry in audit if entry["action"] == "create-version"] == [user]

    _accounts_through_the_cli(stack, url)

    out = browser.post(f"{api}/logout", data={"csrf": csrf}, timeout=30)
    assert out.status_code == 401 and 'name="username"' in out.text  # back at the sign-in form
    assert not list(browser.cookies)
    assert browser.get(f"{api}/plugins/{SLUG}", timeout=30).status_code == 401
    return url, user, password


def _accounts_through_the_cli(stack: Stack, url: str) -> None:
    """``igny8-plugins accounts``: a viewer made with the CLI signs in and cannot change anything."""
    created = json.loads(stack.cli("--json", "accounts", "create", "vic", "--role", "viewer").stdout)
    assert created["account"]["role"] == "viewer"
    viewer, csrf = _sign_in(stack, url, "vic", created["password"])
    api = f"{stack.api}/admin/console"
    refused = viewer.post(
        f"{api}/sites", json={"name": "X", "url": "https://x.example"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_role"
    assert viewer.get(f"{api}/plugins/{SLUG}/audit", timeout=30).status_code == 200
    stack.cli("accounts", "set-role", "vic", "releaser")
    listed = json.loads(stack.cli("--json", "accounts", "list").stdout)["accounts"]
    assert {(a["username"], a["role"]) for a in listed} == {("admin", "admin"), ("vic", "releaser")}
    stack.cli("accounts", "disable", "vic", "--yes")
    again = requests.post(
        f"{stack.api}/admin/console/session",
        json={"username": "vic", "password": created["password"]},
        timeout=30,
    )
    assert again.status_code == 401
