"""The first step of a guarded plan is widened until it can show evidence, and says why; a step
held beyond its plan's bound raises the stall alarm once, visible in status and the audit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.guard.gate import GateConfig
from chalicelib.logic.guard.report import rollout_report
from chalicelib.logic.guard.runner import Guard
from chalicelib.logic.guard.sizing import size
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import Status
from chalicelib.logic.site_inputs import Registration
from chalicelib.logic.telemetry import Telemetry
from tests.unit.fakes import FakeRepository
from tests.unit.test_guard_rollout import SLUG, START, actions, repo, sites_report, start, version

__all__ = ["repo"]  # the fixture, shared with the rollout tests

DEFAULTS = GateConfig()


@pytest.mark.parametrize(
    ("fleet", "steps"),
    [
        (300, [9, 25, 100]),  # 25 sites are 8.3 %: 5 % is dropped, it is below the widened step
        (1000, [3, 5, 25, 100]),
        (3000, [1, 5, 25, 100]),  # 1 % is 30 sites: as planned
        (10_000, [1, 5, 25, 100]),
        (20, [50, 100]),  # a fleet smaller than the sample: at most half of it first
    ],
)
def test_the_first_step_is_widened_to_hold_the_gates_sample(fleet: int, steps: list[int]) -> None:
    sized = size([1, 5, 25, 100], fleet, DEFAULTS, gated=True)

    assert sized.steps == steps
    if steps[0] != 1:
        assert f"widened from 1 % to {steps[0]} %" in sized.reason and f"{fleet} sites" in sized.reason


def test_a_smaller_sample_needs_no_widening() -> None:
    sized = size([1, 5, 25, 100], 1000, GateConfig(min_installs=5), gated=True)

    assert sized.steps == [1, 5, 25, 100]
    assert sized.reason.startswith("first step 1 % as planned")


@pytest.mark.parametrize(("fleet", "gated", "says"), [(0, True, "size is unknown"), (1000, False, "ungated")])
def test_an_unknown_fleet_or_an_ungated_plan_keeps_its_steps(fleet: int, gated: bool, says: str) -> None:
    sized = size([1, 5, 25, 100], fleet, DEFAULTS, gated=gated)

    assert sized.steps == [1, 5, 25, 100] and says in sized.reason


def _fleet(repo: FakeRepository, sites: int) -> None:
    for n in range(sites):
        Telemetry(repo, START).register(f"old-{n}", SLUG, parse(Registration, {"version": "1.0.0"}, "body"))


def test_starting_on_a_known_fleet_offers_the_widened_step_and_says_why(repo: FakeRepository) -> None:
    _fleet(repo, 300)

    started = start(repo, min_installs=20)

    assert started.rollout_percent == 9 and started.rollout is not None
    assert started.rollout.steps == [9, 25, 100]
    entry = repo.audit(SLUG)[0]
    assert entry.after["requested_plan"] == [1, 5, 25, 100] and entry.after["plan"] == [9, 25, 100]
    assert "widened from 1 % to 9 %" in entry.after["reason"]
    [shown] = rollout_report(repo, SLUG, START)["rollouts"]
    assert shown["plan"]["sizing"] == entry.after["reason"]


def test_sites_that_stopped_reporting_are_not_the_fleet(repo: FakeRepository) -> None:
    for n in range(300):  # reported 40 days ago, nothing since
        Telemetry(repo, START - timedelta(days=40)).register(
            f"gone-{n}", SLUG, parse(Registration, {"version": "1.0.0"}, "body")
        )

    started = start(repo, min_installs=20)

    assert started.rollout_percent == 1 and "no site has reported" in started.rollout.sizing  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"stall_hours": 6}, "invalid_stall_hours"),
        ({"stall_hours": 1}, "invalid_stall_hours"),
        ({"stall_hours": 721}, "invalid_stall_hours"),
    ],
)
def test_a_stall_bound_within_a_step_is_refused_and_nothing_changes(
    repo: FakeRepository, body: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        start(repo, step_hours=6, **body)

    assert refused.value.code == code
    assert repo.get_version(SLUG, "1.1.0").status is Status.STAGED  # type: ignore[union-attr]
    assert repo.audit(SLUG) == []


def test_a_step_held_beyond_its_bound_raises_the_stall_once_then_advances_when_it_can(
    repo: FakeRepository,
) -> None:
    start(repo, stall_hours=24)  # min_installs 10
    sites_report(repo, 4, START + timedelta(hours=1))  # 4 of the 8 a small step needs: it holds

    assert Guard(repo, START + timedelta(hours=23)).run() == []
    [stalled] = Guard(repo, START + timedelta(hours=24, minutes=5)).run()

    assert (stalled.action, stalled.percent) == ("stall", 1)
    assert "held for 24 h, beyond the 24 h bound" in stalled.evidence["reason"]
    assert "waiting for installs: 4 of 8 reported" in stalled.evidence["reason"]
    assert (version(repo).rollout.state, version(repo).rollout_percent) == ("running", 1)  # type: ignore[union-attr]
    assert Guard(repo, START + timedelta(hours=30)).run() == []  # once per step, not every look
    [shown] = rollout_report(repo, SLUG, START + timedelta(hours=30))["rollouts"]
    assert shown["plan"]["stalled"] is True and shown["plan"]["stalled_since"] == "2026-11-30T08:00:00Z"
    assert shown["timeline"][-1]["action"] == "stall"

    sites_report(repo, 8, START + timedelta(hours=31), first=100)
    [moved] = Guard(repo, START + timedelta(hours=31, minutes=5)).run()

    assert (moved.action, moved.percent) == ("advance", 5)
    [shown] = rollout_report(repo, SLUG, START + timedelta(hours=32))["rollouts"]
    assert shown["plan"]["stalled"] is False
    assert actions(repo) == ["rollout-start", "rollout-stall", "rollout-advance"]
