"""A plugin that updates through plugin-update-checker (PUC) v5, pointed at `info/`, on a real
WordPress site against the local stack: the offer, the details modal, the update itself.

PUC is not in any package registry this project's machines reach (it ships through GitHub and
Composer), and third-party code is not committed here, so the test needs a PUC v5 checkout named
by IGNY8_PUC_DIR (e.g. `git clone https://github.com/YahnisElsts/plugin-update-checker`) and skips
loudly without one, in CI too.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import Stack
from tests.e2e.wordpress import WordPressSite

pytestmark = pytest.mark.e2e

SLUG = "puc-demo"
PLUGIN_FILE = f"{SLUG}/{SLUG}.php"
MAIN = """<?php
/**
 * Plugin Name: PUC Demo
 * Description: Updates through plugin-update-checker from the IGNY8 plugin service.
 * Version: 1.0.0
 * Requires at least: 5.8
 * Requires PHP: 7.4
 */

require __DIR__ . '/plugin-update-checker/plugin-update-checker.php';

$GLOBALS['puc_demo_checker'] = YahnisElsts\\PluginUpdateChecker\\v5\\PucFactory::buildUpdateChecker(
	(string) get_option( 'puc_demo_metadata_url' ),
	__FILE__,
	'puc-demo'
);
"""
README = """=== PUC Demo ===
Stable tag: 1.0.0
Tested up to: 6.6

A plugin that updates through plugin-update-checker.

== Changelog ==

= 1.0.0 =
* First release, with **PUC**.
"""


@pytest.fixture(scope="module")
def puc_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    puc = os.environ.get("IGNY8_PUC_DIR")
    if not puc or not (Path(puc) / "plugin-update-checker.php").is_file():
        pytest.skip(
            "PUC TESTS NOT RUN: set IGNY8_PUC_DIR to a plugin-update-checker v5 checkout "
            "(not available from any package registry; see this module's docstring)"
        )
    source = tmp_path_factory.mktemp("puc-source") / SLUG
    shutil.copytree(puc, source / "plugin-update-checker", ignore=shutil.ignore_patterns(".git"))
    (source / f"{SLUG}.php").write_text(MAIN)
    (source / "readme.txt").write_text(README)
    return source


def test_a_puc_plugin_pointed_at_info_is_offered_shown_and_updated(
    puc_source: Path, stack: Stack, wordpress_site_factory: Callable[..., WordPressSite]
) -> None:
    stack.cli("upload", str(puc_source), "--version", "1.0.0")
    stack.cli("release", SLUG, "1.0.0")
    ports = [urlsplit(stack.api).port, urlsplit(stack.state()["aws_endpoint_url"]).port]
    site = wordpress_site_factory(safe_ports=ports)
    package = site.base_dir / "puc-demo.zip"
    package.write_bytes(requests.get(f"{stack.api}/plugins/{SLUG}/download/", timeout=30).content)
    site.install_plugin_zip(package)
    site.set_option("puc_demo_metadata_url", f"{stack.api}/plugins/{SLUG}/info/")
    site.activate(PLUGIN_FILE)

    stack.cli("upload", str(puc_source), "--version", "1.1.0", "--changelog", "Faster, with **care**.")
    stack.cli("release", SLUG, "1.1.0")
    site.php("$GLOBALS['puc_demo_checker']->checkForUpdates();")
    offers = site.update_offers()

    assert offers[PLUGIN_FILE]["new_version"] == "1.1.0"
    assert offers[PLUGIN_FILE]["package"] == f"{stack.api}/plugins/{SLUG}/download/?version=1.1.0"
    sent = [r.url for r in site.http_log() if f"/plugins/{SLUG}/info/" in r.url]
    assert sent and "installed_version=1.0.0" in sent[-1] and "checking_for_updates=1" in sent[-1]

    session = site.login()
    modal = site.admin_get(session, "plugin-install.php", tab="plugin-information", plugin=SLUG)
    assert modal.status_code == 200
    assert "<strong>care</strong>" in modal.text and "**" not in modal.text

    answer = site.update_ajax(session, PLUGIN_FILE, SLUG)
    assert answer["success"] is True, json.dumps(answer)[:2000]
    assert site.plugin_version_on_disk(PLUGIN_FILE) == "1.1.0"
    assert site.is_active(PLUGIN_FILE)
