"""Uploads that must not reach a site, and S3 events that arrive twice or oddly encoded.

Each test gets a fresh deployment (the conftest's ``aws``/``client``/``packager``), because queue
and dead-letter counts are part of what is checked.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from chalice.test import Client

from chalicelib.settings import get_settings
from tests.integration.conftest import Packager, admin_headers, source_zip, upload
from tests.integration.test_public_api import assert_error

SLUG = "igny8-wp-bridge"
NOT_A_ZIP = b"PK? no, this is a text file someone uploaded by mistake\n"


@pytest.fixture(autouse=True)
def _test_stage_settings(aws: dict[str, str]) -> None:
    """Read the fixture's settings before any request: inside a request Chalice's test client
    overlays .chalice/config.json's environment_variables (ADMIN_AUTH=iam) on os.environ."""
    get_settings.cache_clear()
    get_settings()


class Stack:
    """The deployed resources, seen the way an admin or a site would notice a change."""

    def __init__(self, client: Client, aws: dict[str, str]) -> None:
        self.client = client
        self.bucket = aws["ArtifactsBucketName"]
        self.queue_url = aws["PackagerQueueUrl"]
        self.tables = (aws["PluginsTableName"], aws["VersionsTableName"])
        self.s3 = boto3.client("s3", region_name="us-east-1")
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.dynamodb = boto3.client("dynamodb", region_name="us-east-1")

    def status(self) -> tuple[int, dict[str, Any]]:
        response = self.client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers())
        return response.status_code, response.json_body

    def versions(self) -> dict[str, dict[str, Any]]:
        status, body = self.status()
        assert status == 200, body
        return {v["version"]: v for v in body["versions"]}

    def check_update(self, current: str = "1.0.0") -> dict[str, Any]:
        response = self.client.http.get(f"/plugins/{SLUG}/check-update?current_version={current}")
        return response.json_body

    def packages(self) -> dict[str, list[str]]:
        """Every stored object version under packages/: key -> its S3 version ids."""
        listing = self.s3.list_object_versions(Bucket=self.bucket, Prefix="packages/")
        found: dict[str, list[str]] = {}
        for item in listing.get("Versions", []):
            found.setdefault(item["Key"], []).append(item["VersionId"])
        return found

    def package_bytes(self, version: str) -> bytes:
        key = f"packages/wordpress/{SLUG}/{SLUG}-v{version}.zip"
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def items(self) -> list[list[dict[str, Any]]]:
        """The raw items of the plugins and versions tables (timestamps at full precision)."""
        return [
            sorted(self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"], key=repr)
            for table in self.tables
        ]

    def version_items(self) -> list[dict[str, Any]]:
        return self.items()[1]

    def plugin(self) -> dict[str, Any]:
        """The plugin as the admin status shows it, less its last-touched time."""
        status, body = self.status()
        assert status == 200, body
        return {name: value for name, value in body["plugin"].items() if name != "updated_at"}

    def resend(self, body: dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))


@pytest.fixture
def world(client: Client, aws: dict[str, str]) -> Stack:
    return Stack(client, aws)


def raw_keys(outcomes: list[dict[str, Any]], ok: bool) -> list[str]:
    """The object keys, as S3 encoded them, of the notifications that succeeded or failed."""
    return [
        record["s3"]["object"]["key"]
        for o in outcomes
        if o["ok"] is ok
        for record in o["body"].get("Records", [])
    ]


def uploaded_keys(outcomes: list[dict[str, Any]], ok: bool) -> list[str]:
    return [unquote_plus(key) for key in raw_keys(outcomes, ok)]


def publish(world: Stack, packager: Packager, version: str) -> dict[str, Any]:
    upload(world.bucket, f"sources/wordpress/{SLUG}/{version}/x.zip", source_zip())
    outcomes = packager.run()
    assert outcomes and all(o["ok"] for o in outcomes), outcomes
    response = world.client.http.post(
        f"/admin/plugins/{SLUG}/versions/{version}/release", headers=admin_headers()
    )
    assert response.status_code == 200, response.body
    return world.versions()[version]


# bad archives ---------------------------------------------------------------------------------


