"""The rollout guard's schedule: every few minutes, look at every running rollout and advance,
complete or halt it (``logic/guard/runner.py``). Idempotent and safe to run twice at once: each
transition is a conditional write. A halt is counted as the ``RolloutHalted`` metric, and a step held beyond its plan's bound as
``RolloutStalled`` (once per step); the template's alarms page on both."""

from __future__ import annotations

import logging

from chalice.app import Blueprint, CloudWatchEvent, Rate

from chalicelib.adapters import repository
from chalicelib.clock import now
from chalicelib.logic.guard.runner import Guard
from chalicelib.observability import count

log = logging.getLogger(__name__)

guard = Blueprint(__name__)

#: How often the guard looks: a halt lands within this of the evidence (sites check every 12 h).
EVERY_MINUTES = 5

_METRICS = {
    "advance": "RolloutAdvanced",
    "complete": "RolloutCompleted",
    "halt": "RolloutHalted",
    "stall": "RolloutStalled",
}


@guard.schedule(Rate(EVERY_MINUTES, unit=Rate.MINUTES), name="rollout_guard")
def rollout_guard(event: CloudWatchEvent) -> dict[str, int]:
    made = Guard(repository(), now()).run()
    for transition in made:
        count(_METRICS[transition.action])
    log.info("rollout guard ran", extra={"transitions": len(made)})
    return {"transitions": len(made)}
