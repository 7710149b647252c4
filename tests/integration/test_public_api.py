"""What WordPress sites see: check-update, info, download and latest, on data made by the real flow.

Every test here only reads, so the module builds one world once (template deployed into moto,
versions uploaded, packaged by the queue consumer and released through the admin route):

* ``igny8-wp-bridge``: 1.1.0, 1.10.0 and 1.9.0 released (in that order), 1.11.0 a draft;
* ``igny8-draft-only``: 1.0.0 a draft, never released.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from chalice.test import Client

from chalicelib.settings import get_settings
from tests.integration.conftest import BRIDGE, Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
DRAFT_ONLY = "igny8-draft-only"
BASE = "https://plugins.test/api"
README = (BRIDGE / "readme.txt").read_text(encoding="utf-8")


def readme_with(version: str, change: str, notice: str) -> str:
    """The bridge's readme.txt with a changelog entry and an upgrade notice for ``version``."""
    text = README.replace("== Changelog ==\n", f"== Changelog ==\n\n= {version} =\n* {change}\n", 1)
    return text.replace("== Upgrade Notice ==\n", f"== Upgrade Notice ==\n\n= {version} =\n{notice}\n", 1)


def upload_version(
    bucket: str, version: str, slug: str = SLUG, replace: dict[str, str] | None = None
) -> None:
    upload(
        bucket, f"sources/wordpress/{slug}/{version}/x.zip", source_zip(top=f"{slug}-main", replace=replace)
    )


def release(client: Client, slug: str, version: str) -> None:
    response = client.http.post(f"/admin/plugins/{slug}/versions/{version}/release", headers=admin_headers())
    assert response.status_code == 200, response.body


@dataclass(frozen=True)
class World:
    client: Client
    bucket: str
    s3: Any

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        response = self.client.http.get(path)
        return response.status_code, response.json_body

    def package(self, version: str, slug: str = SLUG) -> bytes:
        key = f"packages/wordpress/{slug}/{slug}-v{version}.zip"
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def admin_versions(self, slug: str = SLUG) -> dict[str, dict[str, Any]]:
        response = self.client.http.get(f"/admin/plugins/{slug}", headers=admin_headers())
        assert response.status_code == 200, response.body
        return {v["version"]: v for v in response.json_body["versions"]}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with deployed() as (client, outputs):
        bucket = outputs["ArtifactsBucketName"]
        upload_version(bucket, "1.1.0")
        upload_version(
            bucket,
            "1.10.0",
            replace={
                "readme.txt": readme_with("1.10.0", "Faster sync.", "Re-enter your API key after updating.")
            },
        )
        upload_version(bucket, "1.9.0")
        upload_version(bucket, "1.11.0")
        upload_version(bucket, "1.0.0", slug=DRAFT_ONLY)
        outcomes = Packager(client, outputs).run()
        assert len(outcomes) == 6 and all(o["ok"] for o in outcomes), outcomes
        # Released out of order: the newest release is not the highest version.
        for version in ("1.1.0", "1.10.0", "1.9.0"):
            release(client, SLUG, version)
        yield World(client, bucket, boto3.client("s3", region_name="us-east-1"))


def assert_error(status: int, body: dict[str, Any], expected_status: int, code: str | None = None) -> None:
    assert status == expected_status, body
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    if code is not None:
        assert body["error"]["code"] == code, body


def download_link(version: str, slug: str = SLUG) -> str:
    return f"{BASE}/plugins/{slug}/download/?version={version}"


# check-update ---------------------------------------------------------------------------------


