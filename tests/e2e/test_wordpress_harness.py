"""The real-WordPress harness (tests/e2e/wordpress.py) proves itself on a trivial plugin of our own.

`hello-updater` offers an update through `pre_set_site_transient_update_plugins` (the offer comes
from an option the test sets), its package a ZIP on a tiny local HTTP server. Each of WordPress'
four update paths must really replace the plugin on disk, keep it active and leave no PHP
warnings; the background path only with the site's toggle on (or `autoupdate: true`), and core's
cron only when wordpress.org answered. If these pass, a failing bridge test means the bridge."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.e2e.wordpress import (
    StaticServer,
    WordPressHarnessError,
    WordPressSite,
    serve_directory,
)

pytestmark = pytest.mark.e2e

SLUG = "hello-updater"
PLUGIN_FILE = f"{SLUG}/{SLUG}.php"

# {version} is filled in; braces PHP needs are doubled.
PLUGIN_PHP = """<?php
/**
 * Plugin Name: Hello Updater
 * Description: The harness test's plugin: offers the update the test puts in option hello_updater_offer.
 * Version: {version}
 * Requires PHP: 7.0
 */

if ( ! defined( 'ABSPATH' ) ) {{
	exit;
}}

define( 'HELLO_UPDATER_RUNNING', '{version}' );

register_activation_hook( __FILE__, function () {{
	update_option( 'hello_updater_activations', (int) get_option( 'hello_updater_activations', 0 ) + 1 );
}} );

// Which code is running, over HTTP (the server, not the CLI).
add_action( 'wp_ajax_nopriv_hello_updater_running', function () {{
	wp_send_json( array( 'running' => HELLO_UPDATER_RUNNING ) );
}} );

