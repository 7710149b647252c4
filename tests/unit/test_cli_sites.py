"""``sites create|list|rotate|revoke``: requests, the one-time key, confirmation and URL checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit import test_cli
from tests.unit.test_cli import TOKEN, FakeApi, run

# The harness's autouse fixture: every test gets a fresh fake API and a local stack pointing at it.
api = test_cli.api

SITES_PATH = "/api/admin/sites"
KEY = "igny8_sk_live_4f3e2d1c0b9a8877665544332211ffee"
NEW_KEY = "igny8_sk_live_99887766554433221100aabbccddeeff"
GRACE = "2026-11-22T20:00:00Z"
CONFLICT = (409, {"error": {"code": "conflict", "message": "site id site_ab12 is taken"}})


def site_doc(**fields: Any) -> dict[str, Any]:
    return {
        "site_id": "site_ab12",
        "name": "Shop",
        "url": "https://shop.example.com",
        "key_prefix": "igny8_sk_live_4f3e",
        "status": "active",
        "created_at": "2026-11-01T08:00:00Z",
        "rotated_at": None,
        "revoked_at": None,
        "previous_key_valid_until": None,
        **fields,
    }


CREATED = {"site": site_doc(), "api_key": KEY}
ROTATED = {
    "site": site_doc(
        key_prefix="igny8_sk_live_9988", rotated_at="2026-11-21T20:00:00Z", previous_key_valid_until=GRACE
    ),
    "api_key": NEW_KEY,
    "previous_key_valid_until": GRACE,
}
REVOKED = {"site": site_doc(status="revoked", revoked_at="2026-11-21T21:00:00Z")}


def test_create_sends_name_and_url_and_shows_the_key_once(api: FakeApi) -> None:
    api.on("POST", SITES_PATH, (201, CREATED))

    result = run("sites", "create", "Shop", "--url", "https://shop.example.com")

    assert result.exit_code == 0, result.output
    assert api.calls() == [("POST", SITES_PATH, {"name": "Shop", "url": "https://shop.example.com"})]
    assert result.output.count(KEY) == 1
    assert f"API key: {KEY}" in result.output
    assert "Store it now: it will not be shown again." in result.output
    assert "site_ab12  Shop  https://shop.example.com" in result.output
    assert TOKEN not in result.output


def test_create_json_is_the_server_document_with_a_chosen_site_id(api: FakeApi) -> None:
    api.on("POST", SITES_PATH, (201, CREATED))

    result = run(
        "--json", "sites", "create", "Shop", "--url", "http://shop.local:8080/wp", "--site-id", "site_ab12"
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == CREATED
    body = {"name": "Shop", "url": "http://shop.local:8080/wp", "site_id": "site_ab12"}
    assert api.calls() == [("POST", SITES_PATH, body)]


@pytest.mark.parametrize(
    "url",
    [
        "shop.example.com",
        "ftp://shop.example.com",
        "https://",
        "https:///path-only",
        "javascript:alert(1)",
        "https://shop.example.com:port",
        " https://shop.example.com",
        "",
    ],
)
def test_create_refuses_a_bad_url_before_any_request(api: FakeApi, url: str) -> None:
    result = run("--json", "sites", "create", "Shop", "--url", url)
    human = run("sites", "create", "Shop", "--url", url)

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "usage"
    assert "http(s) URL with a host" in error["message"]
    assert human.exit_code == 2
    assert "http(s) URL with a host" in human.stderr
    assert api.requests == []


def test_create_needs_a_url(api: FakeApi) -> None:
    result = run("sites", "create", "Shop")

    assert result.exit_code == 2
    assert api.requests == []


def test_list_shows_a_table_without_any_key(api: FakeApi) -> None:
    sites = [
        site_doc(),
        {**ROTATED["site"], "site_id": "site_cd34"},
        {**REVOKED["site"], "site_id": "site_ef56", "name": "Old"},
    ]
    # A server that slipped a key into the listing: it still never reaches the output.
    leaky = {"sites": [{**sites[0], "api_key": KEY}, *sites[1:]]}
    api.on("GET", SITES_PATH, (200, leaky))

    result = run("sites", "list")
    as_json = run("--json", "sites", "list")

    assert result.exit_code == 0, result.output
    out = result.output
    for header in ("Site", "Name", "URL", "Key", "Status", "Created", "Rotated / revoked"):
        assert header in out
    [first] = [line for line in out.splitlines() if "site_ab12" in line]
    assert "igny8_sk_live_4f3e..." in first
    assert "2026-11-01 08:00" in first
    assert "active" in first
    [rotated] = [line for line in out.splitlines() if "site_cd34" in line]
    assert "igny8_sk_live_9988..." in rotated
    assert "rotated 2026-11-21 20:00" in rotated
    [revoked] = [line for line in out.splitlines() if "site_ef56" in line]
    assert "revoked" in revoked.split()
    assert "revoked 2026-11-21 21:00" in revoked
    assert KEY not in out
    assert NEW_KEY not in out
    assert json.loads(as_json.stdout) == {"sites": sites}
    assert KEY not in as_json.stdout
    assert api.calls() == [("GET", SITES_PATH, None)] * 2


def test_list_without_sites_says_how_to_add_one(api: FakeApi) -> None:
    api.on("GET", SITES_PATH, (200, {"sites": []}))

    result = run("sites", "list")

    assert result.exit_code == 0, result.output
    assert "no sites yet" in result.output


def test_rotate_shows_the_new_key_once_and_the_grace_period(api: FakeApi) -> None:
    api.on("POST", f"{SITES_PATH}/site_ab12/rotate", (200, ROTATED))

    result = run("sites", "rotate", "site_ab12")
    as_json = run("--json", "sites", "rotate", "site_ab12")

    assert result.exit_code == 0, result.output
    assert result.output.count(NEW_KEY) == 1
    assert KEY not in result.output
    assert f"the previous key keeps working until {GRACE}" in result.output
    assert "it will not be shown again" in result.output
    assert json.loads(as_json.stdout) == ROTATED
    assert api.calls() == [("POST", f"{SITES_PATH}/site_ab12/rotate", {})] * 2


def test_rotate_quotes_the_site_id_in_the_path(api: FakeApi) -> None:
    api.on("POST", f"{SITES_PATH}/a%2Fb/rotate", (200, {**ROTATED, "previous_key_valid_until": None}))

    result = run("sites", "rotate", "a/b")

    assert result.exit_code == 0, result.output
    assert api.requests[0].path == f"{SITES_PATH}/a%2Fb/rotate"


def test_revoke_asks_first_and_a_no_sends_nothing(api: FakeApi) -> None:
    result = run("sites", "revoke", "site_ab12", input="n\n")

    assert result.exit_code == 1
    assert "Revoke site site_ab12?" in result.output
    assert api.requests == []


@pytest.mark.parametrize(
    ("options", "answer"), [([], "y\n"), (["--yes"], None), (["-y"], None)], ids=["confirmed", "yes", "y"]
)
def test_revoke_confirmed_revokes(api: FakeApi, options: list[str], answer: str | None) -> None:
    api.on("POST", f"{SITES_PATH}/site_ab12/revoke", (200, REVOKED))

    result = run("sites", "revoke", "site_ab12", *options, input=answer)

    assert result.exit_code == 0, result.output
    assert "site_ab12  Shop" in result.output
    assert "revoked 2026-11-21 21:00" in result.output
    assert api.calls() == [("POST", f"{SITES_PATH}/site_ab12/revoke", {})]


def test_revoke_under_json_does_not_prompt(api: FakeApi) -> None:
    api.on("POST", f"{SITES_PATH}/site_ab12/revoke", (200, REVOKED))

    result = run("--json", "sites", "revoke", "site_ab12", input="")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == REVOKED


# command (after `sites`), method, path
COMMANDS = [
    (["create", "Shop", "--url", "https://shop.example.com"], "POST", SITES_PATH),
    (["list"], "GET", SITES_PATH),
    (["rotate", "site_ab12"], "POST", f"{SITES_PATH}/site_ab12/rotate"),
    (["revoke", "site_ab12", "--yes"], "POST", f"{SITES_PATH}/site_ab12/revoke"),
]


@pytest.mark.parametrize(("command", "method", "path"), COMMANDS)
@pytest.mark.parametrize("as_json", [False, True])
def test_site_commands_exit_1_on_a_refusal(
    api: FakeApi, command: list[str], method: str, path: str, as_json: bool
) -> None:
    api.on(method, path, CONFLICT)

    result = run(*(["--json"] if as_json else []), "sites", *command)

    assert result.exit_code == 1
    if as_json:
        assert json.loads(result.stdout) == CONFLICT[1]
    else:
        assert "error: site id site_ab12 is taken (conflict)" in result.stderr
    assert TOKEN not in result.output
