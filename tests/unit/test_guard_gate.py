"""The health gate's statistics: when a step may pass, when a rollout must halt, when to wait."""

from __future__ import annotations

import random

import pytest

from chalicelib.logic.guard.gate import Counts, GateConfig, judge, upper_tail

CONFIG = GateConfig()
#: A fleet's previous version: 2 % of its sites report health errors.
BASELINE = Counts(installed=1000, health_failed=20, downloaded=1000)


def installs(n: int, health_failed: int = 0, install_failed: int = 0, silent: int = 0) -> Counts:
    return Counts(
        offered=n,
        downloaded=n,
        installed=n - install_failed - silent,
        health_failed=health_failed,
        install_failed=install_failed,
        silent=silent,
    )


def test_the_binomial_tail_is_exact() -> None:
    assert upper_tail(0, 10, 0.3) == 1.0
    assert upper_tail(10, 10, 0.5) == pytest.approx(0.5**10)
    # P(X >= 1) = 1 - P(X = 0)
    assert upper_tail(1, 20, 0.1) == pytest.approx(1 - 0.9**20)
    # fleet-sized samples do not overflow
    assert 0.0 <= upper_tail(700, 10_000, 0.05) < 1e-9
    assert upper_tail(9_000, 10_000, 0.05) == 0.0


def test_a_release_as_healthy_as_the_baseline_passes_once_enough_installs_reported() -> None:
    verdict = judge(installs(40, health_failed=1), BASELINE, CONFIG)

    assert verdict.decision == "advance"
    assert [r.name for r in verdict.rates] == ["health", "install"]


def test_a_release_failing_on_a_third_of_sites_halts_with_its_evidence() -> None:
    verdict = judge(installs(15, health_failed=5), BASELINE, CONFIG)

    assert verdict.decision == "halt"
    assert "health failures 5/15" in verdict.reason
    health = verdict.as_dict()["rates"][0]
    assert (health["failures"], health["sample"], health["baseline"]) == (5, 15, 0.02)
    assert health["p_value"] < CONFIG.alpha


def test_install_failures_and_silent_sites_halt_too() -> None:
    refused = judge(installs(20, install_failed=6), BASELINE, CONFIG)
    silent = judge(installs(20, silent=6), BASELINE, CONFIG)

    assert (refused.decision, silent.decision) == ("halt", "halt")
    assert "install failures 6/20" in refused.reason


def test_one_or_two_failures_never_halt_a_tiny_step() -> None:
    """Two of two sites failing is 100 %, but two sites prove nothing: min_failures is 3."""
    verdict = judge(installs(2, health_failed=2), BASELINE, CONFIG)

    assert verdict.decision == "hold"


def test_a_step_without_enough_installs_holds() -> None:
    verdict = judge(installs(30) - Counts(installed=25), BASELINE, CONFIG)

    assert verdict.decision == "hold"
    assert "waiting for installs: 5 of 20" in verdict.reason


def test_a_step_of_a_few_sites_does_not_pass_on_those_few() -> None:
    """8 installs of 9 downloads: a 1 % step of 1 000 sites holds (the first step is sized to hold
    the sample instead, and a step that still cannot give it raises the stall alarm)."""
    verdict = judge(installs(9) - Counts(installed=1), BASELINE, CONFIG)

    assert verdict.decision == "hold" and "waiting for installs: 8 of 16" in verdict.reason


def test_a_step_whose_bucket_holds_fewer_sites_than_the_sample_passes_on_most_of_them() -> None:
    """19 sites fetched it, 16 reported: 20 cannot come, 80 % of the sample did."""
    assert judge(installs(19) - Counts(installed=3), BASELINE, CONFIG).decision == "advance"


def test_a_short_step_does_not_pass_on_its_first_few_sites() -> None:
    """5 clean installs of a step that admits 40 sites: the step holds until 20 reported."""
    assert judge(installs(5), BASELINE, CONFIG, admitted=40).decision == "hold"
    assert judge(installs(20), BASELINE, CONFIG, admitted=40).decision == "advance"
    assert judge(installs(16), BASELINE, CONFIG, admitted=18).decision == "advance"  # 18 sites: 80 %
    assert judge(installs(8), BASELINE, CONFIG, admitted=10).decision == "hold"  # 10 sites: too few


def test_worse_than_the_margin_but_not_significantly_holds_for_more_evidence() -> None:
    verdict = judge(installs(25, health_failed=4), BASELINE, CONFIG)  # 16 % against 7 %: p = 0.09

    assert verdict.decision == "hold"
    assert "waiting for more installs" in verdict.reason


def test_one_flaky_site_in_a_small_step_does_not_hold_a_healthy_release() -> None:
    """1 failure in 16 installs reads as 6 %, and P = 0.69 under the margin: no sign of trouble."""
    assert judge(installs(16, health_failed=1), BASELINE, CONFIG, admitted=18).decision == "advance"


def test_the_margin_is_configurable() -> None:
    counts = installs(100, health_failed=9)

    assert judge(counts, BASELINE, GateConfig(margin=0.10)).decision == "advance"
    assert judge(counts, BASELINE, GateConfig(margin=0.01)).decision == "halt"


def test_a_baseline_too_small_to_judge_by_gives_way_to_the_default_rate() -> None:
    tiny = Counts(installed=3, health_failed=3)  # 100 % of three sites

    verdict = judge(installs(40, health_failed=1), tiny, CONFIG)

    assert verdict.rates[0].baseline == CONFIG.default_baseline
    assert verdict.decision == "advance"


def test_a_good_release_is_not_halted_over_many_repeated_looks() -> None:
    """The false-halt rate the docstring argues: 300 rollouts of a release exactly as good as its
    baseline (2 %), each looked at after every 10 installs up to 500; none halts."""
    rng = random.Random(12)
    halts = 0
    for _ in range(300):
        failed = 0
        for n in range(10, 501, 10):
            failed += sum(rng.random() < 0.02 for _ in range(10))
            if judge(installs(n, health_failed=failed), BASELINE, CONFIG).decision == "halt":
                halts += 1
                break
    assert halts == 0
