"""The rollout guard on the real apps and tables (moto): a planned rollout started through the
admin API, sites reporting through the site routes, the scheduled function halting it on their
evidence, status and audit showing why, and the halted version offered to no site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from infra.stack import load_template
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload
from tests.integration.test_public_api import assert_error

SLUG = "igny8-wp-bridge"
ROLLOUT = f"/admin/plugins/{SLUG}/versions/1.1.0/rollout"
STATUS = f"/admin/plugins/{SLUG}/rollouts"


@dataclass(frozen=True)
class Fleet:
    client: Client
    keys: dict[str, str]

    def call(self, site: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {
            "X-IGNY8-Site-ID": site,
            "X-IGNY8-API-Key": self.keys[site],
            "Content-Type": "application/json",
        }
        return self.client.http.request(
            method, f"/plugins/{SLUG}/{path}", headers=headers, body=b"" if body is None else _json(body)
        )

    def offered(self, site: str) -> bool:
        answer = self.call(site, "GET", "check-update?current_version=1.0.0")
        assert answer.status_code == 200, answer.body
        return bool(answer.json_body["update_available"])

    def update(self, site: str, health: str) -> None:
        """What the bridge sends around an update to 1.1.0."""
        assert self.offered(site)
        assert self.call(site, "GET", "download-url?version=1.1.0").status_code == 200
        assert self.call(site, "POST", "register-installation", {"version": "1.1.0"}).status_code == 200
        assert (
            self.call(site, "POST", "health-check", {"version": "1.1.0", "status": health}).status_code == 200
        )

    def guard(self) -> dict[str, Any]:
        event = self.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        result = self.client.lambda_.invoke("rollout_guard", event)
        return dict(result.payload)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.http.request(
            method,
            path,
            headers={**admin_headers(), "Content-Type": "application/json"},
            body=_json(body or {}),
        )


@dataclass(frozen=True)
class _At:
    """A clock stopped at one moment (the guard's and the status' ``now``)."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    with deployed() as (client, outputs):
        bucket = outputs["ArtifactsBucketName"]
        upload(bucket, f"sources/wordpress/{SLUG}/1.0.0/a.zip", source_zip(), status="released")
        upload(bucket, f"sources/wordpress/{SLUG}/1.1.0/b.zip", source_zip())
        Packager(client, outputs).run()
        keys = {}
        for n in range(12):
            created = client.http.post(
                "/admin/sites",
                headers={**admin_headers(), "Content-Type": "application/json"},
                body=_json({"name": f"Site {n}", "url": f"https://s{n}.example", "site_id": f"site-{n}"}),
            )
            assert created.status_code == 201, created.body
            keys[f"site-{n}"] = created.json_body["api_key"]
        yield Fleet(client, keys)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"plan": [5, 1, 100]}, "invalid_plan"),
        ({"plan": "1,5,25"}, "invalid_plan"),
        ({"plan": [100], "step_hours": 500}, "invalid_step_hours"),
        ({"plan": [100], "gate": "sometimes"}, "invalid_gate"),
        ({"plan": [100], "percent": 5}, "unknown_field"),
        ({}, "missing_field"),
        ({"plan": [100], "stall_hours": 1}, "invalid_stall_hours"),
        ({"plan": [100], "stall_hours": 10_000}, "invalid_stall_hours"),
        ({"plan": [100], "step_hours": 12, "stall_hours": 12}, "invalid_stall_hours"),  # within a step
        ({"plan": [100], "min_installs": 0}, "invalid_min_installs"),
        ({"plan": [100], "margin_points": 51}, "invalid_margin"),
    ],
)
def test_a_bad_plan_is_a_clear_400_and_changes_nothing(fleet: Fleet, body: dict[str, Any], code: str) -> None:
    response = fleet.admin("POST", ROLLOUT, body)

    assert_error(response.status_code, response.json_body, 400, code)
    versions = fleet.admin("GET", f"/admin/plugins/{SLUG}").json_body["versions"]
    assert next(v for v in versions if v["version"] == "1.1.0")["status"] == "draft"
    assert fleet.admin("GET", STATUS).json_body["rollouts"] == []


