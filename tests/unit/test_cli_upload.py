"""``igny8-plugins upload``: through the admin API's presigned upload, as the admin; what it checks
before asking, the waiting, the release it applies (the harness is test_cli's)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from igny8_cli.client import put_file
from igny8_cli.sources import derive_slug
from tests.unit import test_cli
from tests.unit.test_cli import (
    ADMIN,
    BUCKET,
    NOT_FOUND,
    PLUGIN_PATH,
    PLUGINS_PATH,
    RELEASE_PATH,
    UPLOAD_PATH,
    FakeApi,
    Response,
    grant_uploads,
    plugin_doc,
    run,
    uploaded_keys,
    version_doc,
)

# The harness's fixtures, shared by name (the autouse `api` gives every test a fresh fake API).
api = test_cli.api
moto_s3 = test_cli.moto_s3
s3 = test_cli.s3
source_dir = test_cli.source_dir


def packaged_version(s3: Any, **fields: Any) -> Callable[[], Response]:
    """The packager's answer for whatever the CLI just uploaded."""
    return lambda: (200, plugin_doc([version_doc(uploaded_keys(s3)[0], **fields)]))


def test_upload_directory_goes_up_through_the_admin_api_as_the_admin(
    s3: Any, source_dir: Path, api: FakeApi
) -> None:
    changelog = 'Fixed Ünïcode ✓ & 100% of "quotes"\nsecond line'
    api.on("GET", PLUGIN_PATH, NOT_FOUND)

    result = run("upload", str(source_dir), "--version", "1.2.0", "--changelog", changelog, "--no-wait")

    assert result.exit_code == 0, result.output
    # A new slug is registered, then the API hands out the upload: nothing is written to S3 directly.
    assert api.calls("POST") == [
        ("POST", PLUGINS_PATH, {"slug": "my-plugin", "name": "my-plugin", "platform": "wordpress"}),
        ("POST", UPLOAD_PATH, {"changelog": changelog}),
    ]
    [key] = uploaded_keys(s3)
    assert re.fullmatch(r"sources/wordpress/my-plugin/1\.2\.0/upload-\d+\.zip", key)
    assert key in result.output
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    # The object carries what the API signed (the CLI sent the signed headers), the admin included.
    metadata = {name: unquote(value) for name, value in stored["Metadata"].items()}
    assert metadata == {"version": "1.2.0", "uploaded-by": ADMIN, "changelog": changelog}
    grant = json.loads(s3.get_object(Bucket=BUCKET, Key=f"grants/{key}.json")["Body"].read())
    assert grant["metadata"]["uploaded-by"] == ADMIN
    with zipfile.ZipFile(io.BytesIO(stored["Body"].read())) as bundle:
        assert bundle.namelist() == ["inc/helpers.php", "my-plugin.php", "readme.txt"]
        assert bundle.read("readme.txt") == b"=== My Plugin ===\n"


def test_upload_zip_derives_slug_and_version_and_uploads_the_archive_as_is(
    s3: Any, tmp_path: Path, api: FakeApi
) -> None:
    archive = tmp_path / "my-plugin-v1.2.0.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(
            "my-plugin/my-plugin.php", "<?php\n/*\n * Plugin Name: Mine\n * Version: 1.2.0\n */\n"
        )
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([])))

    result = run("upload", str(archive), "--no-wait")

    assert result.exit_code == 0, result.output
    assert api.calls("POST") == [("POST", UPLOAD_PATH, {})]  # registered already: no create
    [key] = uploaded_keys(s3)
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == archive.read_bytes()


def test_upload_of_another_platform_registers_it_there(s3: Any, tmp_path: Path, api: FakeApi) -> None:
    source = tmp_path / "shop-sync"
    source.mkdir()
    (source / "package.json").write_text('{"name": "shop-sync", "version": "3.1.0"}')
    api.on("GET", f"{PLUGINS_PATH}/shop-sync", NOT_FOUND)
    grant_uploads(api, slug="shop-sync", version="3.1.0", platform="shopify")

    result = run("--json", "upload", str(source), "--platform", "shopify", "--no-wait")

    assert result.exit_code == 0, result.output
    assert api.calls("POST")[0] == (
        "POST",
        PLUGINS_PATH,
        {"slug": "shop-sync", "name": "shop-sync", "platform": "shopify"},
    )
    assert json.loads(result.stdout)["key"] == uploaded_keys(s3)[0]


