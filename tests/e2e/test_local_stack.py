"""End to end over real HTTP against the local stack (see conftest.py), as a WordPress site (HTTP)
and an admin (the `igny8-plugins` CLI, S3) would talk to it."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import time
import zipfile
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.e2e.conftest import BRIDGE, SLUG, Stack

pytestmark = pytest.mark.e2e


def test_check_update_offers_the_seeded_bridge_and_its_download_matches(stack: Stack) -> None:
    offer = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/", params={"current_version": "0.0.1"}, timeout=10
    ).json()
    assert offer["update_available"] is True
    assert offer["latest_version"] == "1.0.0"
    assert offer["download_url"] == f"{stack.api}/plugins/{SLUG}/download/?version=1.0.0"
    assert offer["update"]["package"] == offer["download_url"]

    redirect = requests.get(offer["download_url"], allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    query = parse_qs(urlparse(redirect.headers["Location"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert query["response-content-disposition"] == [f'attachment; filename="{SLUG}-v1.0.0.zip"']

    package = requests.get(offer["download_url"], timeout=10)
    assert package.status_code == 200
    assert hashlib.sha256(package.content).hexdigest() == offer["sha256"]
    assert len(package.content) == offer["file_size"]
    names = zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    assert {name.split("/")[0] for name in names} == {SLUG}
    assert not any("/tests/" in name for name in names)
    if shutil.which("unzip"):
        archive = stack.state_dir / "downloaded.zip"
        archive.write_bytes(package.content)
        subprocess.run(["unzip", "-tq", str(archive)], check=True, capture_output=True)


@pytest.mark.parametrize("suffix", ["", "/"])
def test_paths_answer_with_and_without_trailing_slash(stack: Stack, suffix: str) -> None:
    info = requests.get(f"{stack.api}/plugins/{SLUG}/info{suffix}", timeout=10)
    assert info.status_code == 200
    assert info.json()["slug"] == SLUG
    assert info.json()["sections"]["description"]


def test_bad_requests_get_json_errors(stack: Stack) -> None:
    unknown = requests.get(
        f"{stack.api}/plugins/no-such-plugin/check-update/", params={"current_version": "1.0.0"}, timeout=10
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    banana = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/", params={"current_version": "banana"}, timeout=10
    )
    assert banana.status_code == 400
    assert banana.json()["error"]["code"] == "invalid_version"
    missing = requests.get(f"{stack.api}/plugins/{SLUG}/check-update/", timeout=10)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "missing_parameter"


def test_admin_api_refuses_requests_without_the_admin_token(stack: Stack) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-IGNY8-API-Key": "site-key"}):
        response = requests.get(f"{stack.api}/admin/plugins/{SLUG}/", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    release = requests.post(f"{stack.api}/admin/plugins/{SLUG}/versions/1.0.0/release/", timeout=10)
    assert release.status_code == 401


def test_cli_upload_then_release_makes_check_update_offer_the_new_version(stack: Stack) -> None:
    uploaded = stack.cli("--json", "upload", str(BRIDGE), "--version", "1.1.0", "--changelog", "Faster sync")
    result = json.loads(uploaded.stdout)
    assert result["key"].startswith(f"sources/wordpress/{SLUG}/1.1.0/")
    assert result["version"]["status"] == "draft"
    assert result["version"]["version"] == "1.1.0"

    before = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/", params={"current_version": "1.0.0"}, timeout=10
    ).json()
    assert before["update_available"] is False

    stack.cli("release", SLUG, "1.1.0")
    after = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/", params={"current_version": "1.0.0"}, timeout=10
    ).json()
    assert after["update_available"] is True
    assert after["latest_version"] == "1.1.0"
    assert after["changelog"] == "Faster sync"
    status = json.loads(stack.cli("--json", "status", SLUG).stdout)
    assert [v["version"] for v in status["versions"]][:2] == ["1.1.0", "1.0.0"]


def test_a_broken_upload_is_recorded_once_and_not_retried(stack: Stack) -> None:
    state = stack.state()
    s3 = stack.aws("s3")
    s3.put_object(Bucket=state["bucket"], Key=f"sources/wordpress/{SLUG}/9.9.9/broken.zip", Body=b"not a zip")
    deadline = time.monotonic() + 60
    while True:
        status = json.loads(stack.cli("--json", "status", SLUG).stdout)
        failed = [v for v in status["versions"] if v["version"] == "9.9.9"]
        if failed:
            break
        assert time.monotonic() < deadline, "the refusal was never recorded"
        time.sleep(0.5)
    # A refusal is final: its message completed, nothing waits for a retry or in the DLQ.
    sqs = stack.aws("sqs")
    depth = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    for queue in (state["packager_queue_url"], state["dead_letter_queue_url"]):
        counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=depth)["Attributes"]
        assert {name: int(counts[name]) for name in depth} == dict.fromkeys(depth, 0), queue
    assert json.loads(stack.cli("--json", "dlq", "list").stdout)["messages"] == []
    assert failed[0]["status"] == "failed"
    assert failed[0]["failure_code"] == "not_a_zip"
    offer = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/", params={"current_version": "1.0.0"}, timeout=10
    ).json()
    assert offer["latest_version"] != "9.9.9"


def test_the_downloaded_package_verifies_with_a_published_key(stack: Stack) -> None:
    offer = requests.get(
        f"{stack.api}/plugins/{SLUG}/check-update/", params={"current_version": "0.0.1"}, timeout=10
    ).json()
    keys = {key["key_id"]: key for key in requests.get(f"{stack.api}/keys/", timeout=10).json()["keys"]}
    package = requests.get(offer["download_url"], timeout=10).content
    signature = requests.get(offer["signature_url"], timeout=10).text.strip()

    assert signature == offer["signature"]
    public_key = keys[offer["signature_key_id"]]["public_key"]
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
        base64.b64decode(signature), hashlib.sha384(package).digest()
    )  # raises InvalidSignature otherwise
