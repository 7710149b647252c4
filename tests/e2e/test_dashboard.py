"""The admin dashboard in a real browser (Debian's Chromium through Playwright) on the local stack:
sign in with the admin token, see the charts drawn from the live stats, sign out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.browser import chromium
from tests.e2e.conftest import SLUG, Stack

pytestmark = pytest.mark.e2e

CHARTS = ("chart-versions", "chart-downloads", "chart-adoption")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium("the dashboard") as started:
        yield started


class Watched:
    """A page whose console errors and uncaught exceptions are collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on(
            "console", lambda message: self.errors.append(message.text) if message.type == "error" else None
        )
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def _token(stack: Stack) -> str:
    return Path(stack.state()["admin_token_file"]).read_text().strip()


def sign_in(watched: Watched, stack: Stack, token: str) -> Any:
    """Open the dashboard, meet the login form, submit ``token``; returns the answer to the POST."""
    page = watched.page
    first = page.goto(f"{stack.api}/admin/dashboard")
    assert first is not None
    assert first.status == 401
    assert page.locator("input[name=token][type=password]").count() == 1
    page.fill("input[name=token]", token)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    # A 401 page's own load is logged as a console error by Chromium; only what follows counts.
    watched.errors.clear()
    return navigation.value


def stats(stack: Stack) -> dict[str, Any]:
    response = requests.get(
        f"{stack.api}/admin/plugins/{SLUG}/stats",
        params={"days": "30"},
        headers={"Authorization": f"Bearer {_token(stack)}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_dashboard_signs_in_and_draws_the_live_stats(
    stack: Stack, watched: Watched, tmp_path: Path
) -> None:
    page = watched.page
    # Some live traffic to draw (what the stats count of it is the stats endpoint's business).
    for _ in range(2):
        requests.get(
            f"{stack.api}/plugins/{SLUG}/download/",
            params={"version": "1.0.0"},
            allow_redirects=False,
            timeout=10,
        )

    landed = sign_in(watched, stack, _token(stack))

    assert landed is not None
    assert landed.status == 200
    assert landed.url == f"{stack.api}/admin/dashboard"
    cookie = next(c for c in page.context.cookies() if c["name"] == "igny8_admin")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    # The page draws its charts, or says why not in its error banner: whichever comes first.
    page.wait_for_selector(
        '#chart-adoption[data-rendered="true"], #error:not([hidden])', state="attached", timeout=15_000
    )
    assert page.locator("#error").is_hidden(), page.locator("#error").text_content()
    for chart in CHARTS:
        page.wait_for_selector(f'#{chart}[data-rendered="true"]', state="attached", timeout=15_000)
    assert page.locator("#plugin").input_value() == SLUG
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert watched.errors == []

    expected = stats(stack)
    shown = {
        name: page.locator(f"#stat-{name}").get_attribute("data-value")
        for name in ("downloads", "installations", "success", "failing", "below-forced")
    }
    rate = expected["updates"]["success_rate"]
    assert shown["downloads"] == str(expected["downloads"]["total"])
    assert (
        shown["installations"]
        == f"{expected['installations']['active']}/{expected['installations']['total']}"
    )
    assert (
        (shown["success"] == "")
        if rate is None
        else (float(shown["success"] or "nan") == pytest.approx(rate))
    )
    assert shown["failing"] == str(expected["health"]["failing"])
    assert shown["below-forced"] == str(expected["forced"]["sites_below"])
    assert page.locator("#stat-success").text_content() == (
        "n/a" if rate is None else f"{round(rate * 100, 1):g}%"
    )

    points = {chart: page.locator(f"#{chart}").get_attribute("data-points") for chart in CHARTS}
    assert points == {
        "chart-versions": str(len(expected["version_distribution"])),
        "chart-downloads": str(len(expected["downloads"]["per_day"])),
        "chart-adoption": str(len(expected["adoption"]["curve"])),
    }
    assert page.locator("#failing tbody tr").count() == len(expected["health"]["sites"])


def test_a_wrong_token_is_refused_and_never_echoed_or_logged(stack: Stack, watched: Watched) -> None:
    wrong = "not-the-admin-token-" + "x" * 12

    answer = sign_in(watched, stack, wrong)

    assert answer is not None
    assert answer.status == 401
    assert "not valid" in (watched.page.locator(".message").text_content() or "")
    assert wrong not in watched.page.content()
    assert not [c for c in watched.page.context.cookies() if c["name"] == "igny8_admin"]
    log = (stack.state_dir / "stack.log").read_text()
    assert wrong not in log
    assert _token(stack) not in log


def test_signing_out_clears_the_cookie(stack: Stack, watched: Watched) -> None:
    page = watched.page
    sign_in(watched, stack, _token(stack))
    page.wait_for_selector("#plugin option", state="attached", timeout=15_000)

    with page.expect_navigation() as navigation:
        page.click("#logout button")

    assert navigation.value is not None
    assert navigation.value.status == 401
    assert page.locator("input[name=token]").count() == 1
    assert not [c for c in page.context.cookies() if c["name"] == "igny8_admin"]
