"""The first step of a guarded plan is widened until it can show evidence, and says why; a step
held beyond its plan's bound raises the stall alarm once, visible in status and the audit."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.guard.gate import GateConfig
from chalicelib.logic.guard.report import rollout_report
from chalicelib.logic.guard.runner import Guard
from chalicelib.logic.guard.sizing import WIDEST, held, sample_sites, size
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import Status
from chalicelib.logic.rollout import admits, bucket
from chalicelib.logic.site_inputs import Registration
from chalicelib.logic.telemetry import Telemetry
from tests.unit.fakes import FakeRepository
from tests.unit.test_guard_rollout import SLUG, START, actions, repo, sites_report, start, version

__all__ = ["repo"]  # the fixture, shared with the rollout tests

DEFAULTS = GateConfig()


SALT = "5f2c9a0e41d7b3c8a6e0f1d2c3b4a596"


def buckets(sites: int) -> list[int]:
    """The sorted rollout buckets of a fleet of ``sites`` sites (the service knows each one's)."""
    return sorted(bucket(SALT, f"site-{n}") for n in range(sites))


@pytest.mark.parametrize(
    ("fleet", "steps"),
    [
        (300, [7.26, 25, 100]),  # 20 sites are about 6.7 %: 5 % is dropped, it is below the widened step
        (1000, [1.87, 5, 25, 100]),  # about 2 %, in hundredths: not 3 % (30 sites) as whole percentages
        (3000, [1, 5, 25, 100]),  # 1 % holds 30 sites: as planned
        (10_000, [1, 5, 25, 100]),  # 89 sites
        (20, [50, 100]),  # a fleet smaller than the sample: at most half of it first
    ],
)
def test_the_first_step_is_the_least_percentage_in_hundredths_holding_the_gates_sample(
    fleet: int, steps: list[float]
) -> None:
    known = buckets(fleet)

    sized = size([1, 5, 25, 100], known, DEFAULTS, gated=True)

    assert sized.steps == steps
    if steps[0] != 1:
        assert f"widened from 1 % to {steps[0]} %" in sized.reason and f"of the {fleet} sites" in sized.reason
    if steps[0] not in (1, WIDEST):  # exactly the sample, and no smaller step holds it
        assert held(steps[0], known) == sample_sites(DEFAULTS) == 20
        assert held(steps[0] - 0.01, known) < 20


def test_the_sample_is_what_the_pass_rule_needs_at_the_coverage_it_assumes() -> None:
    """16 installs (80 % of 20) pass a step of fewer than 25 sites; 80 % of 20 sites give them."""
    assert sample_sites(DEFAULTS) == 20
    assert DEFAULTS.needed(20) == 16 == math.ceil(DEFAULTS.min_coverage * 20)
    assert sample_sites(GateConfig(min_installs=5)) == 5


def test_an_evenly_spread_fleet_is_sized_on_its_sites_not_a_rounded_share() -> None:
    """Sites every 10 buckets (1 000 sites): the 20th is in bucket 190, so 1.91 % holds 20; at
    300 sites (every 33.3 buckets) 6.34 %; at 3 000 sites 1 % holds 30, as planned."""

    def even(fleet: int) -> list[int]:
        return [n * 10_000 // fleet for n in range(fleet)]

    assert size([1, 5, 25, 100], even(1000), DEFAULTS, gated=True).steps == [1.91, 5, 25, 100]
    assert size([1, 5, 25, 100], even(300), DEFAULTS, gated=True).steps == [6.34, 25, 100]
    assert size([1, 5, 25, 100], even(3000), DEFAULTS, gated=True).steps == [1, 5, 25, 100]
    assert size([0.5, 2.5, 25, 100], even(1000), DEFAULTS, gated=True).steps == [1.91, 2.5, 25, 100]
    as_planned = size([2.5, 25, 100], even(1000), DEFAULTS, gated=True)
    assert as_planned.steps == [2.5, 25, 100]
    assert as_planned.reason.startswith("first step 2.5 % as planned: 25 of the 1000 sites")


def test_a_smaller_sample_needs_no_widening() -> None:
    sized = size([1, 5, 25, 100], buckets(1000), GateConfig(min_installs=5), gated=True)

    assert sized.steps == [1, 5, 25, 100]
    assert sized.reason.startswith("first step 1 % as planned")


@pytest.mark.parametrize(("fleet", "gated", "says"), [(0, True, "size is unknown"), (1000, False, "ungated")])
def test_an_unknown_fleet_or_an_ungated_plan_keeps_its_steps(fleet: int, gated: bool, says: str) -> None:
    sized = size([1, 5, 25, 100], buckets(fleet), DEFAULTS, gated=gated)

    assert sized.steps == [1, 5, 25, 100] and says in sized.reason


def _fleet(repo: FakeRepository, sites: int) -> None:
    for n in range(sites):
        Telemetry(repo, START).register(f"old-{n}", SLUG, parse(Registration, {"version": "1.0.0"}, "body"))


def test_starting_on_a_known_fleet_offers_the_widened_step_and_says_why(repo: FakeRepository) -> None:
    _fleet(repo, 300)

    started = start(repo, min_installs=20)

    assert started.rollout_percent == 7.53 and started.rollout is not None  # its 20 sites of 300
    assert started.rollout.steps == [7.53, 25, 100]
    entry = repo.audit(SLUG)[0]
    assert entry.after["requested_plan"] == [1, 5, 25, 100] and entry.after["plan"] == [7.53, 25, 100]
    assert (
        "widened from 1 % to 7.53 %" in entry.after["reason"]
        and "holds 20 of the 300 sites" in entry.after["reason"]
    )
    offered = [f"old-{n}" for n in range(300) if admits(7.53, SLUG, f"old-{n}")]
    assert len(offered) == 20  # the plugin's salt is its slug here: the step holds exactly its sample
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
