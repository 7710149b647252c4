"""The console as a person drives it in Chromium, for the browser test modules: accounts made
through the admin API, one browser context per person, the pages reached and acted on by the
accessible names a person reads (console_contract: buttons, headings, dialog, live region).

Screenshots for the README are written to docs/screenshots/ only when IGNY8_SCREENSHOTS=1, so
an ordinary test run leaves the tree clean.
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.e2e.browser import chromium
from tests.e2e.conftest import BRIDGE, ROOT, SLUG, Stack

SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
#: The packager's verdict can take a poll or two of the queue on a busy machine.
VERDICT_MS = 60_000
#: An action's answer, or a view's first read, on a machine busy with other tests.
ACTION_MS = 20_000
#: The field of a dialog that asks for the version typed back.
_TYPED = re.compile(r"^Type .+ to confirm$")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium("the console") as started:
        yield started


class AdminApi:
    """The admin API with the local stack's admin token (the CLI's credentials): how the tests set
    up accounts and read what really changed, independently of what the page says."""

    def __init__(self, stack: Stack) -> None:
        self.base = f"{stack.api}/admin"
        token = Path(stack.state()["admin_token_file"]).read_text().strip()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> Any:
        answer = self.http.get(f"{self.base}/{path}", timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.http.post(f"{self.base}/{path}", json=body, timeout=30)
        assert answer.status_code in (200, 201, 202), answer.text
        return answer.json()

    def create_account(self, username: str, role: str) -> str:
        """A console account in ``role``; its password (shown once by the API)."""
        return str(self.post("accounts", {"username": username, "role": role})["password"])

    def version(self, version: str) -> dict[str, Any]:
        versions = self.get(f"plugins/{SLUG}")["versions"]
        return dict(next(v for v in versions if v["version"] == version))

    def republished(self, good: str) -> str:
        """The version a rollback to ``good`` republished, once the packager has released it."""

        def released() -> str | None:
            versions = self.get(f"plugins/{SLUG}")["versions"]
            return next(
                (v["version"] for v in versions if v["rollback_of"] == good and v["status"] == "released"),
                None,
            )

        return str(eventually(released, f"the rollback to {good}"))

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused change might have touched."""
        return tuple(
            self.get(path) for path in (f"plugins/{SLUG}", "sites", f"plugins/{SLUG}/audit", "plugins")
        )


def first_admin(stack: Stack) -> tuple[str, str]:
    """The account the stack created and printed: name and password (kept in its state dir)."""
    return "admin", (stack.state_dir / "console-admin-password").read_text().strip()


@pytest.fixture(scope="module")
def people(stack: Stack) -> dict[str, str]:
    """A releaser (rita) and a viewer (vera) made through the admin API, beside the stack's first
    admin: each module's own stack."""
    api = AdminApi(stack)
    name, password = first_admin(stack)
    return {
        "rita": api.create_account("rita", "releaser"),
        "vera": api.create_account("vera", "viewer"),
        name: password,
    }


@pytest.fixture(scope="module")
def rita(browser: Browser, stack: Stack, people: dict[str, str]) -> Iterator[Console]:
    """The releaser, signed in once per module."""
    console = person(browser, stack, "rita", people["rita"])
    yield console
    console.context.close()


