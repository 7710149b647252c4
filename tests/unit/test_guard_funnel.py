"""The update funnel, counted where telemetry is recorded: per version and rollout step, each site
once per stage, with the failures the gate weighs."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.logic.guard import funnel
from chalicelib.logic.guard.gate import Counts
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import Platform, Plugin, PluginVersion, Status
from chalicelib.logic.site_inputs import HealthReport, InstallReport, Registration
from chalicelib.logic.telemetry import Telemetry
from tests.unit.fakes import FakeRepository

SLUG = "igny8-bridge"
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def fleet(percent: float = 5) -> FakeRepository:
    repo = FakeRepository()
    repo.save_plugin(
        Plugin(slug=SLUG, name="Bridge", platform=Platform.WORDPRESS, created_at=NOW, updated_at=NOW)
    )
    for version, rollout in (("1.0.0", 100), ("1.1.0", percent)):
        repo.put_version(
            PluginVersion(
                slug=SLUG,
                version=version,
                status=Status.RELEASED,
                created_at=NOW,
                released_at=NOW,
                rollout_percent=rollout,
                file_path=f"packages/{version}.zip",
            )
        )
    return repo


def walk(repo: FakeRepository, site: str, *, health: str = "active", at: datetime = NOW) -> None:
    """One site through an update to 1.1.0 the way the bridge reports it."""
    telemetry = Telemetry(repo, at)
    telemetry.record_offer(site, SLUG, "1.1.0")
    telemetry.record_download(SLUG, "1.1.0", site)
    telemetry.installed(site, SLUG, parse(InstallReport, {"version": "1.1.0"}, "body"))
    telemetry.register(site, SLUG, parse(Registration, {"version": "1.1.0"}, "body"))
    telemetry.health(site, SLUG, parse(HealthReport, {"version": "1.1.0", "status": health}, "body"))


def test_each_stage_counts_a_site_once_in_the_step_it_entered() -> None:
    repo = fleet(percent=5)

    walk(repo, "site-1")
    walk(repo, "site-1")  # the same reports again (a retry, a second request)
    walk(repo, "site-2", health="error")

    assert funnel.read(repo, SLUG, "1.1.0") == {
        5: Counts(offered=2, downloaded=2, installed=2, health_failed=1)
    }


@pytest.mark.parametrize("first", [5, 2.5])
def test_a_later_stage_lands_in_the_step_the_site_was_offered_in(first: float) -> None:
    """A step in hundredths (2.5, counted under "002.50") keeps its own cohort as a whole one does."""
    repo = fleet(percent=first)
    Telemetry(repo, NOW).record_offer("site-1", SLUG, "1.1.0")
    version = repo.get_version(SLUG, "1.1.0")
    assert version is not None
    repo.put_version(dataclasses.replace(version, rollout_percent=25))

    walk(repo, "site-1", at=NOW + timedelta(hours=7))
    walk(repo, "site-2", at=NOW + timedelta(hours=7))

    by_step = funnel.read(repo, SLUG, "1.1.0")
    assert list(by_step) == [first, 25]
    assert by_step[first] == Counts(offered=1, downloaded=1, installed=1)
    assert by_step[25] == Counts(offered=1, downloaded=1, installed=1)


def test_healthy_is_counted_only_after_the_site_ran_the_version_a_while() -> None:
    repo = fleet()
    walk(repo, "site-1")
    telemetry_later = Telemetry(repo, NOW + funnel.HEALTHY_AFTER)

    telemetry_later.health(
        "site-1", SLUG, parse(HealthReport, {"version": "1.1.0", "status": "active"}, "body")
    )

    assert funnel.total(funnel.read(repo, SLUG, "1.1.0")).healthy == 1


def test_a_refused_package_counts_as_an_install_failure_of_the_offered_version() -> None:
    """The bridge reports a package it refused as a health error from the version it still runs."""
    repo = fleet()
    telemetry = Telemetry(repo, NOW)
    telemetry.register("site-1", SLUG, parse(Registration, {"version": "1.0.0"}, "body"))
    telemetry.record_offer("site-1", SLUG, "1.1.0")
    telemetry.record_download(SLUG, "1.1.0", "site-1")

    telemetry.health(
        "site-1",
        SLUG,
        parse(HealthReport, {"version": "1.0.0", "status": "error", "message": "bad signature"}, "body"),
    )

    assert funnel.total(funnel.read(repo, SLUG, "1.1.0")) == Counts(offered=1, downloaded=1, install_failed=1)
    assert funnel.total(funnel.read(repo, SLUG, "1.0.0")) == Counts(installed=1, health_failed=1)


def test_an_anonymous_download_counts_no_site() -> None:
    repo = fleet()

    Telemetry(repo, NOW).record_download(SLUG, "1.1.0")

    assert funnel.read(repo, SLUG, "1.1.0") == {}
    assert repo.counts("downloads#" + SLUG, "2026") == {"2026-11-29#1.1.0": 1}


def test_concurrent_reports_of_one_site_count_it_once() -> None:
    """Two requests of one site at once both miss the installation's marks: the per-site marker's
    conditional write lets one count."""
    repo = fleet()
    report = parse(Registration, {"version": "1.1.0"}, "body")
    threads = [
        threading.Thread(target=lambda: Telemetry(repo, NOW).register("site-1", SLUG, report))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert funnel.total(funnel.read(repo, SLUG, "1.1.0")).installed == 1


def test_cohorts_ignore_counters_that_are_not_funnel_stages() -> None:
    assert funnel.cohorts({"005#offered": 3, "005#bogus": 9, "x#offered": 1}) == {5: Counts(offered=3)}


def test_step_labels_in_hundredths_sort_and_read_beside_whole_ones_written_before() -> None:
    assert funnel.step_label(2.5) == "002.50" and funnel.step_label(0.07) == "000.07"
    assert funnel.step_label(5) == "005"  # as older code wrote it
    assert funnel.cohorts({"002#offered": 1, "002.50#offered": 2, "100#offered": 3, "002.5#offered": 9}) == {
        2: Counts(offered=1),
        2.5: Counts(offered=2),
        100: Counts(offered=3),
    }
