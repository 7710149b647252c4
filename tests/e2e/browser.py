"""Debian's Chromium through Playwright, for the tests that drive a page in a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing(why: str, what: str) -> NoReturn:
    """A tool the browser tests need is missing: a loud skip, and a failure in CI, where ``what``
    must be browser-tested."""
    if os.environ.get("CI"):
        pytest.fail(f"{why}: {what} must be browser-tested in CI")
    pytest.skip(f"{why}; {what} is not browser-tested")


@contextmanager
def chromium(what: str) -> Iterator[Any]:
    """A headless Chromium for the duration of the block (skipped, or failed in CI, without one)."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        missing("Chromium is not installed (Debian: apt-get install chromium)", what)
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        missing("playwright is not importable (pip install playwright==1.65.2)", what)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
