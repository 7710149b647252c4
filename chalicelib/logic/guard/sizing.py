"""How large a planned rollout's first step must be to ever show evidence, and no larger (pure).

A step passes its gate only on a minimum sample: ``GateConfig.min_installs`` installs (20), or, on
a step that holds fewer sites, ``min_coverage`` (80 %) of them but never fewer than 80 % of 20 =
16 (``GateConfig.needed``). A step too small to give that could not be judged: at 1 000 sites a 1 %
step is about 10 sites, which cannot tell a release breaking 30 % of sites from noise. Every site
a first step holds beyond what the gate needs is a site a bad release reaches before it can halt,
so the first step holds exactly ``sample_sites``: the 20 sites whose 80 % give the 16 installs the
pass rule asks of such a step. (Sizing on the 25 sites that give 20 installs put 2.5 % of a
1 000-site fleet on the first step, and the model showed its tail over 2 %: bench/RESULTS.md.)

The service knows which sites run the plugin (installations that reported within
``ACTIVE_WITHIN``) and each one's rollout bucket, so it does not estimate a share of the fleet: the
first step is the smallest percentage, in hundredths (one bucket is 0.01 %), whose buckets hold
``sample_sites`` of those sites, never more than ``WIDEST``. The plan's later steps at or below
it are dropped. The widening, and the figures it rests on, go into the plan
(``RolloutPlan.sizing``), ``status`` and the audit, so nobody wonders why a "1 %" rollout is
offered to 2.07 %.

A fleet the service knows nothing about (no installation reported yet) is not widened: the step
then waits for its sample, and the stall alarm says so if it waits too long.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.logic.guard.gate import GateConfig
from chalicelib.logic.model import hundredths, of_hundredths

#: The widest a first step is made: half the fleet.
WIDEST = 50


@dataclass(frozen=True)
class Sizing:
    steps: list[float]
    #: Why the first step is what it is (shown in status and the audit).
    reason: str


def sample_sites(config: GateConfig) -> int:
    """Sites a step needs so that the pass rule's floor of installs (``min_coverage`` of
    ``min_installs``) can report within it, when ``min_coverage`` of its sites do."""
    floor = math.ceil(config.min_coverage * config.min_installs)
    return math.ceil(floor / config.min_coverage)


def held(percent: float, buckets: Sequence[int]) -> int:
    """How many of the sites whose rollout buckets are ``buckets`` (sorted) ``percent`` admits."""
    return bisect.bisect_left(buckets, hundredths(percent))


def least_percent(buckets: Sequence[int], config: GateConfig) -> float:
    """The smallest percentage in hundredths whose buckets hold ``sample_sites`` of the sites with
    ``buckets`` (sorted), but never more than ``WIDEST``: a fleet too small for the sample still
    gets a staged rollout, whose steps pass on ``min_coverage`` of their sites."""
    need = sample_sites(config)
    if len(buckets) < need:
        return WIDEST
    return min(WIDEST, of_hundredths(buckets[need - 1] + 1))


def size(steps: Sequence[float], buckets: Sequence[int], config: GateConfig, *, gated: bool) -> Sizing:
    """``steps`` with the first set to hold the gate's sample of the known sites, whose rollout
    buckets are ``buckets`` (sorted)."""
    first, fleet = steps[0], len(buckets)
    if not gated:
        return Sizing(list(steps), f"first step {first} % as planned: ungated, it advances on time alone")
    if fleet == 0:
        return Sizing(
            list(steps),
            f"first step {first} % as planned: no site has reported running the plugin yet, so its "
            f"size is unknown; the step waits for {config.min_installs} installs",
        )
    need = sample_sites(config)
    least = least_percent(buckets, config)
    if first >= least:
        return Sizing(
            list(steps),
            f"first step {first} % as planned: {held(first, buckets)} of the {fleet} sites running the "
            f"plugin, enough for the gate's sample ({need} sites)",
        )
    widened = [least, *(step for step in steps if step > least)]
    return Sizing(
        widened,
        f"first step widened from {first} % to {least} %: the gate needs {need} sites (about "
        f"{config.min_coverage:.0%} of a step's sites report within it) and {least} % holds "
        f"{held(least, buckets)} of the {fleet} sites running the plugin; {first} % holds "
        f"{held(first, buckets)}, too few to judge",
    )