def test_first_upload_not_a_zip_leaves_only_a_visible_failed_version_and_no_retry(
    world: Stack, packager: Packager
) -> None:
    key = f"sources/wordpress/{SLUG}/1.3.0/x.zip"
    source_version = upload(world.bucket, key, NOT_A_ZIP)

    outcomes = packager.run()

    # Refused once and for all: the same bytes would be refused again, so no retry, no dead letter.
    assert uploaded_keys(outcomes, ok=True) == [key], outcomes
    assert uploaded_keys(outcomes, ok=False) == []
    assert packager.dead_letters() == 0
    assert packager.queued() == 0
    assert world.packages() == {}
    status, body = world.status()
    assert status == 200, body  # the admin can see why the upload went nowhere
    [version] = body["versions"]
    assert version["version"] == "1.3.0"
    assert version["status"] == "failed"
    assert version["failure_code"] == "not_a_zip"
    assert "not a ZIP archive" in version["failure_reason"]
    assert version["source_key"] == key
    # moto's S3 events carry no versionId (real S3's do), so the record may not know it.
    assert version["source_version_id"] in (source_version, "")
    assert version["sha256"] == "" and version["file_size"] == 0
    assert (body["plugin"]["last_failure"]["source_key"], body["plugin"]["last_failure"]["code"]) == (
        key,
        "not_a_zip",
    )
    # Sites are offered nothing, and the failed version cannot be downloaded.
    offer = world.check_update()
    assert (offer["update_available"], offer["reason"]) == (False, "no_release")
    response = world.client.http.get(f"/plugins/{SLUG}/download?version=1.3.0")
    assert_error(response.status_code, response.json_body, 404)


def test_bad_uploads_next_to_a_release_leave_the_release_and_its_bytes_untouched(
    world: Stack, packager: Packager
) -> None:
    released = publish(world, packager, "1.2.0")
    packages = world.packages()
    package = world.package_bytes("1.2.0")
    bad_uploads = [
        # Garbage under the released version's own key.
        ("1.2.0", NOT_A_ZIP, "not_a_zip"),
        # A valid plugin, but different code under a version sites may already have installed.
        (
            "1.2.0",
            source_zip(replace={"uninstall.php": "<?php // changed after the release\n"}),
            "version_exists",
        ),
        # Garbage for a new version: a failed record next to the release.
        ("1.3.0", NOT_A_ZIP, "not_a_zip"),
    ]

    for version, body, code in bad_uploads:
        key = f"sources/wordpress/{SLUG}/{version}/x.zip"
        upload(world.bucket, key, body)

        outcomes = packager.run()

        assert uploaded_keys(outcomes, ok=True) == [key], outcomes
        assert packager.dead_letters() == 0
        assert world.versions()["1.2.0"] == released
        assert world.packages() == packages  # no new object, nor a new version of the old one
        assert world.package_bytes("1.2.0") == package
        offer = world.check_update()
        assert offer["update_available"] is True
        assert (offer["latest_version"], offer["sha256"], offer["file_size"]) == (
            "1.2.0",
            released["sha256"],
            released["file_size"],
        )
        # The refusal is kept where the admin looks, even when the version itself may not change.
        _, status = world.status()
        failure = status["plugin"]["last_failure"]
        assert (failure["source_key"], failure["code"]) == (key, code)
        assert failure["message"]

    assert hashlib.sha256(package).hexdigest() == released["sha256"]
    failed = world.versions()["1.3.0"]
    assert (failed["status"], failed["failure_code"]) == ("failed", "not_a_zip")
    assert set(world.versions()) == {"1.2.0", "1.3.0"}


def test_uploads_under_keys_naming_no_plugin_fail_without_creating_anything(
    world: Stack, packager: Packager
) -> None:
    keys = [
        f"sources/joomla/{SLUG}/1.0.0/x.zip",
        "sources/wordpress/Bad_Slug/1.0.0/x.zip",
        "sources/wordpress/bad..slug/1.0.0/x.zip",
        f"sources/wordpress/{SLUG}/not-a-version!/x.zip",
        f"sources/wordpress/{SLUG}/1.0.0/nested/x.zip",
    ]
    for key in keys:
        upload(world.bucket, key, source_zip())

    outcomes = packager.run()

    assert sorted(uploaded_keys(outcomes, ok=True)) == sorted(keys), outcomes
    assert packager.dead_letters() == 0
    assert world.items() == [[], []]
    assert world.packages() == {}
    status, body = world.status()
    assert_error(status, body, 404)
    response = world.client.http.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0")
    assert_error(response.status_code, response.json_body, 404)


