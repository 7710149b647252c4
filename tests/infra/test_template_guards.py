"""What the template promises that moto does not enforce, read from the template itself: a
stack that drifted from these would deploy and pass every moto test."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.stack import load_template

ROOT = Path(__file__).resolve().parents[2]
CHALICE = ROOT / ".chalice"
#: The control plane's project: the admin API, the packager and the scheduled jobs.
ADMIN_CHALICE = ROOT / "admin" / ".chalice"

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
    assert set(secrets) == {
        "SigningKeysSecret",
        "SigningRootKeySecret",
        "MetadataKeySecret",
        "AppTokenSecret",
    }
    assert all(r["DeletionPolicy"] == "Retain" for r in secrets.values())
    for props in _of_type(resources, "AWS::SSM::Parameter").values():
        assert "private" not in str(props.get("Value", "")).lower()


def test_packages_are_write_once_for_every_principal_but_the_packager(resources: dict[str, Any]) -> None:
    """S3 enforces it (moto does not): no one but the packager's role writes packages/, and no one
    deletes a package's versions, whatever their IAM policies allow."""
    (props,) = _of_type(resources, "AWS::S3::BucketPolicy").values()
    statements = {s.get("Sid"): s for s in props["PolicyDocument"]["Statement"]}
    packages = {"Fn::Sub": "${ArtifactsBucket.Arn}/packages/*"}
    write = statements["OnlyThePackagerWritesPackages"]
    assert (write["Effect"], write["Principal"], write["Action"], write["Resource"]) == (
        "Deny",
        "*",
        "s3:PutObject",
        packages,
    )
    config = json.loads((ADMIN_CHALICE / "config.json").read_text())
    assert "package_sources" in config["lambda_functions"]
    # Chalice names a function's own role <app>-<stage>-<function>.
    packager_role = f":role/{config['app_name']}-${{Stage}}-package_sources"
    assert write["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::Sub"].endswith(packager_role)
    delete = statements["PackagesAreNeverDeleted"]
    assert (delete["Effect"], delete["Principal"], delete["Resource"]) == ("Deny", "*", packages)
    assert set(delete["Action"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert "Condition" not in delete


#: The parts of a resource name a policy cannot know when it is written, and may leave to "*":
#: the account in the bucket's name and the object keys under a prefix, Secrets Manager's random
#: suffix, a log group's stream names. A table, index, queue, parameter or log group has a name.
_UNKNOWABLE = (
    re.compile(r"[a-z0-9-]+-artifacts-\*/[a-z]+/\*"),
    re.compile(r"secret:[a-z0-9-]+-\*"),
    re.compile(r"log-group:/aws/lambda/[A-Za-z0-9_-]+(:log-stream:\*)?"),
    # A user pool's id is generated; the admin policy scopes it by the stage's tag instead
    # (tests/infra/test_people.py checks the condition).
    re.compile(r"userpool/\*"),
)


def wildcards_where_a_name_is_known(resources: list[str]) -> list[str]:
    found = []
    for arn in resources:
        parts = arn.split(":", 5)
        name = parts[5] if len(parts) == 6 else arn
        if "*" in name and not any(rule.fullmatch(name) for rule in _UNKNOWABLE):
            found.append(arn)
    return found


def _policy_resources(document: dict[str, Any]) -> list[str]:
    resources = []
    for statement in document["Statement"]:
        value = statement["Resource"]
        resources += value if isinstance(value, list) else [value]
    return resources


@pytest.mark.parametrize(
    "path",
    sorted([*CHALICE.glob("policy-*.json"), *ADMIN_CHALICE.glob("policy-*.json")]),
    ids=lambda p: p.name,
)
def test_no_function_policy_uses_a_wildcard_where_the_name_is_known(path: Path) -> None:
    resources = _policy_resources(json.loads(path.read_text()))

    assert resources
    assert wildcards_where_a_name_is_known(resources) == []


def test_the_wildcard_check_finds_a_wildcard_name() -> None:
    found = wildcards_where_a_name_is_known(
        [
            "arn:aws:dynamodb:*:*:table/igny8-plugins-dev-plugins/index/*",
            "arn:aws:logs:*:*:log-group:/aws/lambda/*",
            "*",
            "arn:aws:dynamodb:*:*:table/igny8-plugins-dev-plugins",
        ]
    )
    assert found == [
        "arn:aws:dynamodb:*:*:table/igny8-plugins-dev-plugins/index/*",
        "arn:aws:logs:*:*:log-group:/aws/lambda/*",
        "*",
    ]


def test_template_policies_name_their_resources(resources: dict[str, Any]) -> None:
    """Queue and bucket policies reference the resources themselves; "*" only for object keys."""
    for kind in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy"):
        for props in _of_type(resources, kind).values():
            for resource in _policy_resources(props["PolicyDocument"]):
                text = json.dumps(resource)
                assert resource != "*" and ("*" not in text or text.endswith('/*"}')), (kind, resource)


def test_the_packaged_roles_use_no_wildcard_where_the_name_is_known(
    packaged: Path, packaged_admin: Path
) -> None:
    """The same check on what `chalice package` deploys: each function's role as built, in both
    projects (the public edge and the control plane)."""
    templates = [json.loads((output / "sam.json").read_text()) for output in (packaged, packaged_admin)]
    roles = [
        r["Properties"]
        for template in templates
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role"
    ]
    resources = [
        str(resource)
        for role in roles
        for policy in role["Policies"]
        for resource in _policy_resources(policy["PolicyDocument"])
    ]

    assert len(roles) >= 3 and resources
    assert wildcards_where_a_name_is_known(resources) == []
