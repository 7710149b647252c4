"""One look at one planned rollout (pure): advance, complete, halt, hold, or wait.

A step is observed for at least its ``step_hours``; a halt may come at any moment of it (the
sooner a bad release stops, the fewer sites get it). Sites of earlier steps that fetched the
version and never reported running it count as silent: they had a whole step to report, the
bridge reports on the first request that runs new code. A step still running cannot tell silent
from slow, so its own downloads are not judged silent yet.

A step that cannot pass (the gate holds it) for longer than the plan's ``stall_hours`` is
stalled: the look says so once per step (``stall``), so a rollout never sits silently at a
percentage where nobody looks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.logic.guard.funnel import settled
from chalicelib.logic.guard.gate import Counts, GateConfig, Verdict, judge
from chalicelib.logic.model import RolloutPlan, hundredths
from chalicelib.logic.percent import ALL

#: WordPress checks for updates twice a day: a step this old has been asked about by all its sites.
CHECK_CYCLE = timedelta(hours=12)

Action = Literal["advance", "complete", "halt", "stall", "hold", "wait", "none"]


@dataclass(frozen=True)
class Look:
    action: Action
    reason: str
    #: The percentage the version is offered to after this look.
    percent: float
    new: Counts
    verdict: Verdict | None = None

    def evidence(self, baseline_version: str | None, baseline: Counts) -> dict[str, Any]:
        """What an audit entry, ``status`` and the dashboard show of this look."""
        return {
            "action": self.action,
            "reason": self.reason,
            "counts": self.new.as_dict(),
            "baseline": {"version": baseline_version, "counts": baseline.as_dict()},
            "rates": self.verdict.as_dict()["rates"] if self.verdict else [],
        }


def config_of(plan: RolloutPlan) -> GateConfig:
    return GateConfig(margin=plan.margin_points / 100, min_installs=plan.min_installs)


def judged(plan: RolloutPlan, by_step: dict[float, Counts]) -> Counts:
    """The counts the gate judges: every step so far, with earlier steps' silent sites, minus
    what an admin accepted on resume."""
    seen = settled(by_step, below=plan.steps[plan.step])
    return seen - Counts(**plan.accepted) if plan.accepted else seen


def admitted(plan: RolloutPlan, new: Counts, baseline: Counts, now: datetime) -> int:
    """How many sites the rollout admits so far: its percentage of the sites known to run the
    plugin, until a whole check cycle into the step; by then every admitted site has asked and been
    offered it, and the count is exact (a bucket may hold fewer sites than its share)."""
    if now - plan.step_started_at >= CHECK_CYCLE:
        return new.offered
    known = max(baseline.installed, new.installed)
    return -(-hundredths(plan.steps[plan.step]) * known // ALL)  # exact ceil


def stalled(plan: RolloutPlan, now: datetime) -> bool:
    """Whether a running step has gone on beyond its plan's bound: the rollout is stuck, and an
    operator should know (the guard raises RolloutStalled once per step)."""
    return plan.state == "running" and now - plan.step_started_at >= timedelta(hours=plan.stall_hours)


def look(plan: RolloutPlan, by_step: dict[float, Counts], baseline: Counts, now: datetime) -> Look:
    percent = plan.steps[plan.step]
    new = judged(plan, by_step)
    if plan.state != "running":
        return Look("none", f"the rollout is {plan.state}", percent, new)
    verdict = judge(new, baseline, config_of(plan), admitted=admitted(plan, new, baseline, now))
    if plan.gated and verdict.decision == "halt":
        return Look("halt", verdict.reason, percent, new, verdict)
    due = plan.step_started_at + timedelta(hours=plan.step_hours)
    if now < due:
        return Look(
            "wait", f"step {percent} % is observed until {due:%Y-%m-%d %H:%M} UTC", percent, new, verdict
        )
    if plan.gated and verdict.decision != "advance":
        return _held(plan, Look("hold", verdict.reason, percent, new, verdict), now)
    why = verdict.reason if plan.gated else "ungated: advances on time alone"
    if plan.step + 1 >= len(plan.steps):
        return Look("complete", why, percent, new, verdict)
    return Look("advance", why, plan.steps[plan.step + 1], new, verdict)


def _held(plan: RolloutPlan, held: Look, now: datetime) -> Look:
    """A held step, or its stall once it has gone on beyond the plan's bound (once per step: the
    stall's evidence marks it raised until the next transition)."""
    if not stalled(plan, now) or plan.evidence.get("action") == "stall":
        return held
    hours = (now - plan.step_started_at) / timedelta(hours=1)
    why = (
        f"step {held.percent} % held for {hours:.0f} h, beyond the {plan.stall_hours} h bound: {held.reason}"
    )
    return dataclasses.replace(held, action="stall", reason=why)