# repeated and encoded events ------------------------------------------------------------------


def test_the_same_notification_twice_changes_nothing(world: Stack, packager: Packager) -> None:
    upload(world.bucket, f"sources/wordpress/{SLUG}/1.2.0/x.zip", source_zip())
    [notification] = [o["body"] for o in packager.run() if o["body"].get("Records")]
    items, plugin, packages = world.version_items(), world.plugin(), world.packages()
    [draft] = world.versions().values()

    world.resend(notification)
    outcomes = packager.run()

    assert [o["ok"] for o in outcomes] == [True]
    assert world.version_items() == items  # created_at to the microsecond, and everything else
    assert world.versions() == {"1.2.0": draft}
    assert world.plugin() == plugin
    assert world.packages() == packages

    # Late again, after the release: still released, same bytes, same times.
    response = world.client.http.post(
        f"/admin/plugins/{SLUG}/versions/1.2.0/release", headers=admin_headers()
    )
    assert response.status_code == 200
    released = world.versions()["1.2.0"]
    items, plugin = world.version_items(), world.plugin()
    world.resend(notification)
    assert [o["ok"] for o in packager.run()] == [True]
    assert world.version_items() == items
    assert world.versions()["1.2.0"] == released
    assert world.plugin() == plugin
    assert world.packages() == packages
    assert released["created_at"] == draft["created_at"]
    assert packager.dead_letters() == 0


def test_keys_s3_had_to_encode_are_decoded_exactly_once(world: Stack, packager: Packager) -> None:
    keys = {
        f"2.0.{n}": f"sources/wordpress/{SLUG}/2.0.{n}/{filename}"
        for n, filename in enumerate(["my file+1.zip", "100% done.zip", "100%25 done.zip", "plügin (2).zip"])
    }
    source_versions = {version: upload(world.bucket, key, source_zip()) for version, key in keys.items()}

    outcomes = packager.run()

    assert all(o["ok"] for o in outcomes), outcomes
    encoded = raw_keys(outcomes, ok=True)
    assert sorted(unquote_plus(k) for k in encoded) == sorted(keys.values())
    assert not set(encoded) & set(keys.values())  # the events really carried encoded keys
    versions = world.versions()
    assert set(versions) == set(keys)
    for version, key in keys.items():
        record = versions[version]
        assert (record["status"], record["source_key"]) == ("draft", key)
        assert record["source_version_id"] == source_versions[version]
        assert hashlib.sha256(world.package_bytes(version)).hexdigest() == record["sha256"]
    assert sorted(world.packages()) == sorted(f"packages/wordpress/{SLUG}/{SLUG}-v{v}.zip" for v in keys)


@pytest.mark.parametrize(
    "first_try",
    [
        source_zip(replace={"uninstall.php": "<?php // first try\n"}),
        NOT_A_ZIP,
    ],
    ids=["older-plugin", "not-a-zip"],
)
def test_a_late_notification_of_an_earlier_upload_does_not_replace_the_newer_one(
    world: Stack, packager: Packager, first_try: bytes
) -> None:
    """S3 delivers at least once and out of order; real events name the object version (moto's
    omit it, so it is added here as S3 would send it)."""
    key = f"sources/wordpress/{SLUG}/1.2.0/x.zip"
    first = upload(world.bucket, key, first_try)
    early = next(o["body"] for o in packager.run() if o["body"].get("Records"))
    early["Records"][0]["s3"]["object"]["versionId"] = first
    second = upload(world.bucket, key, source_zip(replace={"uninstall.php": "<?php // the fix\n"}))
    assert [o["ok"] for o in packager.run()] == [True]
    newer = world.versions()["1.2.0"]
    assert newer["source_version_id"] == second
    package = world.package_bytes("1.2.0")

    world.resend(early)
    packager.run()

    # The admin releases what they uploaded last, not what S3 happened to announce last.
    assert world.versions()["1.2.0"] == newer
    assert world.package_bytes("1.2.0") == package
