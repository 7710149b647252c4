"""Planned rollouts: started and resumed by an admin, advanced, completed or halted by the guard's
scheduled look, with conditional writes, audit entries and what sites are offered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.logic.commands import StartRollout
from chalicelib.logic.decision import SiteRequest, decide
from chalicelib.logic.errors import Conflict, InvalidInput
from chalicelib.logic.guard.plan import Rollouts
from chalicelib.logic.guard.report import rollout_report
from chalicelib.logic.guard.runner import Guard
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import Platform, Plugin, PluginVersion, Status
from chalicelib.logic.release import ordered
from chalicelib.logic.releases import Releases
from chalicelib.logic.site_inputs import HealthReport, Registration
from chalicelib.logic.telemetry import Telemetry
from tests.unit.fakes import FakeRepository, FakeStore

SLUG = "igny8-bridge"
START = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> FakeRepository:
    repo = FakeRepository()
    repo.save_plugin(
        Plugin(slug=SLUG, name="Bridge", platform=Platform.WORDPRESS, created_at=START, updated_at=START)
    )
    repo.put_version(
        PluginVersion(
            slug=SLUG,
            version="1.0.0",
            status=Status.RELEASED,
            created_at=START,
            released_at=START,
            file_path="p/1.zip",
        )
    )
    repo.put_version(
        PluginVersion(slug=SLUG, version="1.1.0", status=Status.STAGED, created_at=START, file_path="p/2.zip")
    )
    return repo


def start(repo: FakeRepository, **body: object) -> PluginVersion:
    command = parse(StartRollout, {"plan": [1, 5, 25, 100], "min_installs": 10, **body}, "body")
    return Rollouts(Releases(repo, FakeStore(), START, "admin@igny8.com")).start(SLUG, "1.1.0", command)


def sites_report(repo: FakeRepository, count: int, at: datetime, *, failing: int = 0, first: int = 0) -> None:
    """``count`` sites install 1.1.0 and report; the first ``failing`` of them report errors."""
    for n in range(first, first + count):
        telemetry, site = Telemetry(repo, at), f"site-{n}"
        telemetry.record_offer(site, SLUG, "1.1.0")
        telemetry.record_download(SLUG, "1.1.0", site)
        telemetry.register(site, SLUG, parse(Registration, {"version": "1.1.0"}, "body"))
        status = "error" if n - first < failing else "active"
        telemetry.health(site, SLUG, parse(HealthReport, {"version": "1.1.0", "status": status}, "body"))


def version(repo: FakeRepository) -> PluginVersion:
    found = repo.get_version(SLUG, "1.1.0")
    assert found is not None and found.rollout is not None
    return found


def actions(repo: FakeRepository) -> list[str]:
    return [e.action for e in reversed(repo.audit(SLUG)) if e.action.startswith("rollout-")]


def test_starting_a_plan_releases_at_its_first_step_and_audits_it(repo: FakeRepository) -> None:
    started = start(repo)

    assert (started.status, started.rollout_percent) == (Status.RELEASED, 1)
    entry = repo.audit(SLUG)[-1] if actions(repo) == ["rollout-start"] else None
    assert entry is not None and entry.after["plan"] == [1, 5, 25, 100] and entry.after["gated"] is True
    assert repo.get_plugin(SLUG).latest == {"stable": "1.1.0"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"plan": [5, 1, 100]}, "invalid_plan"),
        ({"plan": "1,5"}, "invalid_plan"),
        ({"step_hours": 0}, "invalid_step_hours"),
        ({"margin_points": 90}, "invalid_margin"),
        ({"gate": "perhaps"}, "invalid_gate"),
        ({"plans": [1]}, "unknown_field"),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_changes(
    repo: FakeRepository, body: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        start(repo, **body)

    assert refused.value.code == code
    assert repo.get_version(SLUG, "1.1.0").status is Status.STAGED  # type: ignore[union-attr]
    assert repo.audit(SLUG) == []


def test_a_plan_never_lowers_what_sites_are_offered(repo: FakeRepository) -> None:
    Releases(repo, FakeStore(), START, "a").apply(SLUG, "1.1.0", "release")

    with pytest.raises(Conflict) as refused:
        start(repo)

    assert refused.value.code == "rollout_lowers"


def test_a_step_waits_its_hours_then_advances_when_healthy(repo: FakeRepository) -> None:
    start(repo)
    sites_report(repo, 12, START + timedelta(hours=1))

    assert Guard(repo, START + timedelta(hours=5)).run() == []
    [moved] = Guard(repo, START + timedelta(hours=6)).run()

    assert (moved.action, moved.percent) == ("advance", 5)
    assert (version(repo).rollout_percent, version(repo).rollout.step) == (5, 1)  # type: ignore[union-attr]
    assert actions(repo) == ["rollout-start", "rollout-advance"]


def test_a_good_release_walks_the_whole_plan_and_completes(repo: FakeRepository) -> None:
    start(repo)
    at = START
    for step in range(4):
        sites_report(repo, 12, at + timedelta(hours=1), first=step * 100)
        at += timedelta(hours=6)
        Guard(repo, at).run()

    assert version(repo).rollout.state == "completed"  # type: ignore[union-attr]
    assert version(repo).rollout_percent == 100
    assert actions(repo) == [
        "rollout-start",
        "rollout-advance",
        "rollout-advance",
        "rollout-advance",
        "rollout-complete",
    ]


def test_a_failing_release_halts_at_once_and_is_offered_to_no_new_site(repo: FakeRepository) -> None:
    start(repo, plan=[50, 100])
    sites_report(repo, 15, START + timedelta(hours=1), failing=6)

    [moved] = Guard(repo, START + timedelta(hours=1, minutes=5)).run()  # before the step's 6 h

    halted = version(repo)
    assert (moved.action, halted.rollout.state, halted.rollout_percent) == ("halt", "halted", 50)  # type: ignore[union-attr]
    evidence = repo.audit(SLUG)[0].after
    assert evidence["counts"]["health_failed"] == 6 and evidence["counts"]["installed"] == 15
    assert evidence["sites"] == [f"site-{n}" for n in range(6)]
    assert "health failures 6/15" in evidence["reason"]
    plugin = repo.get_plugin(SLUG)
    assert plugin is not None and plugin.releases["1.1.0"].halted
    for n in range(200):  # half of them are inside the 50 %, none is offered the halted version
        offered, why = decide(
            plugin, ordered(plugin.releases), SiteRequest(current="1.0.0", site_id=f"new-{n}")
        )
        assert offered is None and why == "not_in_rollout"


def test_resume_accepts_what_was_seen_and_goes_on_judging_what_follows(repo: FakeRepository) -> None:
    start(repo, plan=[50, 100])
    sites_report(repo, 15, START, failing=6)
    Guard(repo, START + timedelta(minutes=5)).run()

    resumed = Rollouts(Releases(repo, FakeStore(), START + timedelta(hours=1), "ops@igny8.com")).resume(
        SLUG, "1.1.0"
    )

    assert resumed.rollout is not None and resumed.rollout.state == "running"
    assert resumed.rollout.accepted["health_failed"] == 6
    assert Guard(repo, START + timedelta(hours=2)).run() == []  # the old evidence does not halt it again
    sites_report(repo, 12, START + timedelta(hours=3), first=100)
    [moved] = Guard(repo, START + timedelta(hours=7)).run()
    assert (moved.action, moved.percent) == ("advance", 100)
    assert actions(repo) == ["rollout-start", "rollout-halt", "rollout-resume", "rollout-advance"]


def test_resume_needs_a_halted_rollout(repo: FakeRepository) -> None:
    start(repo)

    with pytest.raises(Conflict) as refused:
        Rollouts(Releases(repo, FakeStore(), START, "a")).resume(SLUG, "1.1.0")

    assert refused.value.code == "not_halted"


def test_an_ungated_security_release_advances_on_time_alone_and_says_so(repo: FakeRepository) -> None:
    start(repo, gate=False, plan=[50, 100], force_update=True)
    sites_report(repo, 15, START, failing=10)

    [moved] = Guard(repo, START + timedelta(hours=6)).run()

    assert (moved.action, moved.percent) == ("advance", 100)
    assert repo.audit(SLUG)[-1].after["gated"] is False
    assert version(repo).force_update


def test_two_guards_looking_at_once_move_a_rollout_once(repo: FakeRepository) -> None:
    start(repo)
    sites_report(repo, 12, START + timedelta(hours=1))
    at = START + timedelta(hours=6)
    first, second = Guard(repo, at), Guard(repo, at)
    stale = repo.versions(SLUG)

    moved = first.step(version(repo), stale)
    again = second.step(next(v for v in stale if v.version == "1.1.0"), stale)  # read before the first wrote

    assert moved is not None and again is None
    assert actions(repo) == ["rollout-start", "rollout-advance"]
    assert Guard(repo, at).run() == []  # a run right after sees the new step, not yet due


def test_the_report_shows_plan_gate_funnel_baseline_and_timeline(repo: FakeRepository) -> None:
    Telemetry(repo, START).register("old-site", SLUG, parse(Registration, {"version": "1.0.0"}, "body"))
    start(repo, plan=[50, 100])
    sites_report(repo, 15, START, failing=6)
    Guard(repo, START + timedelta(minutes=5)).run()

    [rollout] = rollout_report(repo, SLUG, START + timedelta(minutes=10))["rollouts"]

    assert (rollout["version"], rollout["percent"], rollout["plan"]["state"]) == ("1.1.0", 50, "halted")
    assert rollout["halt"]["sites"][:2] == ["site-0", "site-1"]
    assert rollout["funnel"]["steps"][0]["percent"] == 50
    assert rollout["funnel"]["total"]["health_failed"] == 6
    assert rollout["funnel"]["baseline"] == {
        "version": "1.0.0",
        "counts": {**rollout["funnel"]["baseline"]["counts"], "installed": 1},
    }
    assert [e["action"] for e in rollout["timeline"]] == ["start", "halt"]


def test_sites_that_go_silent_after_fetching_halt_the_next_step(repo: FakeRepository) -> None:
    """Half of the first step's sites fetch the version and never report running it: while that
    step runs they may be slow; once the next step starts they count as install failures."""
    start(repo, plan=[10, 50, 100], min_installs=5)
    sites_report(repo, 6, START + timedelta(hours=1))
    for n in range(100, 106):  # fetched it, then nothing
        Telemetry(repo, START + timedelta(hours=1)).record_offer(f"site-{n}", SLUG, "1.1.0")
        Telemetry(repo, START + timedelta(hours=1)).record_download(SLUG, "1.1.0", f"site-{n}")

    [advanced] = Guard(repo, START + timedelta(hours=6)).run()
    [halted] = Guard(repo, START + timedelta(hours=6, minutes=5)).run()

    assert (advanced.action, halted.action, halted.percent) == ("advance", "halt", 50)
    assert halted.evidence["counts"]["silent"] == 6
    assert "install failures 6/12" in halted.evidence["reason"]


def test_a_step_whose_bucket_holds_fewer_sites_than_its_share_is_not_stuck(repo: FakeRepository) -> None:
    """100 sites run the baseline, so 25 % should admit 25; this bucket holds 16. Until every site
    has checked (12 h) the step waits for 20; after, the 16 that exist are the whole step, and 16
    is 80 % of the sample."""
    for n in range(100):
        Telemetry(repo, START).register(f"old-{n}", SLUG, parse(Registration, {"version": "1.0.0"}, "body"))
    start(repo, plan=[25, 100], min_installs=20)
    sites_report(repo, 16, START + timedelta(hours=1))

    assert Guard(repo, START + timedelta(hours=6)).run() == []  # holds: 16 of 20
    [moved] = Guard(repo, START + timedelta(hours=12)).run()

    assert (moved.action, moved.percent) == ("advance", 100)
