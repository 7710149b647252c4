"""A packager that dies mid-run, or meets an AWS fault: the next delivery finishes the job or
records why it could not; no version stays ``pending`` and nothing waits in the dead-letter queue.

A kill is simulated by an exception that is not an ``Exception`` (as SIGKILL or a Lambda timeout
would, it skips every ``except Exception``): Powertools' idempotency record then stays
"in progress" until the invocation's deadline, exactly as after a real crash. SQS redelivers
after its visibility timeout (six times the Lambda's timeout), so always past that deadline: the
tests move the deadline into the past instead of waiting for it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice.local import LambdaContext
from chalice.test import Client

from admin.app import app
from chalicelib import adapters
from chalicelib.settings import get_settings
from chalicelib.storage import S3ArtifactStore
from tests.integration.conftest import Packager, admin_headers, source_zip, sqs_event, upload
from tests.integration.test_exactly_once import _notification

SLUG = "igny8-wp-bridge"
KEY = f"sources/wordpress/{SLUG}/4.0.0/src.zip"
#: The integration stack's PackagerMaxReceiveCount.
LAST_DELIVERY = 2


class Killed(BaseException):
    """The process dying: no ``except Exception`` runs, nothing is recorded."""


class Killer:
    """Kills the packager at each package write (after the version was claimed) while armed."""

    def __init__(self) -> None:
        self.armed = True
        self.kills = 0


@pytest.fixture
def killer(monkeypatch: pytest.MonkeyPatch) -> Killer:
    killer = Killer()
    real = S3ArtifactStore.put_package

    def put_package(self: S3ArtifactStore, *args: Any, **kwargs: Any) -> Any:
        if killer.armed:
            killer.kills += 1
            raise Killed
        return real(self, *args, **kwargs)

    monkeypatch.setattr(S3ArtifactStore, "put_package", put_package)
    return killer


def deliver(client: Client, body: dict[str, Any], *, receive_count: int) -> str:
    """One Lambda invocation of this notification as SQS' ``receive_count``-th delivery."""
    message = {"Body": json.dumps(body), "Attributes": {"ApproximateReceiveCount": str(receive_count)}}
    try:
        app.handler_map["package_sources"](
            sqs_event(client, message), LambdaContext("package_sources", 1769, max_runtime_ms=300_000)
        )
    except Killed:
        return "killed"
    except Exception as exc:  # SQS keeps the message and delivers it again
        return type(exc).__name__
    return "ok"


def deadline_passes(table: str) -> None:
    """Move every in-progress idempotency record's deadline into the past, as time would."""
    dynamodb = boto3.client("dynamodb")
    past = str(int((time.time() - 1) * 1000))
    for item in dynamodb.scan(TableName=table)["Items"]:
        if "in_progress_expiration" in item:
            dynamodb.update_item(
                TableName=table,
                Key={"id": item["id"]},
                UpdateExpression="SET in_progress_expiration = :past",
                ExpressionAttributeValues={":past": {"N": past}},
            )


def versions(client: Client) -> dict[str, dict[str, Any]]:
    response = client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers())
    return {v["version"]: v for v in response.json_body["versions"]}


def claim_status() -> str | None:
    """The version record's status, read from the table (a first upload's plugin appears later)."""
    record = adapters.repository().get_version(SLUG, "4.0.0")
    return None if record is None else record.status.value


def packages(bucket: str) -> list[str]:
    listing = boto3.client("s3").list_object_versions(Bucket=bucket, Prefix="packages/")
    return [v["Key"] for v in listing.get("Versions", [])]


def test_a_packager_killed_after_its_claim_is_finished_by_the_redelivery(
    client: Client, packager: Packager, aws: dict[str, str], killer: Killer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACKAGER_MAX_RECEIVE_COUNT", "5")  # the deployed default: room for retries
    get_settings.cache_clear()
    upload(aws["ArtifactsBucketName"], KEY, source_zip())
    body = _notification(packager)

    # The first run dies between claiming 4.0.0 and writing its package.
    assert deliver(client, body, receive_count=1) == "killed"
    assert claim_status() == "pending"
    # Powertools holds the run as in progress until the invocation's deadline: a duplicate waits.
    assert deliver(client, body, receive_count=2) == "IdempotencyAlreadyInProgressError"

    killer.armed = False  # the next process is healthy
    # SQS redelivers after the visibility timeout, which is always past the Lambda's deadline.
    deadline_passes(aws["IdempotencyTableName"])
    assert deliver(client, body, receive_count=3) == "ok"

    record = versions(client)["4.0.0"]
    assert (record["status"], record["failure_code"]) == ("draft", None)
    assert packages(aws["ArtifactsBucketName"]) == [f"packages/wordpress/{SLUG}/{SLUG}-v4.0.0.zip"]
    assert packager.dead_letters() == 0


def test_a_packager_killed_on_every_delivery_records_it_on_the_last(
    client: Client, packager: Packager, aws: dict[str, str], killer: Killer
) -> None:
    upload(aws["ArtifactsBucketName"], KEY, source_zip())
    body = _notification(packager)

    for delivery in range(1, LAST_DELIVERY):
        assert deliver(client, body, receive_count=delivery) == "killed"
        deadline_passes(aws["IdempotencyTableName"])
    assert claim_status() == "pending"

    # The last delivery does not run it again (it killed every one so far): it records why.
    assert deliver(client, body, receive_count=LAST_DELIVERY) == "ok"

    record = versions(client)["4.0.0"]
    assert (record["status"], record["failure_code"]) == ("failed", "interrupted")
    assert "stopped while packaging" in record["failure_reason"]
    failure = client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body["plugin"][
        "last_failure"
    ]
    assert (failure["source_key"], failure["code"]) == (KEY, "interrupted")
    assert packages(aws["ArtifactsBucketName"]) == []
    assert killer.kills == LAST_DELIVERY - 1
    # A new upload of the version is packaged as usual.
    killer.armed = False
    upload(aws["ArtifactsBucketName"], KEY, source_zip())
    assert deliver(client, _notification(packager), receive_count=1) == "ok"
    assert versions(client)["4.0.0"]["status"] == "draft"


def test_an_aws_fault_is_retried_and_the_retry_packages(
    client: Client, packager: Packager, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = S3ArtifactStore.put_package
    faults = ["SlowDown"]

    def throttled(self: S3ArtifactStore, *args: Any, **kwargs: Any) -> Any:
        if faults:
            error = {"Error": {"Code": faults.pop(), "Message": "Please reduce your request rate."}}
            raise ClientError(error, "PutObject")  # type: ignore[arg-type]
        return real(self, *args, **kwargs)

    monkeypatch.setattr(S3ArtifactStore, "put_package", throttled)
    upload(aws["ArtifactsBucketName"], KEY, source_zip())

    outcomes = [o for o in packager.run() if o["body"].get("Records")]

    assert [o["ok"] for o in outcomes] == [False, True]
    assert versions(client)["4.0.0"]["status"] == "draft"
    assert packager.dead_letters() == 0
    assert packager.queued() == 0
