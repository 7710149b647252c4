"""``dlq list|retry|drop`` against moto's SQS, through the local stack file as after `make run`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit import test_cli
from tests.unit.test_cli import run

# The CLI harness' autouse fixture: a fresh working directory with a local stack file.
api = test_cli.api

KEY = "sources/wordpress/my-plugin/1.2.0/20261129T091500Z-ab12cd34.zip"


def notification(key: str, version_id: str = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY") -> str:
    """An S3 notification as S3 sends it: the key URL-encoded, spaces as '+'."""
    record = {
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-11-29T09:15:00.123Z",
        "s3": {
            "bucket": {"name": "igny8-plugins-local-artifacts"},
            "object": {"key": key.replace(" ", "+"), "versionId": version_id},
        },
    }
    return json.dumps({"Records": [record]})


class Queues:
    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.dlq = sqs.create_queue(QueueName="packager-dlq")["QueueUrl"]
        self.packager = sqs.create_queue(QueueName="packager")["QueueUrl"]

    def park(self, body: str, receives: int = 1) -> str:
        """A message the packager failed on ``receives`` times, as SQS parks it; its id."""
        message_id = str(self.sqs.send_message(QueueUrl=self.dlq, MessageBody=body)["MessageId"])
        for _ in range(receives):
            handle = self.sqs.receive_message(QueueUrl=self.dlq)["Messages"][0]["ReceiptHandle"]
            self.sqs.change_message_visibility(QueueUrl=self.dlq, ReceiptHandle=handle, VisibilityTimeout=0)
        return message_id

    def bodies(self, url: str) -> list[str]:
        """Every body in the queue, each visible again afterwards."""
        found: dict[str, dict[str, Any]] = {}
        while True:
            batch = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=5)
            fresh = [m for m in batch.get("Messages", []) if m["MessageId"] not in found]
            if not fresh:
                break
            found.update((m["MessageId"], m) for m in fresh)
        for message in found.values():
            self.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return sorted(m["Body"] for m in found.values())


@pytest.fixture
def queues(tmp_path: Path) -> Iterator[Queues]:
    with mock_aws():
        made = Queues(boto3.client("sqs", region_name="us-east-1"))
        stack_file = tmp_path / ".local" / "stack.json"
        stack = json.loads(stack_file.read_text())
        stack |= {"packager_queue_url": made.packager, "dead_letter_queue_url": made.dlq}
        stack_file.write_text(json.dumps(stack))
        yield made


def test_list_shows_each_upload_and_leaves_the_messages_in_place(queues: Queues) -> None:
    first = queues.park(notification("sources/wordpress/my-plugin/1.2.0/my file.zip"), receives=2)
    second = queues.park(notification(KEY, version_id="v2"))

    result = run("dlq", "list", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["queue_url"] == queues.dlq
    by_id = {m["id"]: m for m in document["messages"]}
    assert set(by_id) == {first, second}
    assert by_id[first]["uploads"] == [
        {
            "key": "sources/wordpress/my-plugin/1.2.0/my file.zip",
            "version_id": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
            "uploaded_at": "2026-11-29T09:15:00.123000+00:00",
        }
    ]
    assert by_id[first]["receive_count"] >= 2
    assert by_id[second]["uploads"][0]["key"] == KEY
    # Listing hides nothing: both are there for the next reader at once.
    table = run("dlq", "list")
    assert table.exit_code == 0, table.output
    assert first in table.output and second in table.output
    assert "sources/wordpress/my-plugin/1.2.0/my file.zip" in table.output
    assert len(queues.bodies(queues.dlq)) == 2


def test_list_of_an_empty_queue_says_so(queues: Queues) -> None:
    result = run("dlq", "list")

    assert result.exit_code == 0, result.output
    assert "the dead-letter queue is empty" in result.output


def test_retry_moves_the_named_message_back_to_the_packager_queue(queues: Queues) -> None:
    body = notification(KEY)
    chosen = queues.park(body)
    other = queues.park(notification(KEY, version_id="v2"))

    result = run("dlq", "retry", chosen, "--json")

    assert result.exit_code == 0, result.output
    assert [m["id"] for m in json.loads(result.stdout)["retried"]] == [chosen]
    assert queues.bodies(queues.packager) == [body]
    assert queues.bodies(queues.dlq) == [notification(KEY, version_id="v2")]
    assert other


def test_retry_all_empties_the_dead_letter_queue(queues: Queues) -> None:
    bodies = sorted([notification(KEY), notification(KEY, version_id="v2")])
    for body in bodies:
        queues.park(body)

    result = run("dlq", "retry", "--all")

    assert result.exit_code == 0, result.output
    assert "retried: 2" in result.output
    assert queues.bodies(queues.packager) == bodies
    assert queues.bodies(queues.dlq) == []


def test_drop_asks_first_and_deletes_only_once_confirmed(queues: Queues) -> None:
    message_id = queues.park(notification(KEY))

    declined = run("dlq", "drop", message_id, input="n\n")
    assert declined.exit_code == 1
    assert len(queues.bodies(queues.dlq)) == 1

    dropped = run("dlq", "drop", message_id, "--yes")
    assert dropped.exit_code == 0, dropped.output
    assert queues.bodies(queues.dlq) == []
    assert queues.bodies(queues.packager) == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["dlq", "retry", "no-such-id"], "not_found"),
        (["dlq", "drop", "no-such-id", "--yes"], "not_found"),
        (["dlq", "retry"], "usage"),
        (["dlq", "drop", "--all", "some-id", "--yes"], "usage"),
    ],
)
def test_a_bad_selection_is_refused_and_changes_nothing(queues: Queues, args: list[str], code: str) -> None:
    body = notification(KEY)
    queues.park(body)

    result = run(*args, "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == code
    assert queues.bodies(queues.dlq) == [body]
    assert queues.bodies(queues.packager) == []


def test_without_queues_it_says_where_to_find_them(tmp_path: Path) -> None:
    result = run("dlq", "list", "--json")

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "no_queue"
    assert "--stage" in error["message"]
