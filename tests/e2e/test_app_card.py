"""The IGNY8 app's "download our plugin" card (docs/app-card/) in a real browser (Debian's Chromium
through Playwright), against the local stack as `make run` starts it, served by its stand-in app
backend from two more origins on 127.0.0.1: one the stack allows (CORS), one it does not.

From the allowed origin the card shows the bundled plugin's version and size, and its button
downloads the package (vouched for by an app token the backend minted), which `igny8-plugins
stats` then counts. From the other origin the browser keeps every answer from the page.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.browser import chromium
from tests.e2e.conftest import ROOT, SLUG, Stack, _free_port, running_stack

pytestmark = pytest.mark.e2e

BACKEND = ROOT / "docs" / "app-card" / "backend.py"
BUNDLED_VERSION = "1.0.0"  # plugins/wordpress/source/igny8-wp-bridge/igny8-wp-bridge.php


@dataclass(frozen=True)
class Origins:
    allowed: str
    refused: str


@pytest.fixture(scope="module")
def origins() -> Origins:
    return Origins(allowed=f"http://127.0.0.1:{_free_port()}", refused=f"http://127.0.0.1:{_free_port()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, origins: Origins) -> Iterator[Stack]:
    """The local stack, allowing only the card's first origin (as `make run` allows 8081's)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("APP_ORIGINS", origins.allowed)
        with running_stack(tmp_path_factory.mktemp("card-stack")) as started:
            yield started


def _serve_card(stack: Stack, origin: str) -> subprocess.Popen[bytes]:
    """The stand-in app backend (the card's files, its config and token routes) on ``origin``."""
    port = origin.rsplit(":", 1)[1]
    process = subprocess.Popen(
        [sys.executable, str(BACKEND), "--port", port, "--stack-file", str(stack.state_dir / "stack.json")],
        cwd=ROOT,
        env=stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            if requests.get(f"{origin}/", timeout=2).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"the card's backend did not start on {origin}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cards(stack: Stack, origins: Origins) -> Iterator[Origins]:
    processes = [_serve_card(stack, origin) for origin in (origins.allowed, origins.refused)]
    try:
        yield origins
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium("the app card") as started:
        yield started


class Page:
    """A browser page whose console errors are collected (the browser reports CORS refusals there)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.on(
            "console", lambda message: self.console.append(message.text) if message.type == "error" else None
        )


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    try:
        yield Page(context.new_page())
    finally:
        context.close()


def downloads(stack: Stack) -> int:
    """What `igny8-plugins stats` says was downloaded today."""
    stats = json.loads(stack.cli("--json", "stats", SLUG, "--days", "1").stdout)
    return int(stats["downloads"]["total"])


def file_size(size: int) -> str:
    """The card's formatFileSize, as the seed's component shows it."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def test_the_card_shows_the_bundled_plugin_and_downloads_it_counted(
    stack: Stack, cards: Origins, page: Page, tmp_path: Path
) -> None:
    latest = requests.get(f"{stack.api}/plugins/wordpress/latest/", timeout=10).json()
    before = downloads(stack)

    page.page.goto(f"{cards.allowed}/")
    page.page.wait_for_selector("#plugin-card[data-state=ready]", timeout=15_000)

    assert page.page.text_content("#plugin-name") == latest["name"]
    assert page.page.text_content("#plugin-version") == f"Version {BUNDLED_VERSION}"
    assert latest["version"] == BUNDLED_VERSION
    assert page.page.text_content("#plugin-size") == file_size(latest["file_size"])
    assert "WordPress site" in (page.page.text_content("#plugin-blurb") or "")

    with page.page.expect_download(timeout=15_000) as started:
        page.page.click("#plugin-download")
    saved = tmp_path / "plugin.zip"
    started.value.save_as(saved)

    assert started.value.suggested_filename == f"{SLUG}-v{BUNDLED_VERSION}.zip"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == latest["sha256"]
    assert downloads(stack) == before + 1
    assert page.console == []


def test_the_app_origin_still_cannot_read_admin_or_site_routes(
    stack: Stack, cards: Origins, page: Page
) -> None:
    page.page.goto(f"{cards.allowed}/")
    page.page.wait_for_selector("#plugin-card[data-state=ready]", timeout=15_000)

    outcomes = page.page.evaluate(
        """async (api) => Promise.all([`${api}/admin/plugins`, `${api}/plugins/igny8-wp-bridge/download-url/`]
            .map((url) => fetch(url).then((r) => `read ${r.status}`, () => "blocked")))""",
        stack.api,
    )

    assert outcomes == ["blocked", "blocked"]


def test_a_page_on_another_origin_cannot_read_the_api(stack: Stack, cards: Origins, page: Page) -> None:
    before = downloads(stack)

    page.page.goto(f"{cards.refused}/")
    page.page.wait_for_selector("#plugin-card[data-state=error]", timeout=15_000)
    tracked = page.page.evaluate(
        """async ([api, slug]) => {
            const token = (await (await fetch("/app/plugin-token", {method: "POST"})).json()).token;
            return fetch(`${api}/plugins/${slug}/track-download/`,
                         {method: "POST", headers: {"X-IGNY8-App-Token": token}})
                .then((r) => `read ${r.status}`, () => "blocked");
        }""",
        [stack.api, SLUG],
    )

    assert "Could not reach the plugin service" in (page.page.text_content("#plugin-error") or "")
    assert page.page.text_content("#plugin-version") == ""
    assert tracked == "blocked"
    assert any("CORS policy" in line for line in page.console), page.console
    # The refused preflight kept the download from even being sent: nothing was counted.
    assert downloads(stack) == before
