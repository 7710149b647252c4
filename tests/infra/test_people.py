"""The console's user pool, client and role groups: declared once in infra/template.yaml, made
on moto from that declaration (moto's CloudFormation has no Cognito), found again by name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra import people
from infra.stack import deploy, environment, load_template, stack_outputs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outputs(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield deploy(stage="test")


def test_the_pool_client_and_groups_are_the_templates(outputs: dict[str, str]) -> None:
    cognito = boto3.client("cognito-idp")
    pool_id, client_id = outputs["UserPoolId"], outputs["UserPoolClientId"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == "igny8-plugins-test-console"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["UserPoolTags"] == {"igny8-plugins-console": "test"}  # what the admin policy requires
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    declared = load_template()["Resources"]["AdminUserPoolClient"]["Properties"]
    assert "ClientSecret" not in client  # a public client: people sign in with no AWS credentials
    assert (
        client["ExplicitAuthFlows"]
        == declared["ExplicitAuthFlows"]
        == [
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ]
    )
    assert (client["AccessTokenValidity"], client["RefreshTokenValidity"]) == (1, 12)
    assert client["TokenValidityUnits"] == {
        "AccessToken": "hours",
        "IdToken": "hours",
        "RefreshToken": "hours",
    }
    groups = {g["GroupName"]: g["Precedence"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    assert groups == {"admin": 1, "releaser": 2, "viewer": 3}


def test_ids_reach_the_functions_and_a_second_deploy_creates_nothing(outputs: dict[str, str]) -> None:
    env = environment(outputs)
    assert (env["USER_POOL_ID"], env["USER_POOL_CLIENT_ID"]) == (
        outputs["UserPoolId"],
        outputs["UserPoolClientId"],
    )
    again = deploy(stage="test")
    assert again["UserPoolId"] == outputs["UserPoolId"]
    assert stack_outputs("test")["UserPoolClientId"] == outputs["UserPoolClientId"]
    assert len(boto3.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"]) == 1


def test_an_account_gets_a_policy_password_and_its_role_group(outputs: dict[str, str]) -> None:
    cognito = boto3.client("cognito-idp")
    password = people.create_account(cognito, outputs["UserPoolId"], "ada", "releaser")
    assert len(password) == 24 and not password.isalpha() and password.lower() != password
    assert people.account_exists(cognito, outputs["UserPoolId"], "ada")
    assert not people.account_exists(cognito, outputs["UserPoolId"], "bob")
    groups = cognito.admin_list_groups_for_user(UserPoolId=outputs["UserPoolId"], Username="ada")["Groups"]
    assert [g["GroupName"] for g in groups] == ["releaser"]
    signed_in = cognito.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": password},
    )
    assert signed_in["AuthenticationResult"]["ExpiresIn"] == 3600


def test_the_admin_function_manages_accounts_only_in_its_stages_pool() -> None:
    for stage in ("dev", "prod"):
        policy = json.loads((ROOT / "admin" / ".chalice" / f"policy-{stage}-admin.json").read_text())
        (statement,) = [
            s for s in policy["Statement"] if any(a.startswith("cognito-idp:") for a in s["Action"])
        ]
        assert statement["Resource"] == "arn:aws:cognito-idp:*:*:userpool/*"
        assert statement["Condition"] == {"StringEquals": {"aws:ResourceTag/igny8-plugins-console": stage}}
        # sign-in and sign-out are the public client's calls: the function needs no right for them
        assert not {"cognito-idp:InitiateAuth", "cognito-idp:GlobalSignOut"} & set(statement["Action"])