def test_check_update_offers_the_highest_release_with_every_field_wordpress_uses(world: World) -> None:
    status, offer = world.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0")

    assert status == 200
    assert offer["update_available"] is True
    # PHP's version_compare: 1.10.0 > 1.9.0, though 1.9.0 was released last; the draft 1.11.0 is not offered.
    assert offer["latest_version"] == "1.10.0"
    assert offer["download_url"] == download_link("1.10.0")
    assert offer["info_url"] == f"{BASE}/plugins/{SLUG}/info/"
    assert "Faster sync." in offer["changelog"]
    assert offer["force_update"] is False
    data = world.package("1.10.0")
    assert offer["sha256"] == offer["checksum"] == hashlib.sha256(data).hexdigest()
    assert offer["file_size"] == len(data)
    assert (offer["requires"], offer["tested"], offer["requires_php"]) == ("5.8", "6.6", "7.4")
    assert offer["released_at"] == world.admin_versions()["1.10.0"]["released_at"]
    assert offer["released_at"].endswith("Z")

    item = offer["update"]
    assert item["slug"] == SLUG
    assert item["plugin"] == f"{SLUG}/{SLUG}.php"
    assert item["new_version"] == "1.10.0"
    assert item["package"] == download_link("1.10.0")
    assert item["url"] == "https://igny8.com"
    assert (item["requires"], item["tested"], item["requires_php"]) == ("5.8", "6.6", "7.4")
    assert item["icons"] == {} and item["banners"] == {}
    assert item["upgrade_notice"] == "Re-enter your API key after updating."
    assert item["autoupdate"] is False


def test_a_site_between_releases_is_offered_the_highest_not_the_newest_release(world: World) -> None:
    status, offer = world.get(f"/plugins/{SLUG}/check-update?current_version=1.9.0")

    assert status == 200
    assert (offer["update_available"], offer["latest_version"]) == (True, "1.10.0")
    assert offer["update"]["new_version"] == "1.10.0"
    assert offer["sha256"] == hashlib.sha256(world.package("1.10.0")).hexdigest()


@pytest.mark.parametrize(
    ("current", "reason"),
    [("1.10.0", "up_to_date"), ("1.11.0", "up_to_date"), ("2.0.0-beta1", "unknown_version")],
)
def test_check_update_when_up_to_date_still_describes_the_plugin_for_the_autoupdate_toggle(
    world: World, current: str, reason: str
) -> None:
    status, offer = world.get(f"/plugins/{SLUG}/check-update?current_version={current}")

    assert status == 200
    assert offer["update_available"] is False
    assert offer["reason"] == reason
    assert offer["latest_version"] == "1.10.0"
    item = offer["update"]
    assert (item["slug"], item["plugin"], item["new_version"]) == (SLUG, f"{SLUG}/{SLUG}.php", "1.10.0")
    assert item["package"] == download_link("1.10.0")
    assert item["autoupdate"] is False


def test_check_update_before_any_release_offers_nothing(world: World) -> None:
    status, offer = world.get(f"/plugins/{DRAFT_ONLY}/check-update?current_version=0.9.0")

    assert status == 200
    assert (offer["update_available"], offer["reason"], offer["latest_version"]) == (
        False,
        "no_release",
        None,
    )
    assert "download_url" not in offer and "update" not in offer


@pytest.mark.parametrize(
    "query, code",
    [
        ("", "missing_parameter"),
        ("?current_version=", "missing_parameter"),
        ("?current_version=%20", "missing_parameter"),
        ("?current_version=banana", "invalid_version"),
        ("?current_version=1..0", "invalid_version"),
        ("?current_version=v1.0.0", "invalid_version"),
    ],
)
def test_check_update_refuses_a_missing_or_malformed_current_version(
    world: World, query: str, code: str
) -> None:
    status, body = world.get(f"/plugins/{SLUG}/check-update{query}")

    assert_error(status, body, 400, code)
    # Nothing changed: the plugin is still offered as before.
    status, offer = world.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0")
    assert (status, offer["latest_version"]) == (200, "1.10.0")