class Console:
    """One person's console in its own browser context (cookies, clipboard)."""

    def __init__(self, stack: Stack, context: BrowserContext) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.url = f"{stack.api}/admin/console/dashboard"
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def sign_in(self, username: str, password: str) -> Console:
        page = self.page
        first = page.goto(self.url)
        assert first is not None and first.status == 401  # the sign-in form
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#whoami")).to_contain_text(f"Signed in as {username}")
        return self

    def open(self, view: str, heading: str) -> None:
        """Go to ``#/view`` and wait for its one h2."""
        target = f"{self.url}#/{view}"
        if self.page.url == target:
            self.page.reload()  # the same address: a fresh read, as a person's reload
        else:
            self.page.goto(target)
        expect(self.page.get_by_role("heading", level=2, name=heading)).to_be_visible(timeout=ACTION_MS)

    def fill_and_press(self, fields: dict[str, str], button: str) -> None:
        """Fill each field (by its exact label) and press the button: a form, as a person sends it."""
        for label, value in fields.items():
            self.page.get_by_label(label, exact=True).fill(value)
        self.page.get_by_role("button", name=button, exact=True).click()

    def row(self, version: str) -> Locator:
        return self.page.locator(f'tr[data-version="{version}"]')

    def dialog(self) -> Locator:
        return self.page.get_by_role("dialog")

    def act(
        self, button: str, *, percent: int | None = None, typed: str | None = None, screenshot: str = ""
    ) -> str:
        """Press ``button``, fill the confirmation, confirm; the dialog's stated effect (and the
        dialog's screenshot, filled in, when ``screenshot`` names one)."""
        self.page.get_by_role("button", name=button, exact=True).click()
        dialog = self.dialog()
        expect(dialog).to_be_visible()
        # The dialog asks only for what this action takes.
        if percent is None:
            expect(dialog.get_by_label("Rollout percent")).to_be_hidden()
        else:
            dialog.get_by_label("Rollout percent").fill(str(percent))
        if typed is None:
            expect(dialog.get_by_label(_TYPED)).to_be_hidden()
        else:
            self.type_back(typed)
        effect = dialog.locator("#confirm-effect").inner_text()
        if screenshot:
            self.screenshot(screenshot)
        dialog.get_by_role("button", name="Confirm").click()
        expect(dialog).to_be_hidden()
        return effect

    def type_back(self, version: str) -> None:
        """Type the version back; Confirm stays disabled until it matches exactly."""
        dialog = self.dialog()
        confirm = dialog.get_by_role("button", name="Confirm")
        typed = dialog.get_by_label(_TYPED)
        expect(confirm).to_be_disabled()
        typed.fill(version + "x")
        expect(confirm).to_be_disabled()
        typed.fill(version)
        expect(confirm).to_be_enabled()

    def outcome(self, expected: str | re.Pattern[str], kind: str = "ok") -> str:
        """The live region's text once it says ``expected`` (an action says "Working…" first)."""
        live = self.page.locator("#live")
        expect(live).to_have_text(expected, timeout=ACTION_MS)
        expect(live).to_have_attribute("data-kind", kind)
        return live.inner_text()

    def upload(self, field: str, files: Path, version: str) -> Locator:
        """Upload a ZIP ("ZIP file") or a folder ("Folder") as ``version``; the verdict element,
        once it has one."""
        page = self.page
        page.get_by_label(field).set_input_files(files)
        page.get_by_label("Version", exact=True).fill(version)
        page.get_by_label("Changelog").fill(f"Uploaded from the browser ({field})")
        # The verdict element keeps the last upload's verdict until this one has its own.
        page.locator("#upload-verdict").evaluate("verdict => verdict.removeAttribute('data-verdict')")
        page.get_by_role("button", name="Upload", exact=True).click()
        verdict = page.locator("#upload-verdict[data-verdict]")
        expect(verdict).to_be_visible(timeout=VERDICT_MS)
        return verdict

    def uploaded(self, api: AdminApi, field: str, files: Path, version: str) -> None:
        """An upload the packager accepts: the bar full, the verdict naming what the API recorded."""
        verdict = self.upload(field, files, version)
        expect(verdict).to_have_attribute("data-verdict", "packaged")
        packaged = api.version(version)
        assert packaged["status"] == "draft"
        text = verdict.inner_text()
        assert text.startswith(f"Packaged {version}:"), text
        for shown in (f"{packaged['file_size']} bytes", packaged["sha256"], packaged["signature_key_id"]):
            assert shown in text, (shown, text)
        assert self.page.get_by_label("Upload progress").evaluate("bar => bar.value") == 100
        expect(self.row(version)).to_contain_text("draft")

    def shown_key(self) -> str:
        """A site key shown once: copied with its button, the clipboard holds exactly what is shown."""
        section = self.page.locator("#new-key")
        expect(section).to_contain_text("This key will not be shown again.")
        key = self.page.locator("#new-key-value").inner_text().strip()
        section.get_by_role("button", name="Copy key").click()
        assert self.page.evaluate("() => navigator.clipboard.readText()") == key
        return key

    def send_from_page(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """What a script in this page could send: a change to the console's API with the
        session's cookies and the page's CSRF token; the status and JSON answer."""
        status, answer = self.page.evaluate(
            """async ([method, path, body]) => {
                const csrf = document.querySelector('meta[name="csrf-token"]').content;
                const answer = await fetch(path, {
                    method: method, body: JSON.stringify(body),
                    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                });
                return [answer.status, await answer.json()];
            }""",
            [method, path, body],
        )
        return int(status), answer

    def screenshot(self, name: str) -> None:
        """docs/screenshots/<name>.png (the viewport), when IGNY8_SCREENSHOTS=1."""
        if os.environ.get("IGNY8_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def audit_rows(console: Console) -> list[tuple[str, str, str]]:
    """(person, action, version) of each row of the audit table, newest first."""
    table = console.page.get_by_role("table", name="Audit trail")
    expect(table.locator("tbody tr").first).to_be_visible()
    cells: list[list[str]] = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.innerText.trim()))"
    )
    return [(row[1], row[2], row[3]) for row in cells]


