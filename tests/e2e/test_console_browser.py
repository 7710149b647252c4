"""The console in Chromium, on one local stack as `make run` starts it, each person in their own
browser context, selecting what a person reads (roles and accessible names, console_contract):

- a releaser uploads the bundled plugin as a ZIP and as a folder, watches the packager's verdict,
  releases at 10 %, raises the rollout, pushes and deprecates; an admin forces, pulls and rolls
  back (the version typed back); the audit page names each person; a refused upload shows the
  packager's reason; a releaser adds a plugin, a taken slug is refused;
- an admin creates, rotates and revokes a site, each key shown once and copied with the button;
- a viewer sees every page without a single action, and the API refuses what the viewer's own
  page could forge (with the session's CSRF token), changing nothing; signing out ends it;
- every page, a dialog and a new site's key pass axe-core with no serious or critical violation;
  a dialog cancelled (button or Escape) sends nothing.

What the page says is checked against the admin API (the CLI's credentials) and what WordPress
sites are answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e import console_browser
from tests.e2e.axe import assert_accessible, axe  # noqa: F401 (a fixture)
from tests.e2e.conftest import BRIDGE, SLUG, Stack
from tests.e2e.console_browser import (
    AdminApi,
    Console,
    audit_rows,
    axe_console,
    bridge_zip,
    browser,  # noqa: F401 (a fixture)
    check_update,
    offered,
    package_files,
    person,
    site_status,
)

pytestmark = pytest.mark.e2e

#: The stack's people (a releaser, a viewer, its first admin) and the releaser's console: fixtures.
people, rita = console_browser.people, console_browser.rita

PLUGIN = "IGNY8 WordPress Bridge"
SITE = "Throwaway shop"
#: Every action button's name starts with one of these (console_contract.md).
ACTIONS = re.compile(r"^(Release|Set rollout of|Resume|Push|Force|Deprecate|Pull|Roll back to) ")
SITE_ACTIONS = re.compile(r"^(Create site$|Rotate key of |Revoke )")


@pytest.fixture
def admin(browser: Any, stack: Stack, people: dict[str, str]) -> Iterator[Console]:  # noqa: F811
    """The first admin, allowed to use the clipboard (a site key's copy button writes to it)."""
    console = person(
        browser, stack, "admin", people["admin"], permissions=["clipboard-read", "clipboard-write"]
    )
    yield console
    console.context.close()


def test_a_releaser_uploads_and_releases_an_admin_pulls_and_rolls_back(
    stack: Stack, rita: Console, admin: Console, tmp_path: Path
) -> None:
    api = AdminApi(stack)
    rita.open(f"plugins/{SLUG}", PLUGIN)
    archive = tmp_path / "bridge.zip"
    archive.write_bytes(bridge_zip())
    rita.uploaded(api, "ZIP file", archive, "1.1.0")
    rita.page.locator("#upload-verdict").scroll_into_view_if_needed()
    rita.screenshot("upload-verdict")

    effect = rita.act("Release 1.1.0", percent=10)
    assert effect == "Offer 1.1.0 to 10 % of sites on stable.", effect
    rita.outcome("Released 1.1.0 to 10 % of sites on stable.")
    released = api.version("1.1.0")
    assert (released["status"], released["rollout_percent"]) == ("released", 10)
    expect(rita.row("1.1.0")).to_contain_text("10 %")

    effect = rita.act("Set rollout of 1.1.0", percent=50)
    assert "Offer 1.1.0 to 50 %" in effect, effect
    rita.outcome("1.1.0 is now offered to 50 % of sites on stable.")
    assert api.version("1.1.0")["rollout_percent"] == 50
    expect(rita.row("1.1.0")).to_contain_text("50 %")
    for admins_only in ("Pull 1.1.0", "Roll back to 1.0.0", "Force 1.1.0"):
        expect(rita.page.get_by_role("button", name=admins_only)).to_have_count(0)

    rita.uploaded(api, "Folder", BRIDGE, "1.2.0")
    rita.act("Release 1.2.0", percent=100)
    rita.outcome("Released 1.2.0 to 100 % of sites on stable.")
    assert offered(stack, "1.1.0") == "1.2.0"
    # The folder, zipped in the browser, reached the packager whole: its package holds the same
    # files as the ZIP's, byte for byte but for the version each was stamped with.
    from_zip, from_folder = package_files(stack, "1.1.0"), package_files(stack, "1.2.0")
    assert sorted(from_folder) == sorted(from_zip)
    for name, data in from_folder.items():
        assert data.replace(b"1.2.0", b"1.1.0") == from_zip[name], name
    effect = rita.act("Push 1.2.0")
    assert "update ready" in effect, effect
    rita.outcome(re.compile(r"^Pushed 1\.2\.0: \d+ sites notified\.$"))
    assert api.version("1.2.0")["status"] == "update_ready"

    admin.open(f"plugins/{SLUG}", PLUGIN)
    admin.screenshot("plugin")
    effect = admin.act("Force 1.2.0")
    assert "without asking" in effect, effect
    admin.outcome(re.compile(r"^Forced 1\.2\.0: \d+ sites notified\.$"))
    assert check_update(stack, "1.1.0")["force_update"] is True
    effect = admin.act("Pull 1.2.0", typed="1.2.0", screenshot="pull-dialog")
    assert "1.2.0" in effect, effect
    admin.outcome("Pulled 1.2.0.")
    assert api.version("1.2.0")["status"] == "pulled"
    assert offered(stack, "1.1.0") is None  # no site is offered a pulled version

    effect = admin.act("Roll back to 1.0.0", typed="1.0.0")
    assert "1.0.0" in effect and "pull 1.1.0" in effect, effect
    said = admin.outcome(
        re.compile(r"^Rolling back: the code of 1\.0\.0 is being republished as \S+; pulled 1\.1\.0\.$")
    )
    republished = api.republished("1.0.0")
    assert f"republished as {republished};" in said
    assert api.version("1.1.0")["status"] == "pulled"
    admin.open(f"plugins/{SLUG}", PLUGIN)
    expect(admin.row(republished)).to_contain_text("released")
    rita.open(f"plugins/{SLUG}", PLUGIN)
    effect = rita.act("Deprecate 1.0.0")
    assert effect.startswith("Stop offering 1.0.0"), effect
    rita.outcome("Deprecated 1.0.0.")
    assert api.version("1.0.0")["status"] == "deprecated"

    admin.open(f"audit/{SLUG}", "Audit trail")
    trail = audit_rows(admin)
    admin.screenshot("audit")
    for step in (
        ("packager for rita", "register", "1.1.0"),
        ("rita", "release", "1.1.0"),
        ("rita", "configure", "1.1.0"),
        ("packager for rita", "register", "1.2.0"),
        ("rita", "release", "1.2.0"),
        ("rita", "push-update", "1.2.0"),
        ("admin", "push-update", "1.2.0"),  # the force
        ("admin", "pull", "1.2.0"),
        ("admin", "pull", "1.1.0"),
        ("admin", "rollback", republished),
        ("rita", "deprecate", "1.0.0"),
    ):
        assert step in trail, (step, trail)
    admin.open("plugins", "Plugins")
    expect(admin.page.get_by_role("row", name=re.compile(PLUGIN))).to_contain_text(f"{republished} (stable)")
    admin.screenshot("plugins")
    assert admin.errors == [] and rita.errors == []


@pytest.mark.parametrize(
    ("extra", "skip_header", "version", "reason"),
    [
        ({f"{SLUG}/../evil.php": b"<?php"}, False, "9.9.1", "has an empty, '.' or '..' segment"),
        ({}, True, "9.9.2", "no top-level .php file has a 'Plugin Name:' header"),
    ],
    ids=["path-traversal", "no-plugin-header"],
)
def test_a_refused_upload_shows_the_packagers_reason(
    stack: Stack,
    rita: Console,
    tmp_path: Path,
    extra: dict[str, bytes],
    skip_header: bool,
    version: str,
    reason: str,
) -> None:
    api = AdminApi(stack)
    before = api.get(f"plugins/{SLUG}")["versions"]
    rita.open(f"plugins/{SLUG}", PLUGIN)
    archive = tmp_path / "refused.zip"
    archive.write_bytes(bridge_zip(extra=extra, skip_header=skip_header))
    verdict = rita.upload("ZIP file", archive, version)
    expect(verdict).to_have_attribute("data-verdict", "refused")
    assert verdict.inner_text().startswith("Refused: ") and reason in verdict.inner_text()
    after = api.get(f"plugins/{SLUG}")["versions"]
    assert [v for v in after if v["status"] != "failed"] == [v for v in before if v["status"] != "failed"]
    expect(rita.page.get_by_role("button", name=f"Release {version}")).to_have_count(0)


def test_a_releaser_adds_a_plugin_and_a_taken_or_malformed_slug_is_refused(
    stack: Stack, rita: Console
) -> None:
    api = AdminApi(stack)
    page = rita.page
    rita.open("plugins", "Plugins")
    rita.fill_and_press({"Plugin name": "Shop widget", "Plugin slug": "shop-widget"}, "Add plugin")
    rita.outcome("Added the plugin Shop widget (shop-widget): upload its first version on its page.")
    expect(page.get_by_role("heading", level=2, name="Shop widget")).to_be_visible()
    expect(page.get_by_text("No versions yet: upload one.")).to_be_visible()
    before = api.get("plugins")

    rita.open("plugins", "Plugins")
    rita.fill_and_press({"Plugin name": "Another widget", "Plugin slug": "shop-widget"}, "Add plugin")
    refusal = rita.outcome(re.compile(r"^Refused: .*shop-widget"), kind="error")
    rita.fill_and_press({"Plugin slug": "Shop Widget!"}, "Add plugin")  # the browser's check stops it
    assert page.get_by_label("Plugin slug").evaluate("input => input.validity.patternMismatch")
    expect(page.locator("#live")).to_have_text(refusal)  # nothing new was sent
    assert api.get("plugins") == before
    assert [p["name"] for p in before["plugins"] if p["slug"] == "shop-widget"] == ["Shop widget"]


def test_an_admin_creates_rotates_and_revokes_a_site_seeing_each_key_once(
    stack: Stack, admin: Console
) -> None:
    page = admin.page
    admin.open("sites", "Sites")
    admin.fill_and_press({"Name": SITE, "URL": "https://shop.example"}, "Create site")
    admin.outcome(f"Created the site {SITE}. Copy its key now: it will not be shown again.")
    key = admin.shown_key()
    row = page.locator("tr[data-site-id]", has_text=SITE)
    expect(row).to_contain_text("https://shop.example")
    site_id = str(row.get_attribute("data-site-id"))
    assert site_status(stack, site_id, key) == 200
    admin.screenshot("sites-new-key")  # a throwaway site: its keys are revoked below

    admin.open("plugins", "Plugins")
    admin.open("sites", "Sites")
    expect(page.locator("#new-key")).to_be_hidden()
    assert key not in page.content()  # shown once: gone from the page once the person moved on

    effect = admin.act(f"Rotate key of {SITE}")
    assert SITE in effect, effect
    admin.outcome(re.compile(f"^New key made for {SITE}"))
    rotated = admin.shown_key()
    assert rotated != key and site_status(stack, site_id, rotated) == 200

    effect = admin.act(f"Revoke {SITE}")
    assert SITE in effect, effect
    admin.outcome(f"Revoked {SITE}.")
    expect(row).to_contain_text("revoked")
    assert site_status(stack, site_id, rotated) == 401 and site_status(stack, site_id, key) == 401

    admin.open("audit", "Audit trail")
    page.get_by_role("combobox", name="Plugin").select_option(label="Sites")
    expect(page.get_by_role("table", name="Audit trail")).to_contain_text("revoke-site")
    trail = [(who, action) for who, action, _ in audit_rows(admin)]
    for action in ("create-site", "rotate-site-key", "revoke-site"):
        assert ("admin", action) in trail, (action, trail)
    expect(page.get_by_role("table", name="Audit trail")).to_contain_text(f"{SITE} (https://shop.example)")
    assert admin.errors == []


def test_a_viewer_sees_everything_and_can_change_nothing(
    stack: Stack,
    browser: Any,  # noqa: F811
    people: dict[str, str],
) -> None:
    api = AdminApi(stack)
    api.post("sites", {"name": "Viewer's neighbour", "url": "https://neighbour.example"})
    vera = person(browser, stack, "vera", people["vera"])
    page = vera.page
    vera.open(f"plugins/{SLUG}", PLUGIN)
    expect(vera.row("1.0.0")).to_be_visible()
    expect(page.get_by_role("button", name=ACTIONS)).to_have_count(0)
    expect(page.locator("#upload")).to_be_hidden()
    vera.open("sites", "Sites")
    expect(page.locator("tr[data-site-id]", has_text="Viewer's neighbour")).to_be_visible()
    expect(page.get_by_role("button", name=SITE_ACTIONS)).to_have_count(0)
    vera.open(f"audit/{SLUG}", "Audit trail")
    assert audit_rows(vera)

    # What a script in the viewer's own page could send, with the session's CSRF token.
    before = api.snapshot()
    for method, path, body in (
        ("POST", "sites", {"name": "Forged", "url": "https://forged.example"}),
        ("POST", f"plugins/{SLUG}/versions/1.0.0/pull", {}),
        ("POST", f"plugins/{SLUG}/versions/1.0.0/deprecate", {}),
        ("PATCH", f"plugins/{SLUG}/versions/1.0.0", {"rollout_percent": 5}),
        ("POST", f"plugins/{SLUG}/rollback", {"to": "1.0.0"}),
        ("POST", f"plugins/{SLUG}/versions/1.5.0/upload", {"changelog": "forged"}),
        ("POST", f"plugins/{SLUG}/versions", {"version": "1.5.0"}),
        ("POST", "accounts", {"username": "mallory", "role": "admin"}),
    ):
        status, answer = vera.send_from_page(method, path, body)
        assert (status, answer["error"]["code"]) == (403, "forbidden_role"), (path, answer)
    assert api.snapshot() == before
    assert vera.errors == []

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    again = page.goto(vera.url)
    assert again is not None and again.status == 401  # the session ended with the sign-out
    vera.context.close()


def test_every_console_page_passes_axe_without_serious_or_critical_violations(
    stack: Stack,
    browser: Any,  # noqa: F811
    people: dict[str, str],
    axe: Path,  # noqa: F811
) -> None:
    console = axe_console(browser, stack)
    console.page.goto(console.url)
    assert_accessible(console.page, axe, "the sign-in page")
    console.sign_in("admin", people["admin"])
    page = console.page
    for view, heading, loaded in (
        ("plugins", "Plugins", page.get_by_role("link", name=PLUGIN)),
        (f"plugins/{SLUG}", PLUGIN, page.locator('#chart-adoption[data-rendered="true"]')),
        ("sites", "Sites", page.locator("#new-site")),
        (f"audit/{SLUG}", "Audit trail", page.locator("#audit tbody tr").first),
    ):
        console.open(view, heading)
        expect(loaded).to_be_attached()  # what the view reads has arrived
        assert_accessible(page, axe, f"#/{view}")

    console.open("sites", "Sites")
    console.fill_and_press({"Name": "Accessibility check", "URL": "https://a11y.example"}, "Create site")
    expect(page.locator("#new-key")).to_be_visible()
    assert_accessible(page, axe, "a new site's key, shown once")

    console.open(f"plugins/{SLUG}", PLUGIN)
    before = AdminApi(stack).snapshot()
    page.get_by_role("button", name="Pull 1.0.0").click()
    expect(console.dialog()).to_be_visible()
    assert_accessible(page, axe, "the confirmation dialog")
    console.dialog().get_by_role("button", name="Cancel").click()
    expect(console.dialog()).to_be_hidden()
    page.get_by_role("button", name="Pull 1.0.0").click()
    expect(console.dialog()).to_be_visible()
    page.keyboard.press("Escape")
    expect(console.dialog()).to_be_hidden()
    assert AdminApi(stack).snapshot() == before  # a dialog cancelled either way sends nothing
    console.context.close()
