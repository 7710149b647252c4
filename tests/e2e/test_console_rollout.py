"""The rollout guard in the console, in Chromium, on one local stack on a simulated clock (the fleet
simulator's: ``SIMULATED_CLOCK_FILE``, the guard's schedule run by the stack at each new moment):

- a releaser starts a guarded rollout from the plugin page with "Release V with a plan" (a plan
  that does not rise to 100 is refused in the dialog, nothing sent); the sites in its first bucket
  are offered the version, the others are not;
- sites report failing installs through the site endpoints the bridge uses, the guard looks, and
  the page says HALTED with the evidence (rates against the baseline, counts) and the failing
  sites by name and address; the audit trail has the guard's halt;
- a viewer sees the halt, without a single action, and her forged POSTs are 403;
- the halted page with the plan dialog open passes axe-core;
- the releaser resumes it; the step then waits beyond its stall bound and the page says STALLED
  since when, on the rollout panel, the statistics' funnel and the machine dashboard; an admin
  aborts it (a pull, the version typed back);
- the audit page reads older entries a page at a time.

What the page says is checked against the admin API and what WordPress sites are answered.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from bench.fleet_sim.clock import SimClock
from tests.e2e import console_browser, rollout_world
from tests.e2e.axe import assert_accessible, axe  # noqa: F401 (a fixture)
from tests.e2e.conftest import SLUG, Stack
from tests.e2e.console_browser import (
    VIEWPORT,
    AdminApi,
    Console,
    audit_rows,
    axe_console,
    browser,  # noqa: F401 (a fixture)
    person,
)
from tests.e2e.rollout_world import BASELINE, CANDIDATE, SITES, Shop, look

pytestmark = pytest.mark.e2e

#: The stack's people (a releaser, a viewer, its first admin) and the releaser's console: fixtures.
people, rita = console_browser.people, console_browser.rita
#: This module's stack on the simulated clock (the shared fixture's runs on the system's), and its fleet.
clock, stack, shops = rollout_world.clock, rollout_world.stack, rollout_world.shops

PLUGIN = "IGNY8 WordPress Bridge"
#: Sites of the first bucket whose install of the candidate fails.
FAILING = 4
#: Any button a rollout's panel or the plan dialog offers.
ROLLOUT_ACTIONS = re.compile(r"^(Release .+ with a plan|Resume|Abort the rollout|Roll back) ")


def panel(console: Console) -> Any:
    return console.page.locator(f'article.rollout[data-version="{CANDIDATE}"]')


def rollout(stack: Stack) -> dict[str, Any]:
    """What `igny8-plugins status` reads for the candidate."""
    report = AdminApi(stack).get(f"plugins/{SLUG}/rollouts")
    return dict(next(r for r in report["rollouts"] if r["version"] == CANDIDATE))


def test_a_releaser_starts_a_planned_rollout_from_the_page(
    stack: Stack, shops: list[Shop], rita: Console
) -> None:
    rita.open(f"plugins/{SLUG}", PLUGIN)
    page = rita.page
    page.get_by_role("button", name=f"Release {CANDIDATE} with a plan", exact=True).click()
    dialog = rita.dialog()
    expect(dialog).to_be_visible()
    effect, start = dialog.locator("#plan-effect"), dialog.get_by_role("button", name="Start the rollout")

    steps = dialog.get_by_label("Steps, in percent")
    for refused in ("50, 40", "2.555, 100", "0, 100", "5, 50"):  # not rising, 3 decimals, 0, not to 100
        steps.fill(refused)
        expect(effect).to_have_text(re.compile(r"^Steps: .*rising, ending at 100\.$"))
        expect(start).to_be_disabled()
    steps.fill("2.5, 25, 100")  # hundredths, as the API takes them
    expect(effect).to_contain_text(f"Offer {CANDIDATE} to 2.5 % of sites on stable now, then 25 %, 100 %")
    expect(start).to_be_enabled()
    assert AdminApi(stack).version(CANDIDATE)["status"] == "draft"

    for label, value in (
        ("Steps, in percent", "50, 100"),
        ("Hours per step, at least", "1"),
        ("Stall alarm after, hours", "2"),
        ("Margin, percentage points", "5"),
        ("Installs before a step passes", "5"),
    ):
        dialog.get_by_label(label, exact=True).fill(value)
    expect(effect).to_have_text(
        f"Offer {CANDIDATE} to 50 % of sites on stable now, then 100 %, each step after at least 1 h and "
        f"only after 5 installs and failure rates within 5 points of the previous version ({BASELINE}); "
        "a failing step halts. A step held beyond 2 h raises the stall alarm. The first step may be "
        "widened so that it can give 5 installs."
    )
    dialog.get_by_role("radio", name=re.compile("^Ungated")).check()
    expect(effect).to_contain_text("UNGATED, no health gate")
    dialog.get_by_role("radio", name=re.compile("^Gated")).check()
    rita.screenshot("rollout-plan")
    start.click()
    expect(dialog).to_be_hidden()
    rita.outcome(
        f"Started the guarded rollout of {CANDIDATE}: offered to 50 % of sites on stable now (plan 50 → 100)."
    )

    status = rollout(stack)
    assert (status["percent"], status["plan"]["steps"], status["plan"]["gated"]) == (50, [50, 100], True)
    assert (status["plan"]["step_hours"], status["plan"]["stall_hours"]) == (1, 2)
    expect(panel(rita)).to_have_attribute("data-state", "waiting")
    expect(panel(rita)).to_contain_text("WAITING FOR INSTALLS at 50 %")
    expect(panel(rita).get_by_role("list", name=f"Steps of the rollout of {CANDIDATE}")).to_have_text(
        re.compile(r"50 % · current since .+100 % · to come")
    )
    # A site in the first bucket is offered the candidate, one outside it is not.
    offered = [shop.offered(stack) for shop in shops]
    assert FAILING < sum(offered) < SITES, offered


def test_failing_installs_halt_it_and_the_page_shows_the_evidence_and_the_sites(
    stack: Stack, shops: list[Shop], rita: Console, clock: SimClock
) -> None:
    first_bucket = [shop for shop in shops if shop.offered(stack)]
    failing = first_bucket[:FAILING]
    for shop in first_bucket:
        shop.update(stack, healthy=shop not in failing)
    look(clock)

    status = rollout(stack)
    assert status["plan"]["state"] == "halted", status["gate"]
    assert sorted(status["halt"]["sites"]) == [shop.site_id for shop in failing]
    assert not any(shop.offered(stack) for shop in shops if shop not in first_bucket)  # no new site

    rita.open(f"plugins/{SLUG}", PLUGIN)
    shown = panel(rita)
    expect(shown).to_have_attribute("data-state", "halted")
    expect(shown.locator(".state")).to_have_text(f"HALTED at 50 %: no new site is offered {CANDIDATE}")
    expect(shown.locator(".reason")).to_contain_text(f"health failures {FAILING}/{len(first_bucket)}")
    rates = shown.get_by_role("table", name=re.compile(f"^Failure rates of {CANDIDATE} against {BASELINE}"))
    expect(rates.get_by_role("row", name=re.compile("^Health failures"))).to_contain_text(
        f"{FAILING} / {len(first_bucket)}"
    )
    counts = shown.get_by_role("table", name="Sites at each stage")
    expect(counts.get_by_role("row", name=re.compile(f"^{re.escape(CANDIDATE)}"))).to_contain_text(
        str(len(first_bucket))
    )
    expect(counts.get_by_role("row", name=f"baseline {BASELINE}")).to_be_visible()
    sites = shown.get_by_role("table", name=f"Failing sites ({FAILING})")
    for shop in failing:
        expect(sites.get_by_role("row", name=shop.name)).to_contain_text(shop.url)
    expect(rita.row(CANDIDATE)).to_contain_text("rollout halted")

    rita.open(f"audit/{SLUG}", "Audit trail")
    trail = audit_rows(rita)
    assert ("rollout-guard", "rollout-halt", CANDIDATE) in trail, trail
    assert ("rita", "rollout-start", CANDIDATE) in trail, trail
    expect(rita.page.get_by_role("table", name="Audit trail")).to_contain_text(failing[0].site_id)
    assert rita.errors == []


def test_a_viewer_sees_the_halt_without_actions_and_her_forged_posts_are_refused(
    stack: Stack,
    browser: Any,  # noqa: F811
    people: dict[str, str],
) -> None:
    api = AdminApi(stack)
    vera = person(browser, stack, "vera", people["vera"])
    vera.open(f"plugins/{SLUG}", PLUGIN)
    expect(panel(vera)).to_have_attribute("data-state", "halted")
    expect(panel(vera).get_by_role("table", name=f"Failing sites ({FAILING})")).to_contain_text("Shop ")
    expect(vera.page.get_by_role("button", name=ROLLOUT_ACTIONS)).to_have_count(0)

    before = api.snapshot()
    for path, body in (
        (f"plugins/{SLUG}/versions/{CANDIDATE}/resume", {}),
        (f"plugins/{SLUG}/versions/{BASELINE}/rollout", {"plan": [50, 100]}),
        (f"plugins/{SLUG}/versions/{CANDIDATE}/pull", {}),
    ):
        status, answer = vera.send_from_page("POST", path, body)
        assert (status, answer["error"]["code"]) == (403, "forbidden_role"), (path, answer)
    assert api.snapshot() == before
    assert vera.errors == []
    vera.context.close()


def test_the_halted_page_with_the_plan_dialog_open_passes_axe(
    stack: Stack,
    browser: Any,  # noqa: F811
    people: dict[str, str],
    axe: Path,  # noqa: F811
) -> None:
    admin = axe_console(browser, stack).sign_in("admin", people["admin"])
    admin.open(f"plugins/{SLUG}", PLUGIN)
    expect(panel(admin)).to_have_attribute("data-state", "halted")
    expect(admin.page.get_by_role("button", name=f"Abort the rollout of {CANDIDATE}")).to_be_visible()
    assert_accessible(admin.page, axe, "a plugin with a halted rollout")
    panel(admin).scroll_into_view_if_needed()
    admin.screenshot("rollout-halted")  # with an admin's actions: resume, abort, roll back
    admin.page.get_by_role("button", name=f"Release {BASELINE} with a plan").click()
    expect(admin.dialog()).to_be_visible()
    force = admin.dialog().get_by_role("checkbox", name=re.compile("^Force the update"))
    expect(force).to_be_visible()  # an admin may force it
    assert_accessible(admin.page, axe, "the plan dialog")
    before = AdminApi(stack).snapshot()
    admin.page.keyboard.press("Escape")
    expect(admin.dialog()).to_be_hidden()
    assert AdminApi(stack).snapshot() == before  # cancelled: nothing sent
    admin.context.close()


def test_a_resumed_rollout_held_beyond_its_bound_shows_stalled_and_an_admin_aborts_it(
    stack: Stack,
    browser: Any,  # noqa: F811
    people: dict[str, str],
    rita: Console,
    clock: SimClock,
) -> None:
    rita.open(f"plugins/{SLUG}", PLUGIN)
    effect = rita.act(f"Resume the rollout of {CANDIDATE}")
    assert effect.startswith(f"Restart the halted rollout of {CANDIDATE} at 50 %"), effect
    rita.outcome(f"Resumed the rollout of {CANDIDATE}.")
    assert rollout(stack)["plan"]["state"] == "running"
    expect(panel(rita)).to_have_attribute("data-state", "waiting")

    look(clock, timedelta(hours=2, minutes=1))  # no new install: the step holds beyond 2 h
    status = rollout(stack)
    assert status["plan"]["stalled"] is True, status
    rita.open(f"plugins/{SLUG}", PLUGIN)
    expect(panel(rita)).to_have_attribute("data-state", "stalled")
    expect(panel(rita).locator(".state")).to_contain_text(f"STALLED since {status['plan']['stalled_since']}")
    expect(rita.page.locator("#rollout-state")).to_contain_text("STALLED since")  # the statistics' funnel
    dashboard = browser.new_context(viewport=VIEWPORT).new_page()  # the machine dashboard's, too
    dashboard.goto(f"{stack.api}/admin/dashboard")
    dashboard.get_by_label("Admin token").fill(Path(stack.state()["admin_token_file"]).read_text().strip())
    with dashboard.expect_navigation():
        dashboard.get_by_role("button", name="Sign in").click()
    dashboard.goto(f"{stack.api}/admin/dashboard?plugin={SLUG}")
    expect(dashboard.locator("#rollout-state")).to_contain_text(
        f"STALLED since {status['plan']['stalled_since']}", timeout=20_000
    )
    dashboard.context.close()
    entries = AdminApi(stack).get(f"plugins/{SLUG}/audit")["entries"]
    trail = [(e["actor"], e["action"]) for e in entries]
    assert ("rita", "rollout-resume") in trail and ("rollout-guard", "rollout-stall") in trail, trail
    assert rita.errors == []

    admin = person(browser, stack, "admin", people["admin"])
    admin.open(f"plugins/{SLUG}", PLUGIN)
    effect = admin.act(f"Abort the rollout of {CANDIDATE}", typed=CANDIDATE)
    assert effect.startswith(f"Withdraw {CANDIDATE}: no site is offered it"), effect
    admin.outcome(f"Pulled {CANDIDATE}.")
    assert AdminApi(stack).version(CANDIDATE)["status"] == "pulled"
    expect(panel(admin)).to_have_attribute("data-state", "aborted")
    expect(panel(admin).get_by_role("button")).to_have_count(0)
    assert admin.errors == []
    admin.context.close()


def test_the_audit_page_reads_older_entries_a_page_at_a_time(stack: Stack, rita: Console) -> None:
    page = rita.page
    rita.open("audit/_sites", "Audit trail")  # the fleet's sites: one entry each, more than a page
    table = page.get_by_role("table", name="Audit trail")
    older = page.get_by_role("button", name="Older entries")
    expect(table.locator("tbody tr")).to_have_count(20)
    newest = audit_rows(rita)
    older.click()
    rita.outcome(f"Added {SITES - 20} older entries; that is the whole trail.")
    expect(table.locator("tbody tr")).to_have_count(SITES)
    expect(older).to_be_hidden()
    everything = audit_rows(rita)
    assert everything[:20] == newest
    assert [action for _, action, _ in everything] == ["create-site"] * SITES
    expect(table).to_contain_text("Shop 01 (https://shop-01.example)")  # the oldest, on the second page
    rita.open(f"audit/{SLUG}", "Audit trail")  # a short trail: one page, no button
    expect(older).to_be_hidden()
    assert rita.errors == []
