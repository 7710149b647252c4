"""The health gate: a pure decision from counts, justified here.

Two failure rates are compared with the previous version's (the baseline):

* health failures: sites running the new version that reported a health error, over the sites
  that reported running it;
* install failures: sites that fetched it and then reported a refused package or an update error
  (a health error while still on the old version), or went silent (fetched it, never reported
  running it, and had a whole step to do so), over the sites that fetched it.

A rate is "worse than the baseline" when it exceeds the baseline's rate plus a margin (absolute
percentage points, 5 by default): sites differ, and a new release that fails on 3 % of sites where
the old one failed on 2 % is not what the guard is for; one that fails on 30 % is.

Halting needs evidence, not a point estimate: an exact one-sided binomial test of
H0: rate <= baseline + margin, halting when P(X >= failures | n, baseline + margin) < ``alpha``
(5 %), and only with at least ``min_failures`` (3) failures, so one or two flaky sites never halt a
rollout however small the step. The guard looks every few minutes at cumulative counts, which
repeats the test; a good release's true rate sits at the baseline, a whole margin inside H0, where
each look's false-halt probability is far below ``alpha`` (e.g. baseline 2 %, margin 5 points, 50
installs with the usual 1 failure: p = 0.97), so repeated looks stay safe; the fleet simulator
(bench/fleet_sim, and its in-process montecarlo over hundreds of fleets) measures it. 5 % rather
than 1 %: a bad release is stopped a few installs sooner (3 failures in 10 against 7 %, p = 0.03;
at 1 % it took 4), which at 1 000 sites is the difference between under and over 2 % of the fleet
getting it (montecarlo, 60 fleets each: 11 against 27 over 2 %), with no false halt either way.

Advancing needs a minimum sample: ``min_installs`` installs reported (20), or, on a step whose
bucket holds fewer sites than that, ``min_coverage`` (80 %) of the sites the step admits (its
percentage of the fleet, the sites reporting the baseline) or fetched the version, but never fewer
than 80 % of ``min_installs`` (16): a step of a few sites cannot pass on those few. The first step
is sized so that it can give the sample (``sizing``); a step that still cannot waits, and the stall
alarm (``evaluation.stalled``) says so. It also needs the absence of a warning: the same test at
``hold_alpha`` (35 %). Between the two thresholds the step holds (neither advances nor halts, and
says why) until more installs settle it. A point estimate would not do on small steps: one flaky
site among 16 installs reads as 6 % and the test sees P = 0.69 of that under the margin, so it
passes; two in 16 (P = 0.31) hold until two more sites report (two in 18: P = 0.36), and three in
20 (P = 0.16) hold. Why 35 % and not 20 %: a first step of 20 sites is all the evidence a 1 000-site
fleet can spare below 2 % of it, and at 20 % a release breaking 30 % of sites that showed only two
failures there passed it and reached the 5 % step in 41 of 300 modelled fleets, against 13 at 35 %
(and 12 at 50 %, where a healthy release with two flaky sites among 20 would hold for good:
bench/RESULTS.md); a good release held instead waits for its step's last installs, or pages as
stalled.

The baseline's rate is its own counts when it has ``min_installs`` of them, else
``default_baseline`` (2 %): a fleet whose previous version was installed before counting began
still gets a gate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

Decision = Literal["advance", "hold", "halt"]


@dataclass(frozen=True)
class Counts:
    """Sites at each stage of one version's funnel (each site counted once per stage)."""

    offered: int = 0
    downloaded: int = 0
    installed: int = 0
    healthy: int = 0
    health_failed: int = 0
    install_failed: int = 0
    #: Sites that fetched the version and never reported running it, after a whole step.
    silent: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            **{f.name: max(0, getattr(self, f.name) - getattr(other, f.name)) for f in fields(self)}
        )

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def attempts(self) -> int:
        """Sites that tried to install: fetched it, or reported the outcome of trying."""
        return max(self.downloaded, self.installed + self.install_failed)

    @property
    def install_failures(self) -> int:
        return self.install_failed + self.silent


