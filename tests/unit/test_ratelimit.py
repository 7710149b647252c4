"""Download rate limits: exactly the allowance passes each hour, and the refusal says when to retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.logic.errors import TooManyRequests
from chalicelib.logic.ratelimit import WINDOW_SECONDS, allow
from tests.unit.fakes import FakeRepository

HOUR_START = datetime(2024, 5, 6, 10, 0, 0, tzinfo=UTC)
SCOPE = "site#shop-1#igny8-bridge"


def refused(repo: FakeRepository, scope: str, limit: int, now: datetime) -> TooManyRequests:
    with pytest.raises(TooManyRequests) as caught:
        allow(repo, scope, limit, now)
    return caught.value


def test_exactly_the_limit_passes_in_an_hour_then_the_next_is_refused() -> None:
    repo = FakeRepository()
    for minute in range(5):
        allow(repo, SCOPE, 5, HOUR_START + timedelta(minutes=minute * 10))

    error = refused(repo, SCOPE, 5, HOUR_START + timedelta(minutes=59, seconds=30))

    assert error.code == "rate_limited"
    assert error.retry_after == 30
    assert "5 per hour" in error.message and "30 s" in error.message


@pytest.mark.parametrize(
    ("offset", "retry_after"),
    [
        (timedelta(0), 3600),
        (timedelta(minutes=15), 2700),
        (timedelta(minutes=59, seconds=30), 30),
        (timedelta(minutes=59, seconds=59, milliseconds=500), 1),
        (timedelta(minutes=59, seconds=59, microseconds=999_999), 1),
    ],
)
def test_retry_after_is_the_time_left_in_the_window_and_never_zero(
    offset: timedelta, retry_after: int
) -> None:
    repo = FakeRepository()
    allow(repo, SCOPE, 1, HOUR_START)

    assert refused(repo, SCOPE, 1, HOUR_START + offset).retry_after == retry_after


def test_refusals_do_not_count_so_the_counter_stays_at_the_limit() -> None:
    repo = FakeRepository()
    for _ in range(3):
        allow(repo, SCOPE, 3, HOUR_START)
    for _ in range(10):
        refused(repo, SCOPE, 3, HOUR_START)

    window = str(int(HOUR_START.timestamp()))
    assert repo.counters == {(f"rate#{SCOPE}", window): 3}
    # The counter outlives its window by one more, so DynamoDB's TTL cleans it up afterwards.
    assert repo.expires[(f"rate#{SCOPE}", window)] == int(HOUR_START.timestamp()) + 2 * WINDOW_SECONDS


def test_the_next_hour_starts_fresh_though_the_old_counter_is_still_stored() -> None:
    repo = FakeRepository()
    for _ in range(2):
        allow(repo, SCOPE, 2, HOUR_START + timedelta(minutes=59))
    refused(repo, SCOPE, 2, HOUR_START + timedelta(minutes=59, seconds=59))

    next_hour = HOUR_START + timedelta(hours=1)
    allow(repo, SCOPE, 2, next_hour)
    allow(repo, SCOPE, 2, next_hour + timedelta(minutes=1))
    refused(repo, SCOPE, 2, next_hour + timedelta(minutes=2))

    assert sorted(repo.counters.values()) == [2, 2]


def test_scopes_are_counted_apart() -> None:
    repo = FakeRepository()
    allow(repo, "site#shop-1#igny8-bridge", 1, HOUR_START)
    refused(repo, "site#shop-1#igny8-bridge", 1, HOUR_START)

    allow(repo, "site#shop-2#igny8-bridge", 1, HOUR_START)
    allow(repo, "site#shop-1#other-plugin", 1, HOUR_START)
    allow(repo, "ip#203.0.113.9#igny8-bridge", 1, HOUR_START)


def test_a_raised_limit_applies_at_once_within_the_hour() -> None:
    repo = FakeRepository()
    allow(repo, SCOPE, 1, HOUR_START)
    refused(repo, SCOPE, 1, HOUR_START)

    allow(repo, SCOPE, 2, HOUR_START)
    refused(repo, SCOPE, 2, HOUR_START)
