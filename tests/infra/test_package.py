"""`chalice package` builds the deployable artefact from a fresh clone: nothing at import needs a
deployed stack, and the packager consumes the queue the template names for that stage."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.stack import load_template


def test_the_packager_queue_follows_the_template_naming_for_each_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.settings import packager_queue_name  # noqa: PLC0415 - reads the environment

    rule = load_template()["Resources"]["PackagerQueue"]["Properties"]["QueueName"]["Fn::Sub"]
    monkeypatch.delenv("PACKAGER_QUEUE", raising=False)
    for stage in ("dev", "prod", "local"):
        monkeypatch.setenv("STAGE", stage)
        assert packager_queue_name() == rule.replace("${Stage}", stage)
    monkeypatch.setenv("PACKAGER_QUEUE", "deployed-name")
    assert packager_queue_name() == "deployed-name"


def test_chalice_package_works_on_a_fresh_clone(packaged: Path) -> None:
    template = json.loads((packaged / "sam.json").read_text())
    events = template["Resources"]["PackageSources"]["Properties"]["Events"]
    queue = events["PackageSourcesSqsEventSource"]["Properties"]["Queue"]["Fn::Sub"]
    assert queue.endswith(":igny8-plugins-dev-packager")
    with zipfile.ZipFile(packaged / "deployment.zip") as bundle:
        names = bundle.namelist()
    assert "app.py" in names and "chalicelib/settings.py" in names
    assert not any(n.startswith(("tests/", "igny8_cli/", "plugins/", "infra/")) for n in names)


#: Every grant each function's role has in the deployable artefact, by action: anything beyond
#: these fails. Only the packager may read the private signing key, consume the queue or write
#: packages/; the API (public, site and admin routes) reads packages, tags them for retention,
#: accepts sources (presigned uploads, rollbacks), reads the public keys and the app-token key.
_TABLE_ACTIONS = {
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
}
_LOGS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
ALLOWED = {
    "ApiHandlerRole": _TABLE_ACTIONS
    | _LOGS
    | {
        "s3:GetObject",
        "s3:PutObjectTagging",
        "s3:DeleteObjectTagging",
        "s3:PutObject",
        "ssm:GetParameter",
        "secretsmanager:GetSecretValue",
    },
    "PackageSourcesRole": _TABLE_ACTIONS
    | _LOGS
    | {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:DeleteObjectTagging",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
    },
}


def _grants(template: dict[str, Any], role: str) -> list[tuple[str, str]]:
    grants = []
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            grants += [(action, str(resource)) for action in statement["Action"] for resource in resources]
    return grants


def test_each_function_gets_only_the_permissions_it_needs(packaged: Path) -> None:
    template = json.loads((packaged / "sam.json").read_text())
    functions = {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    roles = {r["Properties"]["Role"]["Fn::GetAtt"][0] for r in functions.values()}
    assert roles == set(ALLOWED), "each function has a role of its own"

    for role, allowed in ALLOWED.items():
        grants = _grants(template, role)
        assert {action for action, _ in grants} == allowed, role
        assert all("*" not in action for action, _ in grants)

    api = _grants(template, "ApiHandlerRole")
    assert not any(a == "s3:PutObject" and "/packages/" in r for a, r in api), (
        "the API never writes a package"
    )
    # Sources (presigned uploads, rollbacks) and the grants that say which admin asked for them.
    assert all("/sources/" in r or "/grants/" in r for a, r in api if a == "s3:PutObject")
    packager_reads = [r for a, r in _grants(template, "PackageSourcesRole") if a == "s3:GetObject"]
    assert any("/grants/" in r for r in packager_reads), "the packager reads who asked for an upload"
    secrets = [r for a, r in _grants(template, "PackageSourcesRole") if a.startswith("secretsmanager:")]
    assert secrets and all("signing-keys" in r and "root" not in r for r in secrets), (
        "no function reads the root"
    )
    api_secrets = [r for a, r in api if a.startswith("secretsmanager:")]
    assert api_secrets and all(r.endswith(("-app-token-*", "-metadata-key-*")) for r in api_secrets), (
        "the API reads the app-token key and the metadata key (answers), never a package signing key"
    )
