"""What sites report (registration, health) and what we count (offers, downloads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import Installation
from chalicelib.logic.site_inputs import HealthReport, InstallReport, Registration
from chalicelib.logic.telemetry import Telemetry
from tests.unit.fakes import FakeRepository

NOW = datetime(2024, 5, 6, 15, 4, 5, tzinfo=UTC)
LATER = NOW + timedelta(hours=6)
SLUG = "igny8-bridge"
SITE = "shop-1"


def stored(repo: FakeRepository, site_id: str = SITE) -> Installation:
    installation = repo.get_installation(site_id, SLUG)
    assert installation is not None
    return installation


def register(repo: FakeRepository, now: datetime = NOW, **body: Any) -> Installation:
    return Telemetry(repo, now).register(
        SITE, SLUG, parse(Registration, {"version": "1.0.0", **body}, "body")
    )


def health(repo: FakeRepository, now: datetime = NOW, **body: Any) -> Installation:
    report = parse(HealthReport, {"version": "1.0.0", "status": "active", **body}, "body")
    return Telemetry(repo, now).health(SITE, SLUG, report)


# the report bodies -------------------------------------------------------------------------------


def test_valid_fields_come_back_checked() -> None:
    report = parse(
        HealthReport,
        {"version": "1.2.0", "status": "error", "message": "db down", "php_version": "8.2.12"},
        "body",
    )

    assert (report.version, report.status, report.message, report.php_version) == (
        "1.2.0",
        "error",
        "db down",
        "8.2.12",
    )


@pytest.mark.parametrize(
    ("body", "named", "code"),
    [
        ({"version": "1.0.0", "status": "active", "admin": True}, "admin", "unknown_field"),
        ({"status": "active"}, "version", "missing_field"),
        ({"version": None, "status": "active"}, "version", "invalid_version"),
        ({"version": "1.0.0"}, "status", "missing_field"),
        ({"version": 1.0, "status": "active"}, "version", "invalid_version"),
        ({"version": "", "status": "active"}, "version", "invalid_version"),
        ({"version": "1.0.0", "status": "broken"}, "status", "invalid_health_status"),
        ({"version": "1.0.0", "status": "active", "site_url": "https://x.test"}, "site_url", "unknown_field"),
        ({"version": "1.0.0", "status": "active", "message": "x" * 501}, "message", "invalid_message"),
        ({"version": "1.0.0", "status": "active", "message": 42}, "message", "invalid_message"),
        ({"version": "1.0.0", "status": "active", "wp_version": 6.5}, "wp_version", "invalid_version"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(body: dict[str, Any], named: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(HealthReport, body, "body")

    assert caught.value.code == code
    assert named in caught.value.message


@pytest.mark.parametrize("url", ["ftp://x", "https://", "http://[::1", "javascript:alert(1)"])
def test_a_site_url_must_be_an_http_url_with_a_host(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(Registration, {"version": "1.0.0", "site_url": url}, "body")

    assert caught.value.code == "invalid_url"


def test_a_500_character_message_is_fine() -> None:
    report = parse(HealthReport, {"version": "1.0.0", "status": "active", "message": "x" * 500}, "body")

    assert report.message == "x" * 500


def test_register_and_health_refuse_fields_the_other_takes() -> None:
    repo = FakeRepository()
    with pytest.raises(InvalidInput):
        register(repo, status="active")
    with pytest.raises(InvalidInput):
        health(repo, site_url="https://shop.example.com")

    assert repo.get_installation(SITE, SLUG) is None


# the seed's site_id in the body ------------------------------------------------------------------

NUMBERED = "123"
REPORTS = ["register", "health", "installed"]


MODELS = {"register": Registration, "health": HealthReport, "installed": InstallReport}


def report(kind: str, repo: FakeRepository, **body: Any) -> Installation:
    """A report of ``kind`` by site 123, authenticated by its headers, with a valid body plus ``body``."""
    valid = {"version": "1.0.0"} | ({"status": "active"} if kind == "health" else {})
    command = parse(MODELS[kind], valid | body, "body")
    installation: Installation = getattr(Telemetry(repo, NOW), kind)(NUMBERED, SLUG, command)
    return installation


@pytest.mark.parametrize("claimed", [NUMBERED, 123])
@pytest.mark.parametrize("kind", REPORTS)
def test_a_body_may_repeat_the_authenticated_site_id_as_text_or_number(claimed: Any, kind: str) -> None:
    repo = FakeRepository()

    report(kind, repo, site_id=claimed)

    assert stored(repo, NUMBERED).current_version == "1.0.0"


@pytest.mark.parametrize(
    ("claimed", "code"),
    [
        (124, "site_id_mismatch"),
        ("shop-2", "site_id_mismatch"),
        ("", "invalid_site_id"),
        (" 123", "invalid_site_id"),
        (123.0, "invalid_site_id"),
        (True, "invalid_site_id"),
        ([123], "invalid_site_id"),
    ],
)
@pytest.mark.parametrize("kind", REPORTS)
def test_a_body_about_another_site_changes_nothing(claimed: Any, code: str, kind: str) -> None:
    repo = FakeRepository()

    with pytest.raises(InvalidInput) as caught:
        report(kind, repo, site_id=claimed)

    assert caught.value.code == code
    assert repo.get_installation(NUMBERED, SLUG) is None


# register --------------------------------------------------------------------------------------


def test_registering_creates_the_installation() -> None:
    repo = FakeRepository()
    register(repo, wp_version="6.5.2", php_version="8.2.12", site_url="https://shop.example.com")

    installation = stored(repo)
    assert installation.current_version == "1.0.0"
    assert installation.version_reported_at == NOW
    assert (installation.created_at, installation.updated_at) == (NOW, NOW)
    assert (installation.wp_version, installation.php_version) == ("6.5.2", "8.2.12")
    assert installation.site_url == "https://shop.example.com"
    assert installation.is_active is True
    assert installation.last_health_check is None and installation.health_status is None
    assert repo.installations_of(SLUG) == [installation]


def test_a_new_version_moves_version_reported_at_and_the_same_one_does_not() -> None:
    repo = FakeRepository()
    register(repo, wp_version="6.5.2", site_url="https://shop.example.com")

    register(repo, now=LATER)
    assert stored(repo).version_reported_at == NOW
    assert stored(repo).updated_at == LATER
    # Fields the site left out keep what it said before.
    assert stored(repo).wp_version == "6.5.2"
    assert stored(repo).site_url == "https://shop.example.com"

    later_still = LATER + timedelta(hours=1)
    register(repo, now=later_still, version="1.1.0", wp_version="6.6")
    installation = stored(repo)
    assert installation.current_version == "1.1.0"
    assert installation.version_reported_at == later_still
    assert installation.wp_version == "6.6"
    assert installation.created_at == NOW


def test_a_downgrade_is_a_version_change_too() -> None:
    repo = FakeRepository()
    register(repo, version="1.1.0")
    register(repo, now=LATER, version="1.0.0")

    assert stored(repo).current_version == "1.0.0"
    assert stored(repo).version_reported_at == LATER


@pytest.mark.parametrize(("reported", "cleared"), [("1.0.5", False), ("1.1.0", True), ("1.2.0", True)])
def test_a_pending_update_clears_once_the_site_reports_it_or_higher(reported: str, cleared: bool) -> None:
    repo = FakeRepository()
    register(repo)
    installation = stored(repo)
    installation.pending_update = "1.1.0"
    repo.save_installation(installation)

    register(repo, now=LATER, version=reported)

    assert stored(repo).pending_update == (None if cleared else "1.1.0")


# health ----------------------------------------------------------------------------------------


def test_a_health_check_records_when_and_how_the_site_is() -> None:
    repo = FakeRepository()
    register(repo)

    health(repo, now=LATER, status="error", message="database unreachable", php_version="8.3.0")

    installation = stored(repo)
    assert installation.last_health_check == LATER
    assert installation.health_status == "error"
    assert installation.is_active is True
    assert installation.php_version == "8.3.0"
    assert installation.version_reported_at == NOW  # same version: not a new report


def test_an_inactive_health_check_marks_the_site_inactive_until_it_is_active_again() -> None:
    repo = FakeRepository()
    health(repo, status="inactive")

    assert stored(repo).is_active is False
    assert stored(repo).health_status == "inactive"

    health(repo, now=LATER, status="active")
    assert stored(repo).is_active is True
    assert stored(repo).health_status == "active"
    assert stored(repo).last_health_check == LATER


def test_a_health_check_can_report_a_new_version_and_clear_the_pending_update() -> None:
    repo = FakeRepository()
    register(repo)
    installation = stored(repo)
    installation.pending_update = "1.1.0"
    repo.save_installation(installation)

    health(repo, now=LATER, version="1.1.0")

    assert stored(repo).current_version == "1.1.0"
    assert stored(repo).version_reported_at == LATER
    assert stored(repo).pending_update is None


# offers and downloads --------------------------------------------------------------------------


def test_an_offer_is_recorded_once_per_offered_version() -> None:
    repo = FakeRepository()
    register(repo)

    Telemetry(repo, LATER).record_offer(SITE, SLUG, "1.1.0")
    assert (stored(repo).offered_version, stored(repo).update_offered_at) == ("1.1.0", LATER)

    Telemetry(repo, LATER + timedelta(hours=12)).record_offer(SITE, SLUG, "1.1.0")
    assert stored(repo).update_offered_at == LATER
    assert stored(repo).updated_at == LATER

    newest = LATER + timedelta(days=2)
    Telemetry(repo, newest).record_offer(SITE, SLUG, "1.2.0")
    assert (stored(repo).offered_version, stored(repo).update_offered_at) == ("1.2.0", newest)
    assert stored(repo).current_version == "1.0.0"


def test_downloads_are_counted_per_day_and_version() -> None:
    repo = FakeRepository()
    Telemetry(repo, NOW).record_download(SLUG, "1.1.0")
    Telemetry(repo, NOW + timedelta(minutes=5)).record_download(SLUG, "1.1.0")
    Telemetry(repo, NOW).record_download(SLUG, "1.0.0")
    Telemetry(repo, datetime(2024, 5, 6, 23, 59, 59, tzinfo=UTC)).record_download(SLUG, "1.1.0")
    Telemetry(repo, datetime(2024, 5, 7, 0, 0, 0, tzinfo=UTC)).record_download(SLUG, "1.1.0")
    Telemetry(repo, NOW).record_download("other-plugin", "1.1.0")

    assert repo.counts(f"downloads#{SLUG}", "0") == {
        "2024-05-06#1.0.0": 1,
        "2024-05-06#1.1.0": 3,
        "2024-05-07#1.1.0": 1,
    }
    assert repo.counts("downloads#other-plugin", "0") == {"2024-05-06#1.1.0": 1}
