"""The template, deployed to moto, gives the service what its code and the local stack rely on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from moto import mock_aws

from infra.stack import OUTPUT_ENV, TEMPLATE_PATH, deploy, environment, load_template

ROOT = Path(__file__).resolve().parents[2]
#: Each function's hand-written policy: the public edge's (.chalice/), the admin API's and the
#: packager's (admin/.chalice/, the control plane's project).
POLICY_FILES = {
    (stage, function): ROOT / project / f"policy-{stage}-{function}.json"
    for stage in ("dev", "prod")
    for project, function in (
        (".chalice", "api"),
        ("admin/.chalice", "admin"),
        ("admin/.chalice", "packager"),
    )
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def outputs(aws: None) -> dict[str, str]:
    return deploy(stage="test")


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Every message currently visible, deleted as read, bodies parsed."""
    sqs = boto3.client("sqs")
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def table_names(stage: str) -> list[str]:
    """Table names as the template derives them, so the tests hold no second list."""
    resources = load_template()["Resources"]
    return [
        res["Properties"]["TableName"]["Fn::Sub"].replace("${Stage}", stage)
        for res in resources.values()
        if res["Type"] == "AWS::DynamoDB::Table"
    ]


def test_deploy_returns_every_output(outputs: dict[str, str]) -> None:
    # plus the user pool's ids, looked up by the names the template outputs (infra/people.py)
    assert set(outputs) == set(load_template()["Outputs"]) | {"UserPoolId", "UserPoolClientId"}
    assert outputs["PluginsTableName"] == "igny8-plugins-test-plugins"
    assert outputs["PackagerQueueName"] == "igny8-plugins-test-packager"
    assert outputs["ArtifactsBucketName"] == "igny8-plugins-test-artifacts-123456789012"
    assert outputs["PackagerQueueArn"].endswith(":igny8-plugins-test-packager")


def test_tables_have_the_keys_and_indexes_the_models_use(outputs: dict[str, str]) -> None:
    ddb = boto3.client("dynamodb")

    def keys(schema: list[Any]) -> list[tuple[str, str]]:
        return [(key["AttributeName"], key["KeyType"]) for key in schema]

    plugins = ddb.describe_table(TableName=outputs["PluginsTableName"])["Table"]
    assert keys(plugins["KeySchema"]) == [("slug", "HASH")]
    [platform_index] = plugins["GlobalSecondaryIndexes"]
    assert platform_index["IndexName"] == "platform-index"
    assert keys(platform_index["KeySchema"]) == [("platform", "HASH"), ("slug", "RANGE")]
    assert platform_index["Projection"]["ProjectionType"] == "ALL"

    versions = ddb.describe_table(TableName=outputs["VersionsTableName"])["Table"]
    assert keys(versions["KeySchema"]) == [("slug", "HASH"), ("version_key", "RANGE")]

    installations = ddb.describe_table(TableName=outputs["InstallationsTableName"])["Table"]
    assert keys(installations["KeySchema"]) == [("site_id", "HASH"), ("slug", "RANGE")]
    [slug_index] = installations["GlobalSecondaryIndexes"]
    assert slug_index["IndexName"] == "slug-index"
    assert keys(slug_index["KeySchema"]) == [("slug", "HASH"), ("site_id", "RANGE")]

    idempotency = outputs["IdempotencyTableName"]
    assert keys(ddb.describe_table(TableName=idempotency)["Table"]["KeySchema"]) == [("id", "HASH")]
    ttl = ddb.describe_time_to_live(TableName=idempotency)["TimeToLiveDescription"]
    # moto's CloudFormation drops TimeToLiveSpecification (and moto never expires items anyway).
    if ttl["TimeToLiveStatus"] != "DISABLED":
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}


