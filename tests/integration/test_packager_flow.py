"""The packager's real path under moto: S3 upload -> S3 notification on SQS -> handler -> records."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import boto3
from chalice.test import Client

from tests.integration.conftest import Packager, admin_headers, source_zip, upload

SLUG = "igny8-wp-bridge"


def _get(client: Client, path: str, **headers: str) -> tuple[int, dict]:
    response = client.http.get(path, headers=headers)
    return response.status_code, response.json_body


def test_upload_is_packaged_registered_and_downloadable_once_released(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    bucket = aws["ArtifactsBucketName"]
    upload(
        bucket,
        f"sources/wordpress/{SLUG}/1.2.0/a.zip",
        source_zip(top="igny8-wp-bridge-main"),
        changelog="Faster%20sync",
    )

    outcomes = packager.run()

    # The first message is S3's s3:TestEvent from configuring the notification: skipped, not failed.
    assert [o["ok"] for o in outcomes] == [True, True], outcomes
    status, body = _get(client, f"/admin/plugins/{SLUG}", **admin_headers())
    assert status == 200
    [version] = body["versions"]
    assert version["version"] == "1.2.0"
    assert version["status"] == "draft"
    assert version["changelog"] == "Faster sync"
    assert version["file_path"] == f"packages/wordpress/{SLUG}/{SLUG}-v1.2.0.zip"

    # A draft is not offered to anyone.
    status, body = _get(client, f"/plugins/{SLUG}/check-update?current_version=1.0.0")
    assert (status, body["update_available"], body["reason"]) == (200, False, "no_release")

    response = client.http.post(f"/admin/plugins/{SLUG}/versions/1.2.0/release", headers=admin_headers())
    assert response.status_code == 200
    assert response.json_body["version"]["status"] == "released"

    status, offer = _get(client, f"/plugins/{SLUG}/check-update?current_version=1.0.0")
    assert status == 200
    assert offer["update_available"] is True
    assert offer["latest_version"] == "1.2.0"
    assert offer["download_url"] == f"https://plugins.test/api/plugins/{SLUG}/download/?version=1.2.0"
    assert offer["update"]["plugin"] == f"{SLUG}/{SLUG}.php"

    response = client.http.get(f"/plugins/{SLUG}/download?version=1.2.0")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in location
    assert "X-Amz-Expires=300" in location
    key = f"packages/wordpress/{SLUG}/{SLUG}-v1.2.0.zip"
    data = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(data).hexdigest() == offer["sha256"]
    assert len(data) == offer["file_size"]
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {name.split("/")[0] for name in names} == {SLUG}
    main = zipfile.ZipFile(io.BytesIO(data)).read(f"{SLUG}/{SLUG}.php").decode()
    assert re.search(r"^ \* Version:\s+1\.2\.0$", main, re.M)
    assert "define( 'IGNY8_BRIDGE_VERSION', '1.2.0' );" in main
