"""What the template promises that moto does not enforce, read from the template itself: a
stack that drifted from these would deploy and pass every moto test."""

from __future__ import annotations

from typing import Any

import pytest

from infra.stack import load_template

#: Tables whose content nobody can recreate need point-in-time recovery; the idempotency table
#: only holds 24-hour keys of work already done.
EPHEMERAL_TABLES = {"IdempotencyTable"}


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    return dict(load_template()["Resources"])


def _of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in resources.items() if r["Type"] == kind}


def test_every_table_is_encrypted_and_every_stateful_one_recoverable(resources: dict[str, Any]) -> None:
    tables = _of_type(resources, "AWS::DynamoDB::Table")
    assert len(tables) >= 7
    for name, props in tables.items():
        assert props.get("SSESpecification", {}).get("SSEEnabled") is True, name
        if name in EPHEMERAL_TABLES:
            continue
        recovery = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        assert recovery is True, f"{name} has no point-in-time recovery"
        assert resources[name].get("DeletionPolicy") == "Retain", name


def test_the_bucket_is_private_versioned_encrypted_and_bounded(resources: dict[str, Any]) -> None:
    (props,) = _of_type(resources, "AWS::S3::Bucket").values()
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert (
        rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        <= 7
    )
    # Only tagged (retired) packages ever expire: a released package stays downloadable.
    packages = [r for r in rules.values() if r.get("Prefix") == "packages/"]
    assert packages and all(
        r.get("TagFilters") == [{"Key": "retention-expirable", "Value": "true"}] for r in packages
    )
    assert resources["ArtifactsBucket"]["DeletionPolicy"] == "Retain"


def test_the_bucket_refuses_anything_but_tls(resources: dict[str, Any]) -> None:
    (props,) = _of_type(resources, "AWS::S3::BucketPolicy").values()
    statements = props["PolicyDocument"]["Statement"]
    deny = next(s for s in statements if s["Effect"] == "Deny" and s["Action"] == "s3:*")
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(deny["Resource"]) == 2  # the bucket and every object in it


def test_queues_are_encrypted_and_failures_are_kept(resources: dict[str, Any]) -> None:
    queues = _of_type(resources, "AWS::SQS::Queue")
    assert all(props.get("SqsManagedSseEnabled") is True for props in queues.values())
    assert queues["PackagerQueue"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["PackagerDeadLetterQueue", "Arn"]
    }
    assert queues["PackagerDeadLetterQueue"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_private_keys_are_kept_and_never_in_a_parameter(resources: dict[str, Any]) -> None:
    secrets = {name: r for name, r in resources.items() if r["Type"] == "AWS::SecretsManager::Secret"}
    assert set(secrets) == {"SigningKeysSecret", "SigningRootKeySecret"}
    assert all(r["DeletionPolicy"] == "Retain" for r in secrets.values())
    for props in _of_type(resources, "AWS::SSM::Parameter").values():
        assert "private" not in str(props.get("Value", "")).lower()
