"""Who uploaded, on the deployed template in moto: the admin the API authenticated for a presigned
upload, the IAM principal of the S3 event for a direct one; metadata alone releases nothing."""

from __future__ import annotations

import json
from typing import Any

import boto3
import requests
from chalice.test import Client

from tests.integration.conftest import Packager, admin_headers, put_directly, source_zip
from tests.integration.test_exactly_once import _notification
from tests.integration.test_packager_crash import deliver

SLUG = "igny8-wp-bridge"
PRINCIPAL = "AWS:AIDAEXAMPLEUPLOADER"


def audit(client: Client, action: str) -> dict[str, Any]:
    entries = client.http.get(f"/admin/plugins/{SLUG}/audit", headers=admin_headers()).json_body["entries"]
    return next(e for e in entries if e["action"] == action)


def test_a_direct_upload_claiming_a_forced_release_is_a_draft_in_the_principals_name(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    key = f"sources/wordpress/{SLUG}/2.0.0/src.zip"
    put_directly(
        aws["ArtifactsBucketName"],
        key,
        source_zip(),
        status="released",
        force_update="true",
        percent="100",
        **{"uploaded-by": "admin:alice"},
    )
    body = _notification(packager)
    body["Records"][0]["userIdentity"] = {"principalId": PRINCIPAL}  # as S3 sends it; moto leaves it out

    assert deliver(client, body, receive_count=1) == "ok"

    status = client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body
    [version] = status["versions"]
    assert (version["status"], version["force_update"]) == ("draft", False)
    assert status["plugin"]["latest"] == {}
    offer = client.http.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0").json_body
    assert offer["update_available"] is False
    entry = audit(client, "register")
    assert entry["actor"] == f"packager for S3 principal {PRINCIPAL}"
    assert any("status released" in note for note in entry["after"]["notes"])
    assert any("'admin:alice'" in note and "nothing verifies" in note for note in entry["after"]["notes"])


def test_a_presigned_upload_is_the_authenticated_admins_even_if_its_metadata_is_rewritten(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    assert (
        client.http.post(
            "/admin/plugins",
            headers={**admin_headers(), "Content-Type": "application/json"},
            body=json.dumps({"slug": SLUG, "name": "Bridge", "platform": "wordpress"}),
        ).status_code
        == 201
    )
    admin_actor = audit(client, "create-plugin")["actor"]
    grant = client.http.post(
        f"/admin/plugins/{SLUG}/versions/2.0.0/upload",
        headers={**admin_headers(), "Content-Type": "application/json"},
        body="{}",
    ).json_body
    put = requests.put(grant["url"], data=source_zip(), headers=grant["headers"], timeout=10)
    assert put.status_code == 200, put.text
    # Someone with S3 access rewrites the object's metadata under the very key the admin got.
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.copy_object(
        Bucket=aws["ArtifactsBucketName"],
        Key=grant["key"],
        CopySource={"Bucket": aws["ArtifactsBucketName"], "Key": grant["key"]},
        Metadata={"status": "released", "uploaded-by": "mallory"},
        MetadataDirective="REPLACE",
    )

    assert all(o["ok"] for o in packager.run())

    versions = client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [("2.0.0", "draft")]
    entry = audit(client, "register")
    assert entry["actor"] == f"packager for {admin_actor}"
    assert "notes" not in entry["after"]