add_filter( 'pre_set_site_transient_update_plugins', function ( $transient ) {{
	if ( ! is_object( $transient ) ) {{
		$transient = new stdClass();
	}}
	$file  = plugin_basename( __FILE__ );
	$item  = (object) array(
		'id'             => 'hello-updater',
		'slug'           => 'hello-updater',
		'plugin'         => $file,
		'new_version'    => '',
		'url'            => '',
		'package'        => '',
		'tested'         => '6.1',
		'requires'       => '5.0',
		'requires_php'   => '7.0',
		'icons'          => array(),
		'banners'        => array(),
		'banners_rtl'    => array(),
		'upgrade_notice' => '',
	);
	// The version on disk, not HELLO_UPDATER_RUNNING: right after an update the old code is
	// still loaded and upgrader_process_complete re-checks with it.
	$installed = get_file_data( __FILE__, array( 'Version' => 'Version' ) )['Version'];
	$offer     = get_option( 'hello_updater_offer' );
	if ( is_array( $offer ) && version_compare( $offer['new_version'], $installed, '>' ) ) {{
		$item->new_version = $offer['new_version'];
		$item->package     = $offer['package'];
		if ( ! empty( $offer['autoupdate'] ) ) {{
			$item->autoupdate = true;
		}}
		$transient->response[ $file ] = $item;
		unset( $transient->no_update[ $file ] );
	}} else {{
		$item->new_version             = $installed;
		$transient->no_update[ $file ] = $item;
		unset( $transient->response[ $file ] );
	}}
	return $transient;
}} );
"""


def write_plugin(directory: Path, version: str) -> Path:
    folder = directory / f"{SLUG}-{version}-src" / SLUG
    folder.mkdir(parents=True)
    (folder / f"{SLUG}.php").write_text(PLUGIN_PHP.format(version=version))
    (folder / "readme.txt").write_text(f"=== Hello Updater ===\nStable tag: {version}\n")
    return folder


def zip_plugin(directory: Path, version: str) -> Path:
    source = write_plugin(directory, version)
    path = directory / f"{SLUG}-{version}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(source.iterdir()):
            archive.write(file, f"{SLUG}/{file.name}")
    return path


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticServer]:
    directory = tmp_path_factory.mktemp("hello-updater-packages")
    for version in ("1.0.0", "2.0.0"):
        zip_plugin(directory, version)
    with serve_directory(directory) as server:
        yield server


@pytest.fixture
def hello_site(
    wordpress_site_factory: Callable[..., WordPressSite], packages: StaticServer
) -> Callable[..., WordPressSite]:
    """A site with hello-updater 1.0.0 active and an offer of 2.0.0 in its update transient."""

    def make(*, wporg: str = "online", autoupdate: bool = False) -> WordPressSite:
        site = wordpress_site_factory(wporg=wporg, safe_ports=[packages.port])
        site.install_plugin_zip(packages.directory / f"{SLUG}-1.0.0.zip")
        site.activate(PLUGIN_FILE)
        offer = {
            "new_version": "2.0.0",
            "package": f"{packages.url}/{SLUG}-2.0.0.zip",
            "autoupdate": autoupdate,
        }
        site.set_option("hello_updater_offer", offer)
        transient = site.refresh_updates()
        assert transient["response"][PLUGIN_FILE]["new_version"] == "2.0.0"
        return site

    return make


def running_version(site: WordPressSite) -> str:
    response = requests.get(f"{site.url}/wp-admin/admin-ajax.php?action=hello_updater_running", timeout=30)
    return str(response.json()["running"])


@dataclass(frozen=True)
class Before:
    digest: str
    downloads: int


def before_update(site: WordPressSite, packages: StaticServer) -> Before:
    return Before(site.plugin_dir_digest(SLUG), packages.requests.count(f"/{SLUG}-2.0.0.zip"))


def assert_updated(site: WordPressSite, packages: StaticServer, before: Before) -> None:
    assert site.plugin_version_on_disk(PLUGIN_FILE) == "2.0.0"
    assert site.plugin_dir_digest(SLUG) != before.digest
    assert packages.requests.count(f"/{SLUG}-2.0.0.zip") == before.downloads + 1
    assert running_version(site) == "2.0.0"
    assert not (site.root / ".maintenance").exists()
    state = site.php_json(
        "array('active' => is_plugin_active($args['file']),"
        " 'offers' => (object) (get_site_transient('update_plugins')->response ?? array()),"
        " 'activations' => (int) get_option('hello_updater_activations'))",
        args={"file": PLUGIN_FILE},
    )
    # Still active, nothing left to update, and an update is not an activation: the hook ran
    # once, at install.
    assert state == {"active": True, "offers": {}, "activations": 1}
    assert site.php_problems() == []


def assert_not_updated(site: WordPressSite, packages: StaticServer, before: Before) -> None:
    assert site.plugin_version_on_disk(PLUGIN_FILE) == "1.0.0"
    assert site.plugin_dir_digest(SLUG) == before.digest
    assert site.php_problems() == []


# ---- the site itself -------------------------------------------------------------------------


def test_a_fresh_site_is_installed_served_and_quiet(wordpress_site: WordPressSite) -> None:
    site = wordpress_site
    assert site.option("siteurl") == site.url
    assert site.php_json("get_bloginfo('version')").startswith("6.")
    assert requests.get(f"{site.url}/", timeout=30).status_code == 200
    assert site.option("igny8_test_wporg") == "online"
    assert site.mails() == []  # wp_install's welcome mail is cleared

    # Options round-trip any text and structure.
    value = {"quote's": 'double " and \\ back', "list": [1, 2, 3], "unicode": "héllo ✓"}
    site.set_option("igny8_harness_probe", value)
    assert site.option("igny8_harness_probe") == value
    assert site.option("no_such_option") is None

    # PHP failures raise with what PHP said.
    with pytest.raises(WordPressHarnessError, match=r"exit 3\):[\s\S]*--- stderr\nboom from php\n"):
        site.php("fwrite(STDERR, 'boom from php'); exit(3);")

    # Mail is captured, not sent.
    assert site.php_json("wp_mail('owner@example.test', 'Subject ✓', 'Body')") is True
    (mail,) = site.mails()
    assert (mail["to"], mail["subject"], mail["message"]) == ("owner@example.test", "Subject ✓", "Body")
    assert site.php_problems() == []


def test_wordpress_org_online_and_offline(wordpress_site: WordPressSite) -> None:
    site = wordpress_site
    site.refresh_updates()
    (check,) = [r for r in site.http_log() if "/plugins/update-check/" in r.url]
    assert (check.via, check.status, check.error) == ("filter", 200, None)

    site.set_wporg("offline")
    before = len(site.http_log())
    site.refresh_updates()
    checks = [r for r in site.http_log()[before:] if "/plugins/update-check/" in r.url]
    # Core retries a failed HTTPS check over plain HTTP.
    assert [r.url.split(":", 1)[0] for r in checks] == ["https", "http"]
    assert all(r.status is None and "Could not resolve host" in (r.error or "") for r in checks)
    assert not [r for r in site.http_log() if r.via == "network"], "no request may leave 127.0.0.1"
    # Core warns about unreachable wordpress.org; php_problems() knows that noise is core's.
    assert any("WordPress.org" in line for line in site.php_problems(ignore=()))
    assert site.php_problems() == []


def test_login_and_admin_pages(hello_site: Callable[..., WordPressSite]) -> None:
    site = hello_site()
    session = site.login()
    plugins = site.admin_get(session, "plugins.php")
    assert plugins.status_code == 200
    assert "Hello Updater" in plugins.text
    assert "There is a new version of Hello Updater available." in plugins.text
    assert len(site.updates_nonce(session)) == 10
    # The "View details" modal: with no plugins_api filter, WordPress asks wordpress.org, which
    # does not know the plugin.
    modal = site.admin_get(session, f"plugin-install.php?tab=plugin-information&plugin={SLUG}")
    assert modal.status_code == 500
    assert "Plugin not found." in modal.text
    # Without a logged-in session there is no admin.
    assert requests.get(site.admin_url("plugins.php"), timeout=30, allow_redirects=False).status_code == 302


# ---- the four update paths ---------------------------------------------------------------------


def test_update_now_over_ajax(hello_site: Callable[..., WordPressSite], packages: StaticServer) -> None:
    site = hello_site()
    before = before_update(site, packages)
    answer = site.update_ajax(site.login(), PLUGIN_FILE, SLUG)
    assert answer["success"] is True, answer
    assert answer["data"]["newVersion"] == "Version 2.0.0"
    assert_updated(site, packages, before)


def test_bulk_update_from_the_updates_screen(
    hello_site: Callable[..., WordPressSite], packages: StaticServer
) -> None:
    site = hello_site()
    before = before_update(site, packages)
    page = site.update_bulk(site.login(), [PLUGIN_FILE])
    (frame,) = page.frames
    assert "action=update-selected" in frame.url
    assert "Plugin updated successfully." in frame.html
    assert_updated(site, packages, before)


def test_update_link_without_javascript(
    hello_site: Callable[..., WordPressSite], packages: StaticServer
) -> None:
    site = hello_site()
    before = before_update(site, packages)
    page = site.update_link(site.login(), PLUGIN_FILE)
    assert "Plugin updated successfully." in page.html
    assert "Plugin reactivated successfully." in page.all_html
    assert_updated(site, packages, before)


def test_update_link_deactivates_until_the_iframe_reactivates(
    hello_site: Callable[..., WordPressSite],
) -> None:
    site = hello_site()
    site.update_link(site.login(), PLUGIN_FILE, reactivate=False)
    assert site.plugin_version_on_disk(PLUGIN_FILE) == "2.0.0"
    assert not site.is_active(PLUGIN_FILE)


def test_background_update_with_the_toggle_on(
    hello_site: Callable[..., WordPressSite], packages: StaticServer
) -> None:
    site = hello_site()
    before = before_update(site, packages)
    site.enable_auto_update(PLUGIN_FILE)
    site.run_background_updates()
    assert_updated(site, packages, before)
    (mail,) = site.mails()
    assert mail["to"] == "admin@example.test"
    assert "automatically updated" in mail["subject"]
    assert "Hello Updater" in mail["message"]
    assert "2.0.0" in mail["message"]


def test_no_background_update_with_the_toggle_off(
    hello_site: Callable[..., WordPressSite], packages: StaticServer
) -> None:
    site = hello_site()
    before = before_update(site, packages)
    site.run_background_updates()
    assert_not_updated(site, packages, before)
    assert site.mails() == []


def test_autoupdate_true_installs_even_with_the_toggle_off(
    hello_site: Callable[..., WordPressSite], packages: StaticServer
) -> None:
    site = hello_site(autoupdate=True)
    before = before_update(site, packages)
    site.run_background_updates()
    assert_updated(site, packages, before)


def test_core_cron_updates_in_the_background_only_when_wordpress_org_answers(
    hello_site: Callable[..., WordPressSite], packages: StaticServer
) -> None:
    online = hello_site()
    before = before_update(online, packages)
    online.enable_auto_update(PLUGIN_FILE)
    online.run_background_updates(via_cron=True)
    assert_updated(online, packages, before)

    offline = hello_site(wporg="offline")
    before = before_update(offline, packages)
    offline.enable_auto_update(PLUGIN_FILE)
    offline.run_background_updates(via_cron=True)
    assert_not_updated(offline, packages, before)
    # ...though the updater itself works there: it is core's cron that never calls it.
    offline.run_background_updates()
    assert offline.plugin_version_on_disk(PLUGIN_FILE) == "2.0.0"


# ---- the harness's own file writes ---------------------------------------------------------------


def test_files_the_harness_writes_run_at_once(
    wordpress_site_factory: Callable[..., WordPressSite], tmp_path: Path
) -> None:
    """OPcache would serve the old code for a file rewritten within its 2 s window (and by mtime
    after): the harness resets it after every install."""
    site = wordpress_site_factory()
    site.install_plugin_dir(write_plugin(tmp_path, "1.0.0"))
    site.activate(PLUGIN_FILE)
    assert running_version(site) == "1.0.0"
    site.install_plugin_dir(write_plugin(tmp_path, "3.0.0"))
    assert running_version(site) == "3.0.0"
    site.install_plugin_zip(zip_plugin(tmp_path, "4.0.0"))
    assert running_version(site) == "4.0.0"
    assert json.loads(site.php("echo wp_json_encode(HELLO_UPDATER_RUNNING);")) == "4.0.0"