@pytest.mark.parametrize(
    ("main_file", "options", "code"),
    [
        ("<?php\n/* Plugin Name: My Plugin */\n", [], "no_version"),
        ("<?php\n/* Version: 1.2.0 */\n", [], "no_plugin_header"),
        ("<?php\n/* Plugin Name: My Plugin */\n", ["--version", "1..2"], "invalid_version"),
        ("<?php\n/* Plugin Name: My Plugin */\n", ["--slug", "My Plugin"], "invalid_slug"),
    ],
)
def test_a_source_the_packager_would_refuse_is_refused_before_any_request(
    s3: Any, source_dir: Path, api: FakeApi, main_file: str, options: list[str], code: str
) -> None:
    (source_dir / "my-plugin.php").write_text(main_file)

    result = run("--json", "upload", str(source_dir), *options)

    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == code
    assert api.requests == []
    assert uploaded_keys(s3) == []


def test_upload_to_a_plugin_of_another_platform_is_refused(s3: Any, source_dir: Path, api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([])))  # a wordpress plugin

    result = run("upload", str(source_dir), "--platform", "custom", "--version", "1.2.0")

    assert result.exit_code == 1
    assert "my-plugin is a wordpress plugin; pass --platform wordpress (platform_mismatch)" in result.stderr
    assert api.calls("POST") == []
    assert uploaded_keys(s3) == []


def test_a_refused_put_exits_1_and_waits_for_nothing(s3: Any, source_dir: Path, api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, NOT_FOUND)
    expired = {
        "url": f"{api.url}/expired-upload",
        "method": "PUT",
        "headers": {},
        "key": "k",
        "expires_at": "x",
    }
    api.on("POST", UPLOAD_PATH, (200, expired))
    api.on("PUT", "/api/expired-upload", (403, None))

    result = run("--json", "upload", str(source_dir))

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "upload_failed"
    assert "403" in error["message"]
    assert [r.method for r in api.requests].count("GET") == 1  # no polling for a package


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("my-plugin-v1.2.3.zip", "my-plugin"),
        ("my-plugin-1.2.3.zip", "my-plugin"),
        ("my-plugin-1.2.0-beta1.zip", "my-plugin"),
        ("my-plugin.zip", "my-plugin"),
        ("plugin-2.zip", "plugin-2"),
    ],
)
def test_slug_of_a_zip_drops_a_trailing_version(tmp_path: Path, name: str, slug: str) -> None:
    assert derive_slug(tmp_path / name) == slug


