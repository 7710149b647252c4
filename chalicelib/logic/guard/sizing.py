"""How large a planned rollout's first step must be to ever show evidence (pure).

A step passes its gate only on a minimum sample (``GateConfig.min_installs`` installs reported),
and a step too small to give that many could not be judged: at 1 000 sites a 1 % step is about
10 sites, which cannot tell a release breaking 30 % of sites from noise, and at 300 sites it is 3.
So the first step is widened to the smallest whole percentage of the sites known to run the
plugin that can give the sample, given that about ``min_coverage`` of a step's sites report within
it; the plan's later steps at or below it are dropped. The widening, and the figures it rests on,
go into the plan (``RolloutPlan.sizing``), ``status`` and the audit, so nobody wonders why a
"1 %" rollout is offered to 3 %.

A fleet the service knows nothing about (no installation reported yet) is not widened: the step
then waits for its sample, and the stall alarm says so if it waits too long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.logic.guard.gate import GateConfig

#: The widest a first step is made: half the fleet.
WIDEST = 50


@dataclass(frozen=True)
class Sizing:
    steps: list[int]
    #: Why the first step is what it is (shown in status and the audit).
    reason: str


def sample_sites(config: GateConfig) -> int:
    """Sites a step needs so that ``min_installs`` of them can report within it."""
    return math.ceil(config.min_installs / config.min_coverage)


def least_percent(fleet: int, config: GateConfig) -> int:
    """The smallest whole percentage of ``fleet`` sites that holds ``sample_sites``, but never more
    than ``WIDEST``: a fleet too small for the sample still gets a staged rollout, whose steps pass
    on ``min_coverage`` of their sites (the gate's rule for a step that cannot give more)."""
    return min(WIDEST, math.ceil(100 * sample_sites(config) / fleet))


def size(steps: list[int], fleet: int, config: GateConfig, *, gated: bool) -> Sizing:
    """``steps`` with the first widened so it can reach the gate's sample on ``fleet`` sites."""
    first = steps[0]
    if not gated:
        return Sizing(steps, f"first step {first} % as planned: ungated, it advances on time alone")
    if fleet <= 0:
        return Sizing(
            steps,
            f"first step {first} % as planned: no site has reported running the plugin yet, so its "
            f"size is unknown; the step waits for {config.min_installs} installs",
        )
    need = sample_sites(config)
    least = least_percent(fleet, config)
    if first >= least:
        return Sizing(
            steps,
            f"first step {first} % as planned: about {math.floor(first * fleet / 100)} of {fleet} sites, "
            f"enough for {config.min_installs} installs",
        )
    widened = [least, *(step for step in steps if step > least)]
    return Sizing(
        widened,
        f"first step widened from {first} % to {least} %: {config.min_installs} installs need about "
        f"{need} sites (about {config.min_coverage:.0%} of a step's sites report within it) and "
        f"{fleet} sites run the plugin; {first} % is about {math.floor(first * fleet / 100)} sites, "
        "too few to judge",
    )
