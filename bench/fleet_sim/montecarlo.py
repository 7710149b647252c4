"""The guard's own decisions, repeated many times in process: ``python -m bench.fleet_sim.montecarlo``.

The HTTP simulator (``scenario``) runs the whole service, a few runs an hour. This runs the same
fleet model (sites checking every 12 h from a random phase, 30 % of them broken by a bad release,
80 % of those reporting an error and 20 % going silent, 1 % flaky on any version) against the
guard's real logic (``sizing.size`` on the fleet's own buckets, 0.01 % each, for the plan;
``evaluation.look`` every 5 simulated minutes on the counts a funnel would hold) without HTTP or
storage, so it gives the spread over hundreds of fleets: the share of the fleet that got a bad
release before the halt, whether it got past its first step, how often a good one is halted or
stalls, and when it reaches 100 %. It models no network, store or bridge: the HTTP runs are the
proof that the service behaves so; this is how often.
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.logic.guard.evaluation import config_of, look
from chalicelib.logic.guard.gate import Counts
from chalicelib.logic.guard.sizing import size
from chalicelib.logic.model import RolloutPlan, hundredths
from chalicelib.logic.rollout import BUCKETS

START = datetime(2026, 11, 30, tzinfo=UTC)
LOOK_EVERY = timedelta(minutes=5)
CHECK_EVERY_HOURS = 12.0


@dataclass
class Run:
    first: float
    halted: bool
    share_got: float
    hours_to_100: float | None
    #: Whether the stall alarm was raised on the way.
    stalled: bool = False
    #: The percentage offered at the end.
    at: float = 100


def one(sites: int, bad_share: float, rng: random.Random, horizon_hours: float = 72) -> Run:
    plan = RolloutPlan(steps=[1, 5, 25, 100], step_hours=6, step_started_at=START)
    buckets = [rng.randrange(BUCKETS) for _ in range(sites)]
    plan.steps = size(plan.steps, sorted(buckets), config_of(plan), gated=True).steps
    phase = [rng.random() * CHECK_EVERY_HOURS for _ in range(sites)]
    fate = [
        ("silent" if rng.random() < 0.2 else "error") if rng.random() < bad_share else ""
        for _ in range(sites)
    ]
    flaky = [rng.random() < 0.01 for _ in range(sites)]
    baseline = Counts(installed=sites, health_failed=sum(flaky))
    got: dict[int, float] = {}  # site -> the step percentage it was offered in
    looks_per_cycle = round(timedelta(hours=CHECK_EVERY_HOURS) / LOOK_EVERY)
    checking: list[list[int]] = [[] for _ in range(looks_per_cycle)]  # look of the cycle -> sites
    for site in range(sites):
        checking[int(phase[site] / CHECK_EVERY_HOURS * looks_per_cycle)].append(site)
    now, percent, n, stalled = START, plan.steps[0], 0, False
    first = percent
    while now < START + timedelta(hours=horizon_hours):
        hours = (now - START) / timedelta(hours=1)
        for site in checking[n % looks_per_cycle]:  # the sites whose 12 h check fell in this look
            if site not in got and buckets[site] < hundredths(percent):
                got[site] = percent
        n += 1
        seen = look(plan, _funnel(got, fate, flaky), baseline, now)
        if seen.action == "stall":
            stalled, plan.evidence = True, {"action": "stall"}  # once per step, as the runner marks it
        if seen.action == "halt":
            return Run(first, True, len(got) / sites, None, stalled, percent)
        if seen.action in ("advance", "complete"):
            if seen.action == "complete" or seen.percent == 100:
                return Run(first, False, len(got) / sites, hours, stalled)
            plan.evidence = {}
            plan.step, plan.step_started_at, percent = plan.step + 1, now, seen.percent
        now += LOOK_EVERY
    return Run(first, False, len(got) / sites, None, stalled, percent)


def _funnel(got: dict[int, float], fate: list[str], flaky: list[bool]) -> dict[float, Counts]:
    by_step: dict[float, Counts] = {}
    for site, step in got.items():
        silent = fate[site] == "silent"
        failed = not silent and (fate[site] == "error" or flaky[site])
        counts = Counts(offered=1, downloaded=1, installed=0 if silent else 1, health_failed=int(failed))
        by_step[step] = by_step.get(step, Counts()) + counts
    return by_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, nargs="+", default=[300, 1000, 3000, 10_000])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(
        "| Sites | First step, median (min-max) | Bad: halted / held, paged as stalled | Bad: fleet got it, median / p90 / max "
        "| Bad: fleets at 2 % or more / over 2 % | Bad: past the first step | Good: false halts | Good: reached 100 % in 72 h "
        "| Good: hours to 100 %, median / max | Good: stall alarms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for sites in args.sites:
        bad = [one(sites, 0.3, rng) for _ in range(args.runs)]
        good = [one(sites, 0.0, rng) for _ in range(args.runs)]
        firsts = sorted(r.first for r in bad + good)
        shares = sorted(r.share_got for r in bad)
        reached = sorted(r.hours_to_100 for r in good if r.hours_to_100 is not None)
        hours = f"{statistics.median(reached):.1f} / {reached[-1]:.1f}" if reached else "-"
        print(
            f"| {sites} | {firsts[len(firsts) // 2]} % ({firsts[0]}-{firsts[-1]}) "
            f"| {sum(r.halted for r in bad)} / {sum(r.stalled and not r.halted for r in bad)} of {len(bad)} "
            f"| {statistics.median(shares):.2%} / {shares[int(0.9 * len(shares))]:.2%} / {shares[-1]:.2%} "
            f"| {sum(share >= 0.02 for share in shares)} / {sum(share > 0.02 for share in shares)} of {len(bad)} "
            f"| {sum(r.at != r.first for r in bad)}/{len(bad)} "
            f"| {sum(r.halted for r in good)}/{len(good)} | {len(reached)}/{len(good)} | {hours} "
            f"| {sum(r.stalled for r in good)}/{len(good)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
