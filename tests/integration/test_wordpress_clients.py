"""What WordPress' update clients read, on data made by the real flow: the details modal's HTML
sections, and plugin-update-checker (PUC v5) pointed at ``info/`` and calling ``check-update/``.

The module builds one world once: ``igny8-wp-bridge`` 1.0.0 released as bundled, then 2.0.0
released from a source whose readme carries every kind of markup (and some hostile HTML), uploaded
with its own changelog as ``igny8-plugins upload --changelog`` sends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from chalice.test import Client

from tests.integration.conftest import Packager, deployed, source_zip, upload
from tests.safe_html import assert_safe

SLUG = "igny8-wp-bridge"
RELEASE_NOTES = "**Faster** sync & fewer requests. <script>alert('notes')</script>"
README = """=== IGNY8 WordPress Bridge ===
Contributors: igny8
Requires at least: 5.8
Tested up to: 6.6
Requires PHP: 7.4
Stable tag: 1.0.0
License: GPLv2 or later

Connects your WordPress site to IGNY8.

== Description ==

Links this site to **IGNY8**. See https://igny8.com/docs or [the guide](https://igny8.com/guide).
<script>alert('description')</script>
<img src=x onerror="alert('img')">

[Click me](javascript:alert('link'))

= Features =
* Updates from IGNY8
* `wp-config.php` settings

== Installation ==

1. Upload the ZIP.
2. Activate it.

== Frequently Asked Questions ==

= Where is my *API key*? =

In your IGNY8 dashboard.

== Changelog ==

= 2.0.0 =
* The readme's words on 2.0.0.

= 1.0.0 =
* First release.

== Upgrade Notice ==