def test_a_failing_rollout_halts_itself_and_shows_why(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    started = fleet.admin("POST", ROLLOUT, {"plan": [100], "min_installs": 5})
    assert started.status_code == 200, started.body
    assert started.json_body["version"]["rollout"]["steps"] == [100]
    assert fleet.guard() == {"transitions": 0}  # no evidence yet: nothing to do

    for n in range(8):
        fleet.update(f"site-{n}", "error" if n < 5 else "active")
    capsys.readouterr()
    assert fleet.guard() == {"transitions": 1}
    emitted = capsys.readouterr().out
    assert '"RolloutHalted"' in emitted  # the EMF metric the template's alarm pages on
    assert fleet.guard() == {"transitions": 0}  # a second run finds it halted already

    [rollout] = fleet.admin("GET", STATUS).json_body["rollouts"]
    assert (rollout["plan"]["state"], rollout["percent"]) == ("halted", 100)
    assert rollout["halt"]["counts"]["health_failed"] == 5
    assert rollout["halt"]["counts"]["installed"] == 8
    assert rollout["halt"]["sites"] == [f"site-{n}" for n in range(5)]
    assert rollout["funnel"]["total"] | {"offered": 8, "downloaded": 8} == rollout["funnel"]["total"]
    assert [e["action"] for e in rollout["timeline"]] == ["start", "halt"]
    audit = fleet.admin("GET", f"/admin/plugins/{SLUG}/audit").json_body["entries"]
    assert audit[0]["action"] == "rollout-halt" and audit[0]["actor"] == "rollout-guard"
    assert not fleet.offered("site-11")  # a site that had not updated yet is offered nothing

    resumed = fleet.admin("POST", f"/admin/plugins/{SLUG}/versions/1.1.0/resume")
    assert resumed.status_code == 200, resumed.body
    assert resumed.json_body["version"]["rollout"]["state"] == "running"
    assert fleet.offered("site-11")
    again = fleet.admin("POST", f"/admin/plugins/{SLUG}/versions/1.1.0/resume")
    assert_error(again.status_code, again.json_body, 409, "not_halted")


def test_a_rollout_held_beyond_its_bound_raises_the_stall_alarm_once(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rollout resumed above waits for installs nobody sends: a day later the guard says so."""
    [before] = fleet.admin("GET", STATUS).json_body["rollouts"]
    assert (before["plan"]["state"], before["plan"]["stalled"]) == ("running", False)
    started = datetime.fromisoformat(before["plan"]["step_started_at"].replace("Z", "+00:00"))
    monkeypatch.setattr(clock, "clock", lambda: _At(started + timedelta(hours=24, minutes=1)))
    capsys.readouterr()

    assert fleet.guard() == {"transitions": 1}
    assert '"RolloutStalled"' in capsys.readouterr().out
    assert fleet.guard() == {"transitions": 0}  # once per step
    assert '"RolloutStalled"' not in capsys.readouterr().out

    [rollout] = fleet.admin("GET", STATUS).json_body["rollouts"]
    assert (rollout["plan"]["state"], rollout["percent"], rollout["plan"]["stalled"]) == (
        "running",
        100,
        True,
    )
    assert rollout["plan"]["stall_hours"] == 24
    assert rollout["timeline"][-1]["action"] == "stall"
    assert "beyond the 24 h bound: waiting for installs" in rollout["timeline"][-1]["reason"]
    audit = fleet.admin("GET", f"/admin/plugins/{SLUG}/audit").json_body["entries"]
    assert (audit[0]["action"], audit[0]["actor"]) == ("rollout-stall", "rollout-guard")


def test_every_guard_metric_that_pages_has_an_alarm_in_the_template() -> None:
    alarms = {
        resource["Properties"]["MetricName"]
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }

    assert {"RolloutHalted", "RolloutStalled"} <= alarms
