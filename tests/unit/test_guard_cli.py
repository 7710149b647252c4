"""``igny8-plugins status``: a rollout's first-step sizing and a stall read as an operator needs
them (why the step is its size; that it is stuck, since when, and what to do)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from igny8_cli import rollouts


def _shown(plan: dict[str, Any]) -> str:
    console = Console(record=True, width=200)
    rollouts.show(
        console,
        [
            {
                "version": "3.0.1",
                "percent": 1.87,
                "plan": {"steps": [1.87, 5, 25, 100], "step": 0, "state": "running", "step_hours": 6, **plan},
                "gate": {"action": "hold", "reason": "waiting for installs: 12 of 20 reported"},
                "funnel": {},
                "timeline": [],
            }
        ],
    )
    return console.export_text()


def test_status_says_why_the_first_step_is_its_size_and_that_it_stalled() -> None:
    text = _shown(
        {
            "sizing": "first step widened from 1 % to 1.87 %: the gate needs 20 sites",
            "stalled": True,
            "stalled_since": "2026-11-30T06:00:00Z",
            "stall_hours": 24,
        }
    )

    assert "RUNNING at 1.87%  plan [1.87] -> 5 -> 25 -> 100" in text
    assert "sizing: first step widened from 1 % to 1.87 %" in text
    assert "STALLED since 2026-11-30T06:00:00Z (bound 24 h)" in text
    assert "pull or roll back" in text


def test_a_rollout_moving_on_time_says_nothing_of_a_stall() -> None:
    text = _shown({"sizing": "", "stalled": False, "stalled_since": None, "stall_hours": 24})

    assert "STALLED" not in text and "sizing" not in text
