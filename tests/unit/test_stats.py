"""A plugin's stats document, field by field, over a small world with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.logic.model import Installation, PluginVersion, Status
from chalicelib.logic.site_inputs import HealthReport, Registration
from chalicelib.logic.stats import plugin_stats
from chalicelib.logic.telemetry import Telemetry
from tests.unit.fakes import FakeRepository

SLUG = "igny8-bridge"
NOW = datetime(2024, 5, 20, 12, 0, 0, tzinfo=UTC)
#: The latest release (1.1.0) came out ten and a half days before NOW.
RELEASED = datetime(2024, 5, 10, 0, 0, 0, tzinfo=UTC)
OFFERED_AT = RELEASED + timedelta(hours=1)
LONG_AGO = datetime(2024, 4, 2, tzinfo=UTC)


def version(number: str, status: Status, released_at: datetime | None, **fields: Any) -> PluginVersion:
    return PluginVersion(
        slug=SLUG,
        version=number,
        status=status,
        created_at=released_at or NOW - timedelta(days=1),
        released_at=released_at,
        **fields,
    )


def installation(site_id: str, current: str, **fields: Any) -> Installation:
    return Installation(
        site_id=site_id, slug=SLUG, created_at=LONG_AGO, updated_at=NOW, current_version=current, **fields
    )


def world() -> FakeRepository:
    repo = FakeRepository()
    repo.put_version(version("1.0.0", Status.RELEASED, datetime(2024, 4, 1, tzinfo=UTC)))
    repo.put_version(version("1.1.0", Status.RELEASED, RELEASED, force_update=True))
    # Newer, but neither is a release sites are offered: adoption and forcing ignore them.
    repo.put_version(version("1.2.0", Status.DRAFT, None))
    repo.put_version(version("1.3.0", Status.PULLED, RELEASED + timedelta(days=1), force_update=True))
    for site in (
        # Upgraded 2 h after release, answered the offer within a day: active, adopted, succeeded.
        installation(
            "a",
            "1.1.0",
            version_reported_at=RELEASED + timedelta(hours=2),
            last_health_check=NOW - timedelta(days=1),
            health_status="active",
            offered_version="1.1.0",
            update_offered_at=OFFERED_AT,
        ),
        # Upgraded after 10 h; its health check says "error": active, failing, succeeded.
        installation(
            "b",
            "1.1.0",
            version_reported_at=RELEASED + timedelta(hours=10),
            last_health_check=NOW - timedelta(days=2),
            health_status="error",
            offered_version="1.1.0",
            update_offered_at=OFFERED_AT,
        ),
        # Offered 1.1.0 but still on 1.0.0: active, below the forced version, not a success.
        installation(
            "c",
            "1.0.0",
            version_reported_at=LONG_AGO,
            last_health_check=NOW - timedelta(days=3),
            health_status="active",
            offered_version="1.1.0",
            update_offered_at=OFFERED_AT,
        ),
        # Deactivated the plugin: not active, though it runs 1.1.0 and checked in an hour ago.
        installation(
            "d",
            "1.1.0",
            version_reported_at=RELEASED + timedelta(hours=30),
            last_health_check=NOW - timedelta(hours=1),
            health_status="inactive",
            is_active=False,
        ),
        # Not heard of for 19 days: not active; its last word was an error.
        installation(
            "e",
            "1.0.0",
            version_reported_at=LONG_AGO,
            last_health_check=datetime(2024, 5, 1, tzinfo=UTC),
            health_status="error",
        ),
        # Upgraded 9 days after the offer: adopted, but too late to count as a success.
        installation(
            "f",
            "1.1.0",
            version_reported_at=RELEASED + timedelta(days=9),
            last_health_check=NOW - timedelta(days=1),
            health_status="active",
            offered_version="1.1.0",
            update_offered_at=OFFERED_AT,
        ),
    ):
        repo.save_installation(site)
    downloads = f"downloads#{SLUG}"
    repo.add(downloads, "2024-05-13#1.0.0", 5)  # before the 7-day window
    repo.add(downloads, "2024-05-14#1.0.0", 2)
    repo.add(downloads, "2024-05-14#1.1.0", 3)
    repo.add(downloads, "2024-05-16#1.1.0", 4)
    repo.add(downloads, "2024-05-20#1.1.0", 1)
    repo.add("downloads#other-plugin", "2024-05-16#1.1.0", 50)
    repo.take(f"rate#site#a#{SLUG}", "1715990400", 10, 0)
    return repo


@pytest.fixture
def stats() -> dict[str, Any]:
    return plugin_stats(world(), SLUG, NOW, days=7)


def test_the_header_names_the_plugin_the_moment_and_the_period(stats: dict[str, Any]) -> None:
    assert (stats["slug"], stats["generated_at"], stats["days"]) == (SLUG, "2024-05-20T12:00:00Z", 7)


def test_downloads_cover_exactly_the_last_n_days_including_quiet_ones(stats: dict[str, Any]) -> None:
    assert stats["downloads"] == {
        "total": 10,
        "per_version": {"1.0.0": 2, "1.1.0": 8},
        "per_day": [
            {"day": "2024-05-14", "count": 5},
            {"day": "2024-05-15", "count": 0},
            {"day": "2024-05-16", "count": 4},
            {"day": "2024-05-17", "count": 0},
            {"day": "2024-05-18", "count": 0},
            {"day": "2024-05-19", "count": 0},
            {"day": "2024-05-20", "count": 1},
        ],
    }


def test_a_one_day_report_shows_today_only() -> None:
    downloads = plugin_stats(world(), SLUG, NOW, days=1)["downloads"]

    assert downloads == {
        "total": 1,
        "per_version": {"1.1.0": 1},
        "per_day": [{"day": "2024-05-20", "count": 1}],
    }


def test_installations_count_all_and_the_recently_heard_active_ones(stats: dict[str, Any]) -> None:
    assert stats["installations"] == {"total": 6, "active": 4, "active_days": 7}


def test_the_version_distribution_of_active_sites_is_sorted_by_count(stats: dict[str, Any]) -> None:
    assert stats["version_distribution"] == [
        {"version": "1.1.0", "count": 3, "share": 0.75},
        {"version": "1.0.0", "count": 1, "share": 0.25},
    ]


def test_an_update_succeeds_when_the_site_reports_it_within_7_days_of_the_offer(
    stats: dict[str, Any],
) -> None:
    assert stats["updates"] == {"offered": 4, "succeeded": 2, "success_rate": 0.5}


def test_failing_sites_are_listed_with_their_last_check(stats: dict[str, Any]) -> None:
    """Only sites still reporting: "e" failed weeks ago and has not been heard from since."""
    health = stats["health"]

    assert health["failing"] == 1
    assert health["sites"] == [
        {"site_id": "b", "status": "error", "at": "2024-05-18T12:00:00Z", "message": None}
    ]


def test_the_forced_version_lists_the_active_sites_still_below_it(stats: dict[str, Any]) -> None:
    assert stats["forced"] == {"version": "1.1.0", "sites_below": 1, "site_ids": ["c"]}


def test_adoption_follows_the_latest_release_hour_by_hour(stats: dict[str, Any]) -> None:
    adoption = stats["adoption"]

    assert adoption == {
        "version": "1.1.0",
        "released_at": "2024-05-10T00:00:00Z",
        "curve": [
            {"hours": 0.0, "share": 0.0},
            {"hours": 2.0, "share": 0.25},
            {"hours": 10.0, "share": 0.5},
            {"hours": 216.0, "share": 0.75},
        ],
        "time_to_80_hours": None,  # 75 % of the active sites is as far as it got
    }
    shares = [point["share"] for point in adoption["curve"]]
    assert shares == sorted(shares)


def test_time_to_80_is_the_hour_the_fourth_of_five_sites_upgraded() -> None:
    repo = FakeRepository()
    repo.put_version(version("2.0.0", Status.UPDATE_READY, RELEASED))
    for site_id, hours in (("a", 1.5), ("b", 3), ("c", 6.25), ("d", 30)):
        repo.save_installation(
            installation(
                site_id,
                "2.0.0",
                version_reported_at=RELEASED + timedelta(hours=hours),
                last_health_check=NOW - timedelta(hours=1),
            )
        )
    # The fifth active site is still on the release before.
    repo.save_installation(installation("e", "1.9.0", version_reported_at=NOW - timedelta(days=1)))

    adoption = plugin_stats(repo, SLUG, NOW, days=7)["adoption"]

    assert adoption["curve"] == [
        {"hours": 0.0, "share": 0.0},
        {"hours": 1.5, "share": 0.2},
        {"hours": 3.0, "share": 0.4},
        {"hours": 6.25, "share": 0.6},
        {"hours": 30.0, "share": 0.8},
    ]
    assert adoption["time_to_80_hours"] == 30.0


def test_a_site_on_the_release_before_it_came_out_counts_from_hour_zero() -> None:
    repo = FakeRepository()
    repo.put_version(version("2.0.0", Status.RELEASED, RELEASED))
    repo.save_installation(
        installation(
            "tester",
            "2.0.0",
            version_reported_at=RELEASED - timedelta(days=2),
            last_health_check=NOW - timedelta(hours=1),
        )
    )

    adoption = plugin_stats(repo, SLUG, NOW, days=7)["adoption"]

    assert adoption["curve"] == [{"hours": 0.0, "share": 0.0}, {"hours": 0.0, "share": 1.0}]
    assert adoption["time_to_80_hours"] == 0.0


@pytest.mark.parametrize(("age", "active"), [(timedelta(days=7), 1), (timedelta(days=7, seconds=1), 0)])
def test_a_site_stays_active_for_7_days_after_it_was_last_heard(age: timedelta, active: int) -> None:
    repo = FakeRepository()
    repo.save_installation(
        installation("a", "1.0.0", version_reported_at=LONG_AGO, last_health_check=NOW - age)
    )

    assert plugin_stats(repo, SLUG, NOW, days=7)["installations"]["active"] == active


def test_nothing_offered_means_no_success_rate() -> None:
    repo = FakeRepository()
    repo.save_installation(installation("a", "1.0.0", version_reported_at=NOW))

    assert plugin_stats(repo, SLUG, NOW, days=7)["updates"] == {
        "offered": 0,
        "succeeded": 0,
        "success_rate": None,
    }


def test_an_empty_world_gives_zeros_nulls_and_empty_lists() -> None:
    stats = plugin_stats(FakeRepository(), SLUG, NOW, days=3)

    assert stats == {
        "slug": SLUG,
        "generated_at": "2024-05-20T12:00:00Z",
        "days": 3,
        "downloads": {
            "total": 0,
            "per_version": {},
            "per_day": [
                {"day": "2024-05-18", "count": 0},
                {"day": "2024-05-19", "count": 0},
                {"day": "2024-05-20", "count": 0},
            ],
        },
        "installations": {"total": 0, "active": 0, "active_days": 7},
        "version_distribution": [],
        "updates": {"offered": 0, "succeeded": 0, "success_rate": None},
        "health": {"failing": 0, "sites": []},
        "forced": {"version": None, "sites_below": 0, "site_ids": []},
        "adoption": {"version": None, "released_at": None, "curve": [], "time_to_80_hours": None},
    }


def test_a_release_nobody_runs_yet_has_a_flat_curve() -> None:
    repo = FakeRepository()
    repo.put_version(version("2.0.0", Status.RELEASED, RELEASED))
    repo.save_installation(installation("a", "1.0.0", version_reported_at=NOW))

    assert plugin_stats(repo, SLUG, NOW, days=7)["adoption"] == {
        "version": "2.0.0",
        "released_at": "2024-05-10T00:00:00Z",
        "curve": [{"hours": 0.0, "share": 0.0}],
        "time_to_80_hours": None,
    }


# Built through Telemetry, as sites actually report ----------------------------------------------


def test_a_site_that_re_registers_its_version_counts_as_active() -> None:
    """Re-activating the plugin registers the same version again: that is a report, so the site
    was heard from a day ago and must count as active."""
    repo = FakeRepository()
    Telemetry(repo, NOW - timedelta(days=20)).register("a", SLUG, Registration(version="1.0.0"))
    Telemetry(repo, NOW - timedelta(days=1)).register("a", SLUG, Registration(version="1.0.0"))

    assert plugin_stats(repo, SLUG, NOW, days=7)["installations"]["active"] == 1


def test_a_site_only_offered_an_update_is_not_counted_as_active() -> None:
    """Active means a health check or a report within 7 days. A site that was merely offered an
    update has sent neither, and must not dilute the adoption of the release."""
    repo = FakeRepository()
    repo.put_version(version("2.0.0", Status.RELEASED, RELEASED))
    Telemetry(repo, RELEASED + timedelta(hours=1)).register("a", SLUG, Registration(version="2.0.0"))
    Telemetry(repo, NOW - timedelta(days=1)).health("a", SLUG, HealthReport(version="2.0.0", status="active"))
    Telemetry(repo, NOW - timedelta(hours=2)).record_offer("b", SLUG, "2.0.0")

    stats = plugin_stats(repo, SLUG, NOW, days=7)

    assert stats["installations"]["active"] == 1
    assert stats["adoption"]["time_to_80_hours"] == 1.0
