"""The local stack's state survives a restart: what moto served is replayed into a fresh moto."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.moto_api import recorder
from moto.server import ThreadedMotoServer

from infra import persistence


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    requests.post(f"{url}/moto-api/reset", timeout=10)
    try:
        yield url
    finally:
        recorder.stop_recording()
        requests.post(f"{url}/moto-api/reset", timeout=10)
        server.stop()


def _client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1")


def test_writes_are_replayed_after_a_restart_and_reads_are_dropped(moto_url: str, tmp_path: Path) -> None:
    persistence.record(tmp_path)
    s3, dynamodb, secrets = (_client(s, moto_url) for s in ("s3", "dynamodb", "secretsmanager"))
    s3.create_bucket(Bucket="artifacts")
    package = os.urandom(200_000)
    s3.put_object(
        Bucket="artifacts",
        Key="packages/p.zip",
        Body=package,
        ChecksumAlgorithm="SHA256",
        Metadata={"sha256": "x"},
    )
    dynamodb.create_table(
        TableName="sites",
        KeySchema=[{"AttributeName": "site_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "site_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="sites", Item={"site_id": {"S": "blog"}, "key": {"S": "k1"}})
    dynamodb.update_item(
        TableName="sites",
        Key={"site_id": {"S": "blog"}},
        UpdateExpression="SET #k = :k",
        ExpressionAttributeNames={"#k": "key"},
        ExpressionAttributeValues={":k": {"S": "k2"}},
    )
    for _ in range(5):
        dynamodb.get_item(TableName="sites", Key={"site_id": {"S": "blog"}})
    secrets.create_secret(Name="signing", SecretString="first")
    secrets.put_secret_value(SecretId="signing", SecretString="second")
    _client("sqs", moto_url).create_queue(QueueName="work")
    recorder.stop_recording()
    with (tmp_path / persistence.FILE_NAME).open("a") as log:
        log.write('{"url": "http://127.0.0.1/cut-short-by-a-cra')  # a crash mid-line

    requests.post(f"{moto_url}/moto-api/reset", timeout=10)  # everything in memory is gone
    replayed = persistence.restore(tmp_path, moto_url)

    assert s3.get_object(Bucket="artifacts", Key="packages/p.zip")["Body"].read() == package
    item = dynamodb.get_item(TableName="sites", Key={"site_id": {"S": "blog"}})["Item"]
    assert item["key"] == {"S": "k2"}
    assert secrets.get_secret_value(SecretId="signing")["SecretString"] == "second"
    assert not _client("sqs", moto_url).list_queues().get("QueueUrls")
    lines = (tmp_path / persistence.FILE_NAME).read_text().splitlines()
    assert len(lines) == replayed == 7  # compacted to the writes: no reads, no SQS, no torn line
    assert all(json.loads(line)["method"] in ("PUT", "POST") for line in lines)


def test_forget_starts_clean(tmp_path: Path) -> None:
    (tmp_path / persistence.FILE_NAME).write_text("{}\n")
    persistence.forget(tmp_path)
    assert persistence.restore(tmp_path, "http://127.0.0.1:9") == 0
