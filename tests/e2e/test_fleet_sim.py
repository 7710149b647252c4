"""The fleet simulator, small: 30 synthetic sites on the real local stack and a simulated clock,
a bad release and a good one rolled out side by side on a guarded plan, all over HTTP. The bad one
halts at its first step, the good one reaches 100 %, and status, the audit, the metric and the
dashboard show both (the full-size runs are bench/fleet_sim, figures in bench/RESULTS.md).

Small on purpose (``make test``'s budget): 30 sites and a sample of 8 installs keep it to about
200 site requests; the first step (50 %) is large enough for that sample, so the plan is kept as
given. 60 % broken: a 15-site step holds at least 3 reporting errors but for 1 run in 500. The
guard looks once per 30 simulated minutes (each look is a wait here), not every 5.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bench.fleet_sim.scenario import Result, Scenario, Stack, run
from tests.e2e.browser import chromium

pytestmark = pytest.mark.e2e

SMALL = Scenario(
    sites=30,
    good=1,
    bad_share=0.6,
    plan="50,100",
    step_hours=1,
    horizon_hours=14,
    release_options=("--min-installs", "8"),
    tick_minutes=30,
)


def _look(stack: Stack, seen: dict[str, Any]) -> None:
    """While the simulated stack is up: what an operator sees in the CLI and the dashboard."""
    seen["status"] = stack.cli("status", "fleet-bad")
    with chromium("the rollout dashboard") as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{stack.api}/admin/dashboard?plugin=fleet-bad")
        page.fill("input[name=token]", (stack.state_dir / "admin-token").read_text().strip())
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto(f"{stack.api}/admin/dashboard?plugin=fleet-bad")
        page.wait_for_selector('#chart-funnel[data-rendered="true"]', state="attached", timeout=20_000)
        seen["funnel_points"] = page.locator("#chart-funnel").get_attribute("data-points")
        seen["state"] = page.locator("#rollout-state").text_content()
        seen["steps"] = page.locator("#timeline tbody tr").all_text_contents()
        seen["errors"] = errors


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, dict[str, Any]]:
    seen: dict[str, Any] = {}
    result = run(SMALL, Path(tmp_path_factory.mktemp("fleet-sim")), after=lambda stack: _look(stack, seen))
    return result, seen


def test_the_bad_release_halts_at_its_first_step(simulated: tuple[Result, dict[str, Any]]) -> None:
    result, _ = simulated
    bad = next(o for o in result.outcomes if o.slug == "fleet-bad")

    assert (bad.state, bad.percent) == ("halted", 50)
    assert bad.timeline == ["start@50%", "halt@50%"]
    assert "health failures" in bad.reason or "install failures" in bad.reason
    assert bad.share_on_candidate < 0.5  # fewer than its first step's sites, not the fleet
    assert re.fullmatch(  # how many of the 30 its buckets hold depends on the plugin's random salt
        r"first step 50 % as planned: \d+ of the 30 sites running the plugin, enough for the gate's "
        r"sample \(9 sites\)",
        bad.sizing,
    ), bad.sizing
    assert result.audit_halts == 1
    assert result.halt_metrics >= 1  # the RolloutHalted metric, as the stack's EMF lines


def test_the_good_release_reaches_everyone_without_a_halt(simulated: tuple[Result, dict[str, Any]]) -> None:
    result, _ = simulated
    good = next(o for o in result.outcomes if o.slug == "fleet-good-1")

    assert good.state != "halted"
    assert good.reached_100_hours is not None and good.reached_100_hours <= SMALL.horizon_hours
    assert good.timeline[:2] == ["start@50%", "advance@100%"]


def test_status_and_the_dashboard_show_the_halt(simulated: tuple[Result, dict[str, Any]]) -> None:
    _, seen = simulated

    assert "HALTED" in seen["status"]
    assert "sizing: first step 50 % as planned" in seen["status"]
    assert seen["funnel_points"] == "7"
    assert "HALTED at 50%" in seen["state"]
    assert [row.split("Z")[1][:4] for row in seen["steps"]] == ["star", "halt"]
    assert seen["errors"] == []
