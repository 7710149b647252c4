"""Staged rollout: which sites a partially rolled-out version reaches, and that it is stable."""

from __future__ import annotations

import functools

import pytest

from chalicelib.logic.rollout import BUCKETS, admits, bucket, wordpress_version_from_user_agent

SITES = [f"site-{n}" for n in range(100_000)]
SALT = "5f2c9a0e41d7b3c8a6e0f1d2c3b4a596"


def admitted(percent: float, salt: str, sites: list[str] = SITES) -> set[str]:
    return {site for site in sites if admits(percent, salt, site)}


def test_a_sites_bucket_is_stable_and_in_range() -> None:
    for site in SITES[:2_000]:
        first = bucket(SALT, site)
        assert 0 <= first < BUCKETS == 10_000
        assert bucket(SALT, site) == first


def test_a_site_gets_the_same_answer_on_every_check() -> None:
    answers = [admits(37, SALT, "shop.example.com") for _ in range(50)]

    assert len(set(answers)) == 1


def test_ten_percent_reaches_about_a_tenth_of_the_sites() -> None:
    assert 9_500 <= len(admitted(10, SALT)) <= 10_500


@pytest.mark.parametrize("salt", ["", "igny8-wp-bridge", SALT, "another-plugin-salt"])
def test_raising_the_percent_never_drops_a_site(salt: str) -> None:
    sites = SITES[:8_000]
    at_10 = admitted(10, salt, sites)
    at_20 = admitted(20, salt, sites)

    assert at_10 <= at_20
    assert len(at_20) > len(at_10)
    assert at_20 <= admitted(50, salt, sites)


def test_each_plugin_picks_its_own_early_sites() -> None:
    sites = SITES[:20_000]
    first = admitted(10, "salt-of-plugin-a", sites)
    second = admitted(10, "salt-of-plugin-b", sites)

    assert first != second
    # Independent picks overlap on about 10 % of 10 %, not on all of them.
    assert len(first & second) < len(first) / 2


def test_a_full_rollout_reaches_everyone_even_anonymous_requests() -> None:
    assert all(admits(100, SALT, site) for site in SITES[:5_000])
    assert admits(100, SALT, None)


@pytest.mark.parametrize("percent", [1, 10, 50, 99])
def test_a_partial_rollout_never_reaches_an_anonymous_request(percent: int) -> None:
    assert admits(percent, SALT, None) is False


def test_a_zero_percent_rollout_reaches_nobody() -> None:
    assert not admitted(0, SALT, SITES[:20_000])
    assert admits(0, SALT, None) is False


@pytest.mark.parametrize(
    ("user_agent", "version"),
    [
        ("WordPress/6.5.2; https://example.com", "6.5.2"),
        ("WordPress/6.6; http://shop.example.org/blog", "6.6"),
        ("WordPress/6.7-RC1; https://example.com", "6.7-RC1"),
        ("WordPress/6.5.2", "6.5.2"),
    ],
)
def test_the_wordpress_version_comes_from_its_user_agent(user_agent: str, version: str) -> None:
    assert wordpress_version_from_user_agent(user_agent) == version


@pytest.mark.parametrize(
    "user_agent",
    [
        None,
        "",
        "curl/8.4.0",
        "Mozilla/5.0 (X11; Linux x86_64)",
        "WordPress/",
        "WordPress/latest",
        "wordpress",
    ],
)
def test_other_user_agents_give_no_wordpress_version(user_agent: str | None) -> None:
    assert wordpress_version_from_user_agent(user_agent) is None


@functools.cache
def _one_site_per_bucket() -> dict[int, str]:
    """A site in each bucket the 100 000 test sites fall in (all but bucket 6812 with this salt)."""
    return {bucket(SALT, site): site for site in SITES}


@pytest.mark.parametrize("percent", [0.01, 0.29, 0.57, 1.13, 2.5, 4.35, 8.34, 33.33, 99.99])
def test_a_percentage_in_hundredths_admits_exactly_its_share_of_the_buckets(percent: float) -> None:
    """One bucket is 0.01 %: 2.5 % is buckets 0-249, and 0.29 % is 29 buckets, not the 28 that
    ``int(0.29 * 100)`` (28.999...) would give."""
    sites = _one_site_per_bucket()

    admitted_buckets = {b for b, site in sites.items() if admits(percent, SALT, site)}

    assert admitted_buckets == set(range(round(percent * 100))) - {6812}


def test_two_and_a_half_percent_admits_250_buckets_and_a_whole_percent_as_before() -> None:
    sites = _one_site_per_bucket()

    assert sum(admits(2.5, SALT, site) for site in sites.values()) == 250
    assert sum(admits(3, SALT, site) for site in sites.values()) == 300
    assert admitted(2.5, SALT, SITES[:20_000]) < admitted(3, SALT, SITES[:20_000])