@pytest.mark.parametrize(
    "path",
    [
        "/plugins/no-such-plugin/check-update?current_version=1.0.0",
        "/plugins/no-such-plugin/info",
        "/plugins/no-such-plugin/download",
        "/plugins/no-such-plugin/download?version=1.0.0",
    ],
)
def test_unknown_plugin_is_a_404_json_error(world: World, path: str) -> None:
    status, body = world.get(path)
    assert_error(status, body, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/plugins/Bad_Slug!/check-update?current_version=1.0.0",
        "/plugins/Bad_Slug!/info",
        "/plugins/Bad_Slug!/download",
        "/plugins/-leading-dash/info",
        "/plugins/" + "a" * 65 + "/download?version=1.0.0",
    ],
)
def test_malformed_slug_is_a_400_json_error_not_a_500(world: World, path: str) -> None:
    status, body = world.get(path)
    assert_error(status, body, 400, "invalid_slug")


# info -----------------------------------------------------------------------------------------


def test_info_has_the_plugins_api_shape_with_readme_sections(world: World) -> None:
    status, info = world.get(f"/plugins/{SLUG}/info")

    assert status == 200
    assert info["name"] == "IGNY8 WordPress Bridge"
    assert info["slug"] == SLUG
    assert info["version"] == "1.10.0"
    assert info["author"] == "IGNY8"
    assert info["homepage"] == "https://igny8.com"
    assert info["author_homepage"] == "https://igny8.com"
    assert (info["requires"], info["tested"], info["requires_php"]) == ("5.8", "6.6", "7.4")
    # WordPress.org's own format, printed as is in the details modal, e.g. "2024-05-01 3:04pm GMT".
    assert info["last_updated"].startswith(world.admin_versions()["1.10.0"]["released_at"][:10])
    assert info["last_updated"].endswith(" GMT")
    sections = info["sections"]
    assert set(sections) >= {"description", "installation", "changelog", "faq"}
    assert "links this site to your IGNY8 account" in sections["description"]
    assert "Upload Plugin" in sections["installation"]
    assert "Faster sync." in sections["changelog"]
    assert "Where do I find my site ID and API key?" in sections["faq"]
    assert info["download_link"] == info["download_url"] == download_link("1.10.0")
    # Every released version can be pinned (a rollback on the site); the draft 1.11.0 is not listed.
    assert info["versions"] == {v: download_link(v) for v in ("1.1.0", "1.9.0", "1.10.0")}


def test_info_without_a_release_is_a_404(world: World) -> None:
    status, body = world.get(f"/plugins/{DRAFT_ONLY}/info")

    assert_error(status, body, 404, "no_release")


# download -------------------------------------------------------------------------------------


def _redirect(world: World, path: str) -> tuple[str, dict[str, list[str]]]:
    response = world.client.http.get(path)
    assert response.status_code == 302, response.body
    assert response.headers["Cache-Control"] == "no-store"
    location = response.headers["Location"]
    return location, parse_qs(urlsplit(location).query)


def test_download_redirects_to_a_short_lived_sigv4_url_of_the_latest_package(world: World) -> None:
    _, offer = world.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0")

    location, query = _redirect(world, f"/plugins/{SLUG}/download")

    assert urlsplit(location).path.endswith(f"/packages/wordpress/{SLUG}/{SLUG}-v1.10.0.zip")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Signature"] and query["X-Amz-Credential"]
    expires = int(query["X-Amz-Expires"][0])
    assert expires <= 900
    assert expires == get_settings().download_url_ttl == 300
    assert query["response-content-disposition"] == [f'attachment; filename="{SLUG}-v1.10.0.zip"']
    # moto cannot serve the presigned URL in-process: check the object it points at instead.
    data = world.package("1.10.0")
    assert hashlib.sha256(data).hexdigest() == offer["sha256"]
    assert len(data) == offer["file_size"]


