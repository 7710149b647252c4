"""Version life-cycle commands: release options, push-update, deprecate, pull, rollout, rollback, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit import test_cli
from tests.unit.test_cli import (
    BUCKET,
    PLUGIN_PATH,
    RELEASE_PATH,
    FakeApi,
    plugin_doc,
    run,
    uploaded_keys,
    version_doc,
)

# The harness's fixtures, shared by name (the autouse `api` gives every test a fresh fake API).
api = test_cli.api
moto_s3 = test_cli.moto_s3
s3 = test_cli.s3
source_dir = test_cli.source_dir

VERSION_PATH = f"{PLUGIN_PATH}/versions/1.2.0"
ROLLBACK_PATH = f"{PLUGIN_PATH}/rollback"
ROLLBACK_KEY = "sources/wordpress/my-plugin/1.2.1/20260101T000000Z-rollback.zip"
CONFLICT = (409, {"error": {"code": "invalid_transition", "message": "cannot pull a draft version"}})


def test_upload_channel_is_asked_of_the_admin_api(s3: Any, source_dir: Path, api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([])))

    result = run("upload", str(source_dir), "--channel", "beta", "--no-wait")

    assert result.exit_code == 0, result.output
    assert api.calls("POST") == [("POST", f"{VERSION_PATH}/upload", {"channel": "beta"})]
    [key] = uploaded_keys(s3)
    assert s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]["channel"] == "beta"


def test_upload_refuses_a_channel_s3_metadata_cannot_carry(s3: Any, source_dir: Path, api: FakeApi) -> None:
    result = run("upload", str(source_dir), "--channel", "bêta/1", "--no-wait")

    assert result.exit_code == 1
    assert "(invalid_channel)" in result.stderr
    assert uploaded_keys(s3) == []
    assert api.requests == []


@pytest.mark.parametrize(
    ("options", "body"),
    [
        ([], {}),
        (["--force-update"], {"force_update": True}),
        (["--percent", "25", "--channel", "beta"], {"percent": 25, "channel": "beta"}),
        (["--percent", "0", "--force-update"], {"percent": 0, "force_update": True}),
        (["--percent", "2.5"], {"percent": 2.5}),
        (["--percent", "0.01"], {"percent": 0.01}),
        (["--percent", "10.00"], {"percent": 10}),
    ],
)
def test_release_sends_only_the_options_given(api: FakeApi, options: list[str], body: dict[str, Any]) -> None:
    api.on("POST", RELEASE_PATH, (200, {"version": version_doc("k", status="released")}))

    result = run("release", "my-plugin", "1.2.0", *options)

    assert result.exit_code == 0, result.output
    assert api.calls() == [("POST", RELEASE_PATH, body)]


# command, method, path, body, the API's answer, what the human output says
TRANSITIONS = [
    (
        ["push-update"],
        "POST",
        f"{VERSION_PATH}/push-update",
        {},
        {"version": version_doc("k", status="update_ready"), "installations_notified": 42},
        "42 installations notified",
    ),
    (
        ["deprecate"],
        "POST",
        f"{VERSION_PATH}/deprecate",
        {},
        {"version": version_doc("k", status="deprecated")},
        ": deprecated",
    ),
    (
        ["pull", "--yes"],
        "POST",
        f"{VERSION_PATH}/pull",
        {},
        {"version": version_doc("k", status="pulled")},
        ": pulled",
    ),
    *(  # a whole percentage, and one in hundredths
        (
            ["rollout", "--percent", given],
            "PATCH",
            VERSION_PATH,
            {"rollout_percent": sent},
            {"version": version_doc("k", status="released", rollout_percent=sent)},
            f"rollout {given}%",
        )
        for given, sent in (("25", 25), ("2.5", 2.5))
    ),
]


@pytest.mark.parametrize(("command", "method", "path", "body", "answer", "says"), TRANSITIONS)
def test_version_commands_send_their_request(
    api: FakeApi, command: list[str], method: str, path: str, body: Any, answer: Any, says: str
) -> None:
    api.on(method, path, (200, answer))

    result = run(command[0], "my-plugin", "1.2.0", *command[1:])
    as_json = run("--json", command[0], "my-plugin", "1.2.0", *command[1:])

    assert result.exit_code == 0, result.output
    assert says in result.output
    assert result.output.startswith("my-plugin 1.2.0: ")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == answer
    assert api.calls() == [(method, path, body)] * 2


@pytest.mark.parametrize(("command", "method", "path", "body", "answer", "says"), TRANSITIONS)
@pytest.mark.parametrize("as_json", [False, True])
def test_version_commands_exit_1_on_a_refusal(
    api: FakeApi, command: list[str], method: str, path: str, body: Any, answer: Any, says: str, as_json: bool
) -> None:
    api.on(method, path, CONFLICT)

    result = run(*(["--json"] if as_json else []), command[0], "my-plugin", "1.2.0", *command[1:])

    assert result.exit_code == 1
    if as_json:
        assert json.loads(result.stdout) == CONFLICT[1]
    else:
        assert "error: cannot pull a draft version (invalid_transition)" in result.stderr


def test_pull_asks_first_and_a_no_sends_nothing(api: FakeApi) -> None:
    result = run("pull", "my-plugin", "1.2.0", input="n\n")

    assert result.exit_code == 1
    assert "Pull my-plugin 1.2.0?" in result.output
    assert "every site" in result.output.lower()
    assert api.requests == []


def test_pull_confirmed_pulls(api: FakeApi) -> None:
    api.on("POST", f"{VERSION_PATH}/pull", (200, {"version": version_doc("k", status="pulled")}))

    result = run("pull", "my-plugin", "1.2.0", input="y\n")

    assert result.exit_code == 0, result.output
    assert "my-plugin 1.2.0: pulled" in result.output
    assert api.calls() == [("POST", f"{VERSION_PATH}/pull", {})]


def test_pull_under_json_does_not_prompt(api: FakeApi) -> None:
    api.on("POST", f"{VERSION_PATH}/pull", (200, {"version": version_doc("k", status="pulled")}))

    result = run("--json", "pull", "my-plugin", "1.2.0", input="")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"]["status"] == "pulled"


@pytest.mark.parametrize("percent", ["-1", "101", "half", "2.345", "nan", "100.01", "1e1", "inf"])
@pytest.mark.parametrize("command", ["rollout", "release"])
def test_percent_out_of_bounds_is_refused_before_any_request(
    api: FakeApi, percent: str, command: str
) -> None:
    result = run("--json", command, "my-plugin", "1.2.0", "--percent", percent)

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "usage"
    assert api.requests == []


def test_rollout_needs_a_percent(api: FakeApi) -> None:
    result = run("rollout", "my-plugin", "1.2.0")

    assert result.exit_code == 2
    assert api.requests == []


ROLLBACK_ANSWER = {"version": "1.2.1", "pulled": "1.2.0", "source_key": ROLLBACK_KEY}


def test_rollback_waits_for_the_new_version(api: FakeApi) -> None:
    api.on("POST", ROLLBACK_PATH, (202, ROLLBACK_ANSWER))
    rebuilt = version_doc(ROLLBACK_KEY, version="1.2.1", status="released", rollback_of="1.1.1")
    pending = version_doc(ROLLBACK_KEY, version="1.2.1", status="pending")
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([pending])), (200, plugin_doc([rebuilt])))

    result = run("rollback", "my-plugin", "--to", "1.1.1", "--force-update", "--exclude-target-sites")

    assert result.exit_code == 0, result.output
    body = {"to": "1.1.1", "force_update": True, "exclude_target_sites": True}
    assert api.calls("POST") == [("POST", ROLLBACK_PATH, body)]
    assert "my-plugin 1.2.1: released" in result.output
    assert "pulled: 1.2.0" in result.output


def test_rollback_json_without_waiting(api: FakeApi) -> None:
    api.on("POST", ROLLBACK_PATH, (202, {**ROLLBACK_ANSWER, "pulled": None}))

    result = run("--json", "rollback", "my-plugin", "--to", "1.1.1", "--no-wait")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {**ROLLBACK_ANSWER, "pulled": None}
    assert api.calls() == [("POST", ROLLBACK_PATH, {"to": "1.1.1"})]


def test_rollback_json_reports_the_packaged_version(api: FakeApi) -> None:
    api.on("POST", ROLLBACK_PATH, (202, ROLLBACK_ANSWER))
    rebuilt = version_doc(ROLLBACK_KEY, version="1.2.1", status="released")
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([rebuilt])))

    result = run("--json", "rollback", "my-plugin", "--to", "1.1.1")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["pulled"] == "1.2.0"
    assert document["packaged"]["version"] == "1.2.1"
    assert document["packaged"]["status"] == "released"


def test_rollback_reports_a_failed_rebuild(api: FakeApi) -> None:
    api.on("POST", ROLLBACK_PATH, (202, ROLLBACK_ANSWER))
    failed = version_doc(
        ROLLBACK_KEY, version="1.2.1", status="failed", failure_code="invalid_plugin", failure_reason="bad"
    )
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([failed])))

    result = run("rollback", "my-plugin", "--to", "1.1.1")

    assert result.exit_code == 1
    assert "error: packaging failed: bad (invalid_plugin)" in result.stderr


def test_rollback_refused_exits_1(api: FakeApi) -> None:
    refusal = (404, {"error": {"code": "not_found", "message": "no version 9.9.9 of my-plugin"}})
    api.on("POST", ROLLBACK_PATH, refusal)

    result = run("--json", "rollback", "my-plugin", "--to", "9.9.9")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == refusal[1]


AUDIT = [
    {
        "at": "2026-02-03T04:05:06Z",
        "actor": "alice",
        "action": "pull",
        "version": "1.2.0",
        "before": {"status": "released"},
        "after": {"status": "pulled"},
    },
    {
        "at": "2026-02-01T00:00:00Z",
        "actor": "bob",
        "action": "release",
        "version": "1.2.0",
        "before": "draft",
        "after": "released",
    },
]


def test_status_shows_rollout_forced_and_the_audit(api: FakeApi) -> None:
    forced = version_doc("k", status="released", rollout_percent=25, force_update=True)
    document = plugin_doc([forced])
    api.on("GET", PLUGIN_PATH, (200, document))
    api.on("GET", f"{PLUGIN_PATH}/audit", (200, {"entries": AUDIT}))

    plain = run("status", "my-plugin")
    result = run("status", "my-plugin", "--audit")
    as_json = run("--json", "status", "my-plugin", "--audit")

    assert result.exit_code == 0, result.output
    for header in ("Rollout", "Forced"):
        assert header in plain.output
    [row] = [line for line in plain.output.splitlines() if "1.2.0" in line]
    assert "25%" in row
    assert "yes" in row
    assert "alice" not in plain.output
    lines = result.output.splitlines()
    [newest] = [n for n, line in enumerate(lines) if "alice" in line]
    [oldest] = [n for n, line in enumerate(lines) if "bob" in line]
    assert newest < oldest
    assert "status=pulled" in lines[newest]
    assert "2026-02-03 04:05" in lines[newest]
    assert json.loads(as_json.stdout) == {**document, "audit": AUDIT}


def test_release_on_a_plan_in_hundredths_sends_it_and_shows_the_first_step(api: FakeApi) -> None:
    answer = {"version": version_doc("k", status="released", rollout_percent=0.5)}
    api.on("POST", f"{VERSION_PATH}/rollout", (200, answer))

    result = run("release", "my-plugin", "1.2.0", "--plan", "0.5,2.5,25,100", "--step-hours", "6")

    assert result.exit_code == 0, result.output
    assert "rollout 0.5%" in result.output
    assert api.calls() == [("POST", f"{VERSION_PATH}/rollout", {"plan": "0.5,2.5,25,100", "step_hours": 6})]