@dataclass(frozen=True)
class GateConfig:
    """The gate's thresholds (the module's docstring says why each is what it is)."""

    margin: float = 0.05
    min_installs: int = 20
    alpha: float = 0.05
    min_failures: int = 3
    min_coverage: float = 0.8
    hold_alpha: float = 0.35
    default_baseline: float = 0.02

    def needed(self, reachable: int) -> int:
        """Installs a step needs before it may pass, when it can reach ``reachable`` sites: the
        whole sample, or ``min_coverage`` of a step that holds fewer sites, never below
        ``min_coverage`` of the sample itself (a step of 4 sites does not pass on 4 installs)."""
        floor = math.ceil(self.min_coverage * self.min_installs)
        return min(self.min_installs, max(floor, math.ceil(self.min_coverage * reachable)))


@dataclass(frozen=True)
class Rate:
    """One failure rate of the new version against the baseline's."""

    name: str
    failures: int
    sample: int
    baseline: float
    p_value: float

    @property
    def value(self) -> float | None:
        return self.failures / self.sample if self.sample else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "failures": self.failures,
            "sample": self.sample,
            "rate": None if self.value is None else round(self.value, 4),
            "baseline": round(self.baseline, 4),
            "p_value": round(self.p_value, 6),
        }


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str
    rates: tuple[Rate, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "rates": [rate.as_dict() for rate in self.rates],
        }


def upper_tail(failures: int, sample: int, rate: float) -> float:
    """P(X >= failures) for X ~ Binomial(sample, rate), exactly (log space: no overflow at fleet
    sizes)."""
    if failures <= 0:
        return 1.0
    if rate <= 0.0:
        return 0.0
    if rate >= 1.0:
        return 1.0
    log_p, log_q = math.log(rate), math.log1p(-rate)

    def term(k: int) -> float:
        log_choose = math.lgamma(sample + 1) - math.lgamma(k + 1) - math.lgamma(sample - k + 1)
        return math.exp(log_choose + k * log_p + (sample - k) * log_q)

    if failures <= sample - failures:  # the shorter sum: 1 - P(X < failures), exact to 1e-16
        return max(0.0, 1.0 - math.fsum(term(k) for k in range(failures)))
    return min(1.0, math.fsum(term(k) for k in range(failures, sample + 1)))


def baseline_rate(failures: int, sample: int, config: GateConfig) -> float:
    return failures / sample if sample >= config.min_installs else config.default_baseline


def judge(new: Counts, baseline: Counts, config: GateConfig, admitted: int = 0) -> Verdict:
    """May the step pass (``advance``), must the rollout stop (``halt``), or is the evidence not
    in yet (``hold``)? ``admitted``: how many sites the rollout admits so far (0: unknown). Time
    is not judged here: ``evaluation`` asks only once a step has run."""
    rates = (
        _rate(
            "health", (new.health_failed, new.installed), (baseline.health_failed, baseline.installed), config
        ),
        _rate(
            "install",
            (new.install_failures, new.attempts),
            (baseline.install_failures, baseline.attempts),
            config,
        ),
    )
    for rate in rates:
        if rate.failures >= config.min_failures and rate.p_value < config.alpha:
            return Verdict(
                "halt",
                f"{rate.name} failures {rate.failures}/{rate.sample} exceed the baseline "
                f"{rate.baseline:.1%} + {config.margin:.1%} (p = {rate.p_value:.2g})",
                rates,
            )
    needed = config.needed(max(new.attempts, admitted))
    if new.installed < needed:
        return Verdict("hold", f"waiting for installs: {new.installed} of {needed} reported", rates)
    for rate in rates:
        if rate.failures and rate.p_value < config.hold_alpha:
            return Verdict(
                "hold",
                f"{rate.name} failures {rate.failures}/{rate.sample} may exceed the baseline "
                f"{rate.baseline:.1%} + {config.margin:.1%} (p = {rate.p_value:.2g}): waiting for more installs",
                rates,
            )
    return Verdict("advance", f"{new.installed} installs, no sign of failing more than the margin", rates)


def _rate(name: str, new: tuple[int, int], baseline: tuple[int, int], config: GateConfig) -> Rate:
    """``new`` and ``baseline`` are (failures, sample)."""
    failures, sample = new
    base = baseline_rate(*baseline, config)
    bound = min(1.0, base + config.margin)
    return Rate(name, failures, sample, base, upper_tail(failures, sample, bound))