def test_download_pinned_to_an_older_release_serves_that_release(world: World) -> None:
    location, query = _redirect(world, f"/plugins/{SLUG}/download?version=1.1.0")

    assert urlsplit(location).path.endswith(f"/packages/wordpress/{SLUG}/{SLUG}-v1.1.0.zip")
    assert query["response-content-disposition"] == [f'attachment; filename="{SLUG}-v1.1.0.zip"']
    assert query["X-Amz-Expires"] == ["300"]
    assert world.package("1.1.0") != world.package("1.10.0")


@pytest.mark.parametrize(
    "path, status, code",
    [
        (f"/plugins/{SLUG}/download?version=1.11.0", 404, None),  # a draft, even next to releases
        (f"/plugins/{SLUG}/download?version=9.9.9", 404, None),
        (f"/plugins/{SLUG}/download?version=banana", 400, "invalid_version"),
        (f"/plugins/{SLUG}/download?version=1.0.0%2F..%2F..", 400, "invalid_version"),
        (f"/plugins/{DRAFT_ONLY}/download", 404, "no_release"),
        (f"/plugins/{DRAFT_ONLY}/download?version=1.0.0", 404, None),
    ],
)
def test_download_refuses_drafts_malformed_versions_and_plugins_without_a_release(
    world: World, path: str, status: int, code: str | None
) -> None:
    got, body = world.get(path)

    assert_error(got, body, status, code)
    # Refusing a download changed nothing: the drafts are still drafts.
    assert world.admin_versions()["1.11.0"]["status"] == "draft"
    assert world.admin_versions(DRAFT_ONLY)["1.0.0"]["status"] == "draft"


# latest ---------------------------------------------------------------------------------------


def test_the_anonymous_latest_card_is_cacheable_and_revalidates_with_its_etag(world: World) -> None:
    first = world.client.http.get("/plugins/wordpress/latest")
    assert first.status_code == 200
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    etag = first.headers["ETag"]

    again = world.client.http.get("/plugins/wordpress/latest", headers={"If-None-Match": etag})
    assert (again.status_code, again.body) == (304, b"")


def test_latest_for_wordpress_is_the_released_bridge(world: World) -> None:
    status, latest = world.get("/plugins/wordpress/latest")

    assert status == 200
    assert latest["name"] == "IGNY8 WordPress Bridge"
    assert latest["slug"] == SLUG
    assert latest["version"] == "1.10.0"
    assert latest["download_url"] == download_link("1.10.0")
    assert latest["file_size"] == len(world.package("1.10.0"))


def test_latest_for_a_platform_without_a_release_is_a_404(world: World) -> None:
    status, body = world.get("/plugins/shopify/latest")
    assert_error(status, body, 404, "no_release")


@pytest.mark.parametrize("platform", ["nosuchplatform", "WordPress", "wordpress%00"])
def test_latest_for_an_unknown_platform_is_a_400(world: World, platform: str) -> None:
    status, body = world.get(f"/plugins/{platform}/latest")
    assert_error(status, body, 400, "invalid_platform")


@pytest.mark.parametrize(
    ("query", "headers", "shared"),
    [
        ("", {}, True),
        ("&wp_version=6.5.2", {"User-Agent": "WordPress/4.9; https://old.example"}, True),
        ("", {"User-Agent": "WordPress/4.9; https://old.example"}, False),
        ("", {"X-IGNY8-Site-ID": "site-1"}, False),
    ],
)
def test_only_answers_decided_by_the_url_alone_may_be_kept_by_a_shared_cache(
    world: World, query: str, headers: dict[str, str], shared: bool
) -> None:
    """A cache keys on the URL: an answer that WordPress' User-Agent or a site id decided is
    private, else one old WordPress behind a proxy would make it "no update" for everyone."""
    response = world.client.http.get(
        f"/plugins/{SLUG}/check-update?current_version=1.0.0{query}", headers=headers
    )

    assert response.status_code == 200
    cache_control = response.headers["Cache-Control"]
    assert cache_control.startswith("public") if shared else cache_control.startswith("private")
