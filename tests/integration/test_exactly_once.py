"""The same S3 event delivered many times, at once and out of order, packages exactly once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from chalice.local import LambdaContext
from chalice.test import Client

from admin.app import app
from tests.integration.conftest import Packager, admin_headers, source_zip, upload

SLUG = "igny8-wp-bridge"
KEY = f"sources/wordpress/{SLUG}/3.0.0/src.zip"


def _notification(packager: Packager) -> dict[str, Any]:
    """Take the S3 notification of the upload off the queue (skipping S3's test event)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    while True:
        message = sqs.receive_message(QueueUrl=packager.queue_url, MaxNumberOfMessages=1)["Messages"][0]
        sqs.delete_message(QueueUrl=packager.queue_url, ReceiptHandle=message["ReceiptHandle"])
        body = json.loads(message["Body"])
        if "Records" in body:
            return dict(body)


def _deliver(client: Client, body: dict[str, Any]) -> str:
    """One Lambda invocation with this S3 event; its outcome as a word."""
    event = client.events.generate_sqs_event(message_bodies=[json.dumps(body)], queue_name="packager")
    try:
        # The packager's deployed timeout (.chalice/config.json): idempotency's "in progress" lasts
        # as long as the invocation may, so a slow, loaded machine does not see it lapse mid-run.
        app.handler_map["package_sources"](
            event, LambdaContext("package_sources", 1769, max_runtime_ms=300_000)
        )
    except Exception as exc:  # an in-progress duplicate raises, and SQS delivers it again later
        return type(exc).__name__
    return "ok"


def test_five_concurrent_deliveries_of_one_event_give_one_version_and_one_package(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    bucket = aws["ArtifactsBucketName"]
    upload(bucket, KEY, source_zip())
    body = _notification(packager)

    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(lambda _: _deliver(client, body), range(5)))

    assert "ok" in outcomes
    assert set(outcomes) <= {"ok", "IdempotencyAlreadyInProgressError"}, outcomes
    # Redelivered later (as SQS does for the ones that raised): each returns the stored result.
    assert [_deliver(client, body) for _ in range(5)] == ["ok"] * 5

    versions = client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [("3.0.0", "draft")]
    writes = boto3.client("s3").list_object_versions(
        Bucket=bucket, Prefix=f"packages/wordpress/{SLUG}/{SLUG}-v3.0.0.zip"
    )["Versions"]
    assert len(writes) == 1


def test_a_late_event_of_an_older_upload_delivered_among_duplicates_changes_nothing(
    client: Client, packager: Packager, aws: dict[str, str]
) -> None:
    bucket = aws["ArtifactsBucketName"]
    upload(bucket, KEY, source_zip())
    older = _notification(packager)
    upload(bucket, KEY, source_zip(replace={"readme.txt": "=== Bridge ===\nStable tag: 3.0.0\n"}))
    newer = _notification(packager)
    for body, s3_version in ((older, 0), (newer, 1)):  # moto leaves versionId out of its events
        listing = boto3.client("s3").list_object_versions(Bucket=bucket, Prefix=KEY)["Versions"]
        ids = [v["VersionId"] for v in sorted(listing, key=lambda v: v["LastModified"])]
        body["Records"][0]["s3"]["object"]["versionId"] = ids[s3_version]

    assert _deliver(client, newer) == "ok"
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda body: _deliver(client, body), [older, newer, older, newer]))

    versions = client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body["versions"]
    assert len(versions) == 1
    assert versions[0]["source_version_id"] == newer["Records"][0]["s3"]["object"]["versionId"]
