"""End to end over real HTTP: `python -m infra.local` on free ports, as `make run` starts it.

The stack runs in its own process (moto server, packager poller, Chalice's local server); these
tests talk to it only as a WordPress site (HTTP) and an admin (the `igny8-plugins` CLI, S3) would.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "plugins" / "wordpress" / "source" / "igny8-wp-bridge"
SLUG = "igny8-wp-bridge"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    api: str
    state_dir: Path
    env: dict[str, str]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).with_name("igny8-plugins")), *args]
        result = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed: {result.stdout}\n{result.stderr}")
        return result

    def state(self) -> dict[str, str]:
        """What the stack wrote for its clients (.local/stack.json in `make run`)."""
        return dict(json.loads((self.state_dir / "stack.json").read_text()))

    def aws(self, service: str) -> Any:
        """A boto3 client on the stack's moto server, as an admin with the local endpoint would use."""
        return boto3.client(
            service,
            endpoint_url=self.state()["aws_endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port = _free_port()
    state_dir = tmp_path_factory.mktemp("local-stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["IGNY8_STACK_FILE"] = str(state_dir / "stack.json")
    log = (state_dir / "stack.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--port", str(port), "--state-dir", str(state_dir)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (state_dir / "stack.log").read_text()
            try:
                if requests.get(f"{api}/plugins/{SLUG}/info/", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the local stack did not seed within 120 s"
            time.sleep(0.3)
        yield Stack(api=api, state_dir=state_dir, env=env)
    finally:
        process.terminate()
        # Stopping is part of the contract: a clean exit, with moto and the API gone with it.
        assert process.wait(timeout=20) == 0, (state_dir / "stack.log").read_text()
        log.close()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the API still listens after the stack stopped"


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


def test_a_broken_upload_is_recorded_and_parked_in_the_dead_letter_queue(stack: Stack) -> None:
    state = stack.state()
    s3 = stack.aws("s3")
    s3.put_object(Bucket=state["bucket"], Key=f"sources/wordpress/{SLUG}/9.9.9/broken.zip", Body=b"not a zip")
    sqs = stack.aws("sqs")
    dlq = sqs.get_queue_url(QueueName="igny8-plugins-local-packager-dlq")["QueueUrl"]
    deadline = time.monotonic() + 60
    while True:
        status = json.loads(stack.cli("--json", "status", SLUG).stdout)
        failed = [v for v in status["versions"] if v["version"] == "9.9.9"]
        parked = int(
            sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        if failed and parked:
            break
        assert time.monotonic() < deadline, f"failed={failed} parked={parked}"
        time.sleep(0.5)
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