def test_source_upload_notifies_the_packager_and_package_upload_does_not(outputs: dict[str, str]) -> None:
    s3 = boto3.client("s3")
    bucket = outputs["ArtifactsBucketName"]
    queue_url = outputs["PackagerQueueUrl"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    # S3 (and moto) announce a new notification configuration with an s3:TestEvent.
    assert all(body.get("Event") == "s3:TestEvent" for body in drain(queue_url))

    s3.put_object(Bucket=bucket, Key="packages/wordpress/x/x-1.0.0.zip", Body=b"zip")
    assert drain(queue_url) == []

    s3.put_object(Bucket=bucket, Key="sources/wordpress/x/a.zip", Body=b"zip")
    [event] = drain(queue_url)
    [record] = event["Records"]
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == bucket
    assert unquote_plus(record["s3"]["object"]["key"]) == "sources/wordpress/x/a.zip"


def test_redeploy_keeps_outputs_and_a_single_notification(aws: None) -> None:
    first = deploy(stage="test")
    assert deploy(stage="test") == first
    drain(first["PackagerQueueUrl"])
    boto3.client("s3").put_object(Bucket=first["ArtifactsBucketName"], Key="sources/wordpress/x/b.zip")
    assert len(drain(first["PackagerQueueUrl"])) == 1


def test_a_message_that_keeps_failing_lands_in_the_dead_letter_queue(aws: None) -> None:
    outputs = deploy(
        stage="test", parameters={"PackagerMaxReceiveCount": "1", "PackagerVisibilityTimeout": "0"}
    )
    sqs = boto3.client("sqs")
    queue_url, dlq_url = outputs["PackagerQueueUrl"], outputs["PackagerDeadLetterQueueUrl"]
    drain(queue_url)
    sqs.send_message(QueueUrl=queue_url, MessageBody='{"poison": true}')

    # Received once and not deleted (the packager failed); the next receive redrives it.
    assert len(sqs.receive_message(QueueUrl=queue_url).get("Messages", [])) == 1
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []
    assert drain(dlq_url) == [{"poison": True}]


def test_environment_names_every_setting(outputs: dict[str, str]) -> None:
    env = environment(outputs)
    assert set(env) == set(OUTPUT_ENV.values())
    assert env["PACKAGER_QUEUE"] == "igny8-plugins-test-packager"
    with pytest.raises(KeyError, match="PackagerQueueName"):
        environment({k: v for k, v in outputs.items() if k != "PackagerQueueName"})


def test_stage_cannot_be_passed_twice() -> None:
    with pytest.raises(ValueError, match="stage="):
        deploy(stage="test", parameters={"Stage": "prod"})


@pytest.mark.parametrize(("stage", "function"), sorted(POLICY_FILES))
def test_policy_grants_named_actions_on_every_table(stage: str, function: str) -> None:
    policy = json.loads(POLICY_FILES[stage, function].read_text(encoding="utf-8"))
    statements = policy["Statement"]
    actions = [action for statement in statements for action in statement["Action"]]
    assert all("*" not in action for action in actions)
    assert all(statement["Effect"] == "Allow" for statement in statements)

    resources = [
        resource
        for statement in statements
        for resource in (
            [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        )
    ]
    tables = {f"arn:aws:dynamodb:*:*:table/{table}" for table in table_names(stage)}
    granted = {resource for resource in resources if resource.startswith("arn:aws:dynamodb:")}
    assert granted and all(resource.partition("/index/")[0] in tables for resource in granted)
    # Only the packager keeps idempotency records (one S3 event, one package).
    idempotency = any(resource.endswith("-idempotency") for resource in granted)
    assert idempotency is (function == "packager")
    other_stage = "prod" if stage == "dev" else "dev"
    assert not any(f"igny8-plugins-{other_stage}-" in resource for resource in resources)


def test_template_passes_cfn_lint() -> None:
    cfnlint_api = pytest.importorskip("cfnlint.api", reason="cfn-lint is not installed")
    assert [str(match) for match in cfnlint_api.lint_file(TEMPLATE_PATH)] == []