def test_slug_of_the_current_directory_is_its_name(source_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(source_dir)
    assert derive_slug(Path()) == "my-plugin"


def test_upload_json_waits_for_the_packaged_version(s3: Any, source_dir: Path, api: FakeApi) -> None:
    api.on(
        "GET", PLUGIN_PATH, NOT_FOUND, NOT_FOUND, packaged_version(s3, status="pending"), packaged_version(s3)
    )

    result = run("--json", "upload", str(source_dir))

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [key] = uploaded_keys(s3)
    assert document["key"] == key
    assert document["bucket"] == BUCKET
    assert document["version"]["status"] == "draft"
    assert document["version"]["source_key"] == key


def test_upload_prints_the_packaged_version(s3: Any, source_dir: Path, api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, NOT_FOUND, packaged_version(s3))

    result = run("upload", str(source_dir))

    assert result.exit_code == 0, result.output
    assert "my-plugin 1.2.0: draft" in result.output
    assert "12,345 bytes" in result.output
    assert "ab12cd34ef56" in result.output


@pytest.mark.parametrize("reported_as", ["last_failure", "failed_version"])
def test_upload_reports_a_packaging_failure(
    s3: Any, source_dir: Path, api: FakeApi, reported_as: str
) -> None:
    def failed() -> Response:
        key = uploaded_keys(s3)[0]
        if reported_as == "last_failure":
            failure = {
                "source_key": key,
                "code": "invalid_plugin",
                "message": "no plugin header",
                "at": "now",
            }
            return 200, plugin_doc([version_doc("sources/wordpress/my-plugin/older.zip")], failure)
        failed_version = version_doc(
            key, status="failed", failure_code="invalid_plugin", failure_reason="no plugin header"
        )
        return 200, plugin_doc([failed_version])

    api.on("GET", PLUGIN_PATH, NOT_FOUND, failed)

    result = run("upload", str(source_dir))

    assert result.exit_code == 1
    assert "error: packaging failed: no plugin header (invalid_plugin)" in result.stderr


def test_upload_gives_up_after_the_timeout(s3: Any, source_dir: Path, api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, NOT_FOUND)

    result = run("--json", "upload", str(source_dir), "--timeout", "0.05")

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "timeout"
    assert error["source_key"] == uploaded_keys(s3)[0]


def test_the_put_streams_the_archive_with_its_length_and_drives_the_progress_bar(
    api: FakeApi, tmp_path: Path
) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(bytes(range(256)) * 1000)
    api.on("PUT", "/api/presigned", (200, None))
    sent: list[int] = []

    put_file(
        f"{api.url}/presigned?X-Amz-Signature=abc", {"x-amz-meta-version": "1.2.0"}, archive, sent.append
    )

    [request] = api.requests
    assert request.body == archive.read_bytes()
    # A presigned S3 PUT takes a Content-Length, not chunks, and the signed headers as given.
    assert request.headers["Content-Length"] == "256000"
    assert request.headers["x-amz-meta-version"] == "1.2.0"
    assert request.query == {"X-Amz-Signature": "abc"}
    assert sum(sent) == 256000


@pytest.mark.parametrize(
    ("options", "settings"),
    [
        ([], {}),
        (["--percent", "25"], {"percent": 25}),
        (["--force-update", "--percent", "0"], {"percent": 0, "force_update": True}),
    ],
)
def test_upload_with_release_releases_the_packaged_version_through_the_api(
    s3: Any, source_dir: Path, api: FakeApi, options: list[str], settings: dict[str, Any]
) -> None:
    api.on("GET", PLUGIN_PATH, NOT_FOUND, packaged_version(s3))
    api.on("POST", RELEASE_PATH, (200, {"version": version_doc(None, status="released")}))

    result = run("upload", str(source_dir), "--release", "--no-wait", *options)

    assert result.exit_code == 0, result.output
    assert "my-plugin 1.2.0: released" in result.output
    assert api.calls("POST")[-1] == ("POST", RELEASE_PATH, settings)
    # The upload itself asked for nothing a site would see: releasing is the API's call.
    [key] = uploaded_keys(s3)
    assert set(s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]) == {"version", "uploaded-by"}


@pytest.mark.parametrize("options", [["--percent", "10"], ["--force-update"]])
def test_release_settings_without_release_are_a_usage_error(
    s3: Any, source_dir: Path, api: FakeApi, options: list[str]
) -> None:
    result = run("--json", "upload", str(source_dir), *options)

    assert result.exit_code == 2
    assert "add --release" in json.loads(result.stdout)["error"]["message"]
    assert api.requests == []


def test_upload_checks_the_api_before_uploading(s3: Any, source_dir: Path, api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, (401, {"error": {"code": "unauthorized", "message": "bad admin token"}}))

    result = run("upload", str(source_dir))

    assert result.exit_code == 1
    assert "error: bad admin token (unauthorized)" in result.stderr
    assert uploaded_keys(s3) == []
    assert api.calls("POST") == []


def test_overlong_changelog_is_refused_before_any_upload(s3: Any, source_dir: Path, api: FakeApi) -> None:
    result = run("upload", str(source_dir), "--changelog", "é" * 400)

    assert result.exit_code == 1
    assert "too long" in result.stderr
    assert uploaded_keys(s3) == []
    assert api.requests == []