def axe_console(browser: Browser, stack: Stack) -> Console:
    """A console whose context bypasses the CSP, for axe alone: axe is injected as an inline
    <script>, which the console's nonce CSP rightly refuses; every other context runs the pages
    under it."""
    return Console(stack, browser.new_context(viewport=VIEWPORT, bypass_csp=True))


def person(browser: Browser, stack: Stack, username: str, password: str, **options: Any) -> Console:
    """A new browser context (1280x800), signed in as ``username``."""
    context = browser.new_context(viewport=VIEWPORT, **options)
    return Console(stack, context).sign_in(username, password)


def check_update(stack: Stack, current: str) -> dict[str, Any]:
    """What an anonymous WordPress site on ``current`` is answered when it checks for updates."""
    answer = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/", params={"current_version": current}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def offered(stack: Stack, current: str) -> str | None:
    """The version a site on ``current`` is offered now, if any."""
    offer = check_update(stack, current)
    return str(offer["update"]["new_version"]) if offer["update_available"] else None


def package_files(stack: Stack, version: str) -> dict[str, bytes]:
    """The files of the package WordPress sites download for ``version``, by name."""
    answer = requests.get(f"{stack.api}/plugins/{SLUG}/download/", params={"version": version}, timeout=30)
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as package:
        return {name: package.read(name) for name in package.namelist()}


def site_status(stack: Stack, site_id: str, key: str) -> int:
    """The status a WordPress site's update check gets with this id and key."""
    return requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/",
        params={"current_version": "1.0.0"},
        headers={"X-IGNY8-Site-ID": site_id, "X-IGNY8-API-Key": key},
        timeout=30,
    ).status_code


def eventually(probe: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    """``probe()``'s first answer other than None (the packager works in the background)."""
    deadline = time.monotonic() + seconds
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.3)
    return found


def bridge_zip(
    folder: str = SLUG, *, extra: dict[str, bytes] | None = None, skip_header: bool = False
) -> bytes:
    """The bundled plugin's source as a ZIP under ``folder``, with ``extra`` entries added (names as
    given, e.g. a path traversal) and, with ``skip_header``, its main file's plugin header gone."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(BRIDGE.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if skip_header and path.name == f"{SLUG}.php":
                    data = re.sub(rb"/\*\*.*?\*/", b"", data, count=1, flags=re.DOTALL)
                archive.writestr(f"{folder}/{path.relative_to(BRIDGE).as_posix()}", data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()
