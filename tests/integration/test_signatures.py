"""Package signatures verify exactly as WordPress' ``verify_file_signature()`` checks them:
``sodium_crypto_sign_verify_detached(base64_decode($sig), hash_file('sha384', $file, true),
base64_decode($key))``, against the keys published at ``GET /keys``."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from chalice.test import Client
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chalicelib import adapters
from chalicelib.api import signed as signed_module
from infra.keys import KeyStore
from tests.integration.conftest import Packager, admin_headers, source_zip, upload

SLUG = "igny8-wp-bridge"

# WordPress' verify_file_signature(), reduced to its cryptographic check.
PHP_VERIFY = """
$ok = sodium_crypto_sign_verify_detached(
    base64_decode($argv[2]), hash_file('sha384', $argv[1], true), base64_decode($argv[3]));
echo $ok ? 'valid' : 'invalid';
"""


def _publish(client: Client, packager: Packager, bucket: str, version: str) -> dict:
    upload(bucket, f"sources/wordpress/{SLUG}/{version}/src.zip", source_zip())
    assert all(outcome["ok"] for outcome in packager.run())
    response = client.http.post(f"/admin/plugins/{SLUG}/versions/{version}/release", headers=admin_headers())
    assert response.status_code == 200, response.body
    return dict(client.http.get(f"/plugins/{SLUG}/check-update?current_version=0.1").json_body)


def _package(bucket: str, version: str) -> bytes:
    key = f"packages/wordpress/{SLUG}/{SLUG}-v{version}.zip"
    return bytes(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def _keys(client: Client) -> dict[str, dict]:
    response = client.http.get("/keys")
    assert response.status_code == 200
    return {key["key_id"]: key for key in response.json_body["keys"]}


def _verifies(package: bytes, signature: str, public_key: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
            base64.b64decode(signature), hashlib.sha384(package).digest()
        )
    except InvalidSignature:
        return False
    return True


def test_a_released_package_verifies_with_a_published_key(
    client: Client, packager: Packager, aws: dict[str, str], tmp_path: Path
) -> None:
    bucket = aws["ArtifactsBucketName"]
    offer = _publish(client, packager, bucket, "1.0.0")
    package = _package(bucket, "1.0.0")
    keys = _keys(client)

    assert offer["sha384"] == hashlib.sha384(package).hexdigest()
    assert offer["signature_algorithm"] == "ed25519"
    key = keys[offer["signature_key_id"]]
    assert (key["algorithm"], key["status"]) == ("ed25519", "active")
    assert _verifies(package, offer["signature"], key["public_key"])
    assert not _verifies(package + b"\0", offer["signature"], key["public_key"])

    sig_file = client.http.get(f"/plugins/{SLUG}/signature?version=1.0.0")
    assert sig_file.status_code == 200
    assert sig_file.body.decode().strip() == offer["signature"]
    info = client.http.get(f"/plugins/{SLUG}/info").json_body
    assert (info["sha384"], info["signature"]) == (offer["sha384"], offer["signature"])

    if shutil.which("php") is None:
        pytest.skip("php is not installed: verified with Python's Ed25519 only")
    archive = tmp_path / "package.zip"
    archive.write_bytes(package)
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(package[:-1] + bytes([package[-1] ^ 1]))
    for path, expected in ((archive, "valid"), (tampered, "invalid")):
        result = subprocess.run(
            ["php", "-r", PHP_VERIFY, str(path), offer["signature"], key["public_key"]],
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout == expected


def test_after_rotation_new_packages_use_the_new_key_and_old_ones_still_verify(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    bucket = aws["ArtifactsBucketName"]
    old = _publish(client, packager, bucket, "1.0.0")

    new_key = KeyStore.of_stack(aws).rotate()
    adapters.reset()  # what the parameters' cache expiry does in a warm Lambda
    new = _publish(client, packager, bucket, "1.1.0")

    keys = _keys(client)
    assert new["signature_key_id"] == new_key != old["signature_key_id"]
    assert keys[old["signature_key_id"]]["status"] == "retired"
    assert keys[new_key]["status"] == "active"
    assert _verifies(_package(bucket, "1.0.0"), old["signature"], keys[old["signature_key_id"]]["public_key"])
    assert _verifies(_package(bucket, "1.1.0"), new["signature"], keys[new_key]["public_key"])


def test_signature_of_an_unknown_or_unreleased_version_is_a_json_404(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    upload(aws["ArtifactsBucketName"], f"sources/wordpress/{SLUG}/2.0.0/src.zip", source_zip())
    packager.run()
    for query in ("?version=2.0.0", "?version=9.9.9"):
        response = client.http.get(f"/plugins/{SLUG}/signature{query}")
        assert response.status_code == 404
        assert response.json_body["error"]["code"] == "no_such_version"
    assert client.http.get(f"/plugins/{SLUG}/signature?version=banana").status_code == 400


def _certified_keys(client: Client, roots: list[dict]) -> dict[str, dict]:
    """The signing keys as a site accepts them: only from the key list its pinned root signed."""
    published = client.http.get("/keys").json_body
    root = next(r for r in roots if r["key_id"] == published["key_list_root_id"])
    Ed25519PublicKey.from_public_bytes(base64.b64decode(root["public_key"])).verify(
        base64.b64decode(published["key_list_signature"]), published["key_list"].encode()
    )
    return {key["key_id"]: key for key in json.loads(published["key_list"])["keys"]}


def test_the_package_pins_the_stage_root_and_a_rotation_reaches_it_through_the_signed_key_list(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    bucket = aws["ArtifactsBucketName"]
    old = _publish(client, packager, bucket, "1.0.0")
    with zipfile.ZipFile(io.BytesIO(_package(bucket, "1.0.0"))) as archive:
        pinned = json.loads(archive.read(f"{SLUG}/igny8-trust.json"))["roots"]
    assert [root["key_id"] for root in pinned] == [
        r["key_id"] for r in client.http.get("/keys").json_body["roots"]
    ]
    assert old["signature_key_id"] in _certified_keys(client, pinned)

    new_key = KeyStore.of_stack(aws).rotate()
    adapters.reset()
    new = _publish(client, packager, bucket, "1.1.0")
    certified = _certified_keys(client, pinned)  # the root pinned by 1.0.0 certifies the new key
    assert certified[new_key]["status"] == "active"
    assert _verifies(_package(bucket, "1.1.0"), new["signature"], certified[new_key]["public_key"])

    # A list the root did not sign is worthless: one changed byte fails verification.
    published = client.http.get("/keys").json_body
    forged = published["key_list"].replace(new_key, "f" * 16)
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(base64.b64decode(pinned[0]["public_key"])).verify(
            base64.b64decode(published["key_list_signature"]), forged.encode()
        )


def test_a_revoked_key_is_listed_as_revoked_by_the_root_and_the_active_key_cannot_be(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    old = _publish(client, packager, aws["ArtifactsBucketName"], "1.0.0")["signature_key_id"]
    store = KeyStore.of_stack(aws)
    with pytest.raises(ValueError, match="rotate first"):
        store.revoke(old)
    new = store.rotate()
    store.revoke(old)
    adapters.reset()
    published = client.http.get("/keys").json_body
    statuses = {key["key_id"]: key["status"] for key in json.loads(published["key_list"])["keys"]}
    assert statuses == {old: "revoked", new: "active"}
    with pytest.raises(ValueError, match="no signing key"):
        store.revoke("0" * 16)


# --- signed, expiring update answers (the metadata key) --------------------------------------------


def _metadata_keys(client: Client) -> dict[str, dict]:
    """The metadata keys as a site accepts them: from the root-signed list, apart from package keys."""
    published = client.http.get("/keys").json_body
    root = next(r for r in published["roots"] if r["key_id"] == published["key_list_root_id"])
    Ed25519PublicKey.from_public_bytes(base64.b64decode(root["public_key"])).verify(
        base64.b64decode(published["key_list_signature"]), published["key_list"].encode()
    )
    listed = json.loads(published["key_list"])
    assert all(key["role"] == "package" for key in listed["keys"])
    return {key["key_id"]: key for key in listed["metadata_keys"] if key["role"] == "metadata"}


def _answer_verifies(body: bytes, signature: str, public_key: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
            base64.b64decode(signature), body
        )
    except InvalidSignature:
        return False
    return True


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_update_answers_are_signed_over_their_bytes_by_a_certified_metadata_key_and_expire(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    _publish(client, packager, aws["ArtifactsBucketName"], "1.0.0")
    metadata = _metadata_keys(client)
    packages = _keys(client)
    answers = {
        "offer": client.http.get(f"/plugins/{SLUG}/check-update?current_version=0.1"),
        "no update": client.http.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0"),
        "info": client.http.get(f"/plugins/{SLUG}/info"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        key_id, signature = response.headers["X-IGNY8-Key-Id"], response.headers["X-IGNY8-Signature"]
        assert metadata[key_id]["status"] == "active" and key_id not in packages, name
        assert _answer_verifies(response.body, signature, metadata[key_id]["public_key"]), name
        tampered = response.body.replace(b'"slug":"', b'"slug":"x', 1)
        assert not _answer_verifies(tampered, signature, metadata[key_id]["public_key"]), name
        flipped = response.body[:-2] + bytes([response.body[-2] ^ 1]) + response.body[-1:]
        assert not _answer_verifies(flipped, signature, metadata[key_id]["public_key"]), name
        body = json.loads(response.body)
        signed_at, expires = _moment(body["signed_at"]), _moment(body["expires"])
        assert signed_at <= datetime.now(UTC) < expires, name
        assert expires - signed_at == timedelta(hours=24), name  # > 12 h checks, 1 h caches, 60 s max-age
    # A package key never vouches for an answer.
    package_key = next(iter(packages.values()))
    offer = answers["offer"]
    assert not _answer_verifies(offer.body, offer.headers["X-IGNY8-Signature"], package_key["public_key"])


def test_a_warm_container_signs_each_answer_with_the_time_it_is_sent(
    client: Client, packager: Packager, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records come from memory while warm (HOT_CACHE_SECONDS); signatures never do."""
    _publish(client, packager, aws["ArtifactsBucketName"], "1.0.0")
    monkeypatch.setenv("HOT_CACHE_SECONDS", "100000")
    adapters.reset()
    sent = datetime.now(UTC)
    url = f"/plugins/{SLUG}/check-update?current_version=1.0.0"
    first = client.http.get(url)
    monkeypatch.setattr(signed_module, "now", lambda: sent + timedelta(hours=25))
    later = client.http.get(url)

    assert _moment(json.loads(later.body)["expires"]) > sent + timedelta(hours=25)
    assert later.headers["ETag"] != first.headers["ETag"]
    assert later.headers["X-IGNY8-Signature"] != first.headers["X-IGNY8-Signature"]
    # Within one 10-minute epoch the bytes, the ETag and the signature stay the same (304 works).
    again = client.http.get(url, headers={"If-None-Match": later.headers["ETag"]})
    assert again.status_code == 304


def test_rotations_retire_keys_with_a_time_and_a_metadata_key_signs_nothing_but_answers(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    _publish(client, packager, aws["ArtifactsBucketName"], "1.0.0")
    store = KeyStore.of_stack(aws)
    old_metadata = next(iter(_metadata_keys(client)))
    new_metadata = store.rotate("metadata")
    new_package = store.rotate()
    adapters.reset()
    metadata, packages = _metadata_keys(client), _keys(client)
    assert metadata[old_metadata]["status"] == "retired"
    assert metadata[old_metadata]["retired_at"] == metadata[new_metadata]["created_at"]
    assert metadata[new_metadata]["retired_at"] is None
    retired = [key for key in packages.values() if key["status"] == "retired"]
    assert [key["retired_at"] for key in retired] == [packages[new_package]["created_at"]]
    answer = client.http.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0")
    assert answer.headers["X-IGNY8-Key-Id"] == new_metadata

    store.revoke(old_metadata)
    adapters.reset()
    assert _metadata_keys(client)[old_metadata]["status"] == "revoked"
    with pytest.raises(ValueError, match="rotate first"):
        store.revoke(new_metadata)