= 2.0.0 =
**Re-enter** your API key after updating.
"""
# What PUC v5 adds to every metadata request (UpdateChecker::requestMetadata), and WordPress'
# User-Agent on the Debian site the issue was measured on.
PUC_QUERY = {"php": "8.2.7-1~deb12u1", "locale": "en_US", "checking_for_updates": "1"}
WORDPRESS_UA = {"User-Agent": "WordPress/6.1.1; https://blog.example.com"}


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with deployed() as (client, outputs):
        bucket = outputs["ArtifactsBucketName"]
        upload(bucket, f"sources/wordpress/{SLUG}/1.0.0/src.zip", source_zip(), status="released")
        upload(
            bucket,
            f"sources/wordpress/{SLUG}/2.0.0/src.zip",
            source_zip(replace={"readme.txt": README}),
            status="released",
            changelog=quote(RELEASE_NOTES),  # S3 metadata is ASCII: the CLI percent-encodes it
        )
        outcomes = Packager(client, outputs).run()
        assert all(o["ok"] for o in outcomes), outcomes
        yield client


def get(client: Client, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    response = client.http.get(path, headers=headers or {})
    return response.status_code, response.json_body


# the details modal ---------------------------------------------------------------------------------


def test_info_sections_are_sanitised_html(client: Client) -> None:
    status, info = get(client, f"/plugins/{SLUG}/info")

    assert status == 200
    sections = info["sections"]
    assert set(sections) == {"description", "installation", "faq", "changelog"}
    for html in sections.values():
        assert_safe(html)
        assert "<script" not in html and "**" not in html and "= " not in html, html
    description = sections["description"]
    assert "<p>Links this site to <strong>IGNY8</strong>." in description
    assert '<a href="https://igny8.com/docs" rel="nofollow noopener noreferrer">' in description
    assert '<a href="https://igny8.com/guide" rel="nofollow noopener noreferrer">the guide</a>' in description
    assert "<h4>Features</h4>" in description and "<code>wp-config.php</code>" in description
    assert "alert" not in description.replace("[Click me](javascript:alert('link'))", "")
    assert sections["installation"] == "<ol>\n<li>Upload the ZIP.</li>\n<li>Activate it.</li>\n</ol>"
    assert "<dt><h3>Where is my <em>API key</em>?</h3></dt>" in sections["faq"]


def test_the_changelog_starts_with_the_changelog_given_at_upload(client: Client) -> None:
    changelog = get(client, f"/plugins/{SLUG}/info")[1]["sections"]["changelog"]

    assert changelog == (
        "<h4>2.0.0</h4>\n<p><strong>Faster</strong> sync &amp; fewer requests. </p>\n"
        "<h4>1.0.0</h4>\n<ul>\n<li>First release.</li>\n</ul>"
    )


def test_the_upgrade_notice_is_text_without_markup(client: Client) -> None:
    status, offer = get(client, f"/plugins/{SLUG}/check-update?current_version=1.0.0")
    info = get(client, f"/plugins/{SLUG}/info")[1]

    assert status == 200
    assert offer["update"]["upgrade_notice"] == info["upgrade_notice"]
    assert info["upgrade_notice"] == "Re-enter your API key after updating."
    assert "sections" not in offer and "sections" not in offer["update"]


# plugin-update-checker -----------------------------------------------------------------------------


def test_info_is_a_puc_metadata_url(client: Client) -> None:
    """PUC's PluginInfo::fromJson refuses metadata without ``name`` and ``version``; it copies the
    rest by name, and Update takes ``slug``, ``version``, ``download_url`` from the same answer."""
    query = urlencode({"installed_version": "1.0.0", **PUC_QUERY})
    status, info = get(client, f"/plugins/{SLUG}/info/?{query}", WORDPRESS_UA)

    assert status == 200
    assert info["name"] and info["version"] == "2.0.0" and info["slug"] == SLUG
    assert info["download_url"].endswith(f"/plugins/{SLUG}/download/?version=2.0.0")
    assert isinstance(info["sections"], dict) and info["sections"]["description"].startswith("<p>")
    for field in ("homepage", "author", "author_homepage", "requires", "tested", "requires_php"):
        assert field in info, field
    assert info["last_updated"].endswith(" GMT") and info["upgrade_notice"]
    assert info["banners"] == {} and info["icons"] == {}
    # The same answer as without PUC's parameters: they change nothing, so caches can share it.
    assert info == get(client, f"/plugins/{SLUG}/info/")[1]


@pytest.mark.parametrize(
    "query",
    [
        {"installed_version": "1.0.0"},
        {"installed_version": "1.0.0", **PUC_QUERY},
        {"installed_version": "1.0.0", "current_version": "1.0.0", **PUC_QUERY},
        {"installed_version": "1.0.0", **PUC_QUERY, "php": "eight", "wp": "6.1.1", "unknown": "x"},
    ],
)
def test_check_update_takes_pucs_installed_version(client: Client, query: dict[str, str]) -> None:
    status, offer = get(client, f"/plugins/{SLUG}/check-update/?{urlencode(query)}", WORDPRESS_UA)

    assert status == 200, offer
    assert (offer["current_version"], offer["update_available"], offer["latest_version"]) == (
        "1.0.0",
        True,
        "2.0.0",
    )


@pytest.mark.parametrize(
    "user_agent", ["WordPress/6.1.1-beta2~deb; https://x.test", "WordPress/trunk", "WordPress/6..1; ;;"]
)
def test_an_odd_wordpress_user_agent_never_refuses_a_site(client: Client, user_agent: str) -> None:
    status, offer = get(
        client, f"/plugins/{SLUG}/check-update?installed_version=1.0.0", {"User-Agent": user_agent}
    )

    assert (status, offer["latest_version"]) == (200, "2.0.0")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"current_version": "1.0.0", "installed_version": "2.0.0"}, "conflicting_parameters"),
        ({"installed_version": "banana"}, "invalid_version"),
        ({"installed_version": ""}, "missing_parameter"),
        ({"installed_version": "1.0.0", "php_version": "eight"}, "invalid_php_version"),
    ],
)
def test_bad_versions_are_a_400_json_error(client: Client, query: dict[str, str], code: str) -> None:
    status, body = get(client, f"/plugins/{SLUG}/check-update?{urlencode(query)}")

    assert status == 400, body
    assert body == {"error": {"code": code, "message": body["error"]["message"]}}
    assert body["error"]["message"]


def test_info_for_one_site_follows_its_rollout_bucket_and_is_private_to_it(client: Client) -> None:
    anonymous = client.http.get(f"/plugins/{SLUG}/info")
    mine = client.http.get(f"/plugins/{SLUG}/info", headers={"X-IGNY8-Site-ID": "site-1"})
    malformed = client.http.get(f"/plugins/{SLUG}/info", headers={"X-IGNY8-Site-ID": "../etc"})

    assert anonymous.headers["Cache-Control"].startswith("public")
    assert (mine.status_code, mine.headers["Cache-Control"].split(",")[0]) == (200, "private")
    assert (malformed.status_code, malformed.json_body["error"]["code"]) == (400, "invalid_site_id")
