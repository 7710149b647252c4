"""The simulator's figures as a Markdown table (bench/RESULTS.md) and a one-line verdict per run."""

from __future__ import annotations

from bench.fleet_sim.scenario import Outcome, Result


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def row(result: Result, outcome: Outcome) -> str:
    kind = f"bad ({outcome.bad_share:.0%} broken)" if outcome.bad_share else "good"
    return (
        f"| {result.scenario.sites} | {outcome.slug} | {kind} | {outcome.state} at {outcome.percent}% "
        f"| {_hours(outcome.halted_at_hours)} | {outcome.share_on_candidate:.2%} | {outcome.share_broken:.2%} "
        f"| {_hours(outcome.reached_100_hours)} | {' '.join(outcome.timeline)} |"
    )


HEADER = (
    "| Sites | Plugin | Release | End state | Halted after | Fleet got it | Fleet broken | To 100 % | Timeline |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def table(results: list[Result]) -> str:
    lines = [HEADER]
    lines += [row(result, outcome) for result in results for outcome in result.outcomes]
    return "\n".join(lines)


def runs(results: list[Result]) -> str:
    return "\n".join(
        f"- {r.scenario.sites} sites: {r.simulated_hours:.0f} simulated hours in {r.wall_seconds:.0f} s wall, "
        f"{r.requests} site requests ({r.requests / r.wall_seconds:.0f}/s), RolloutHalted metrics "
        f"{r.halt_metrics}, audit halts {r.audit_halts}, RolloutStalled metrics {r.stall_metrics}"
        for r in results
    )


def sizings(results: list[Result]) -> str:
    """Each fleet's first-step sizing, as status states it (one line per fleet size)."""
    return "\n".join(f"- {r.scenario.sites} sites: {r.outcomes[0].sizing}" for r in results if r.outcomes)


def false_halts(results: list[Result]) -> tuple[int, int]:
    """(good rollouts halted, good rollouts run)."""
    good = [o for r in results for o in r.outcomes if not o.bad_share]
    return sum(o.state == "halted" for o in good), len(good)
