"""API Gateway's own error answers (unknown route, no signature, throttling, its 5xx) are declared
in the service's shape by infra/deploy.py; checked against moto's API Gateway."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from moto import mock_aws

from infra.deploy import GATEWAY_RESPONSES, deployed_rest_api, put_gateway_responses


def _rendered(template: str) -> dict[str, object]:
    """The body as API Gateway renders it: ``messageString`` is already a quoted JSON string."""
    return dict(
        json.loads(
            template.replace("$context.error.messageString", '"Missing Authentication Token"').replace(
                "$context.requestId", "req-1"
            )
        )
    )


def test_every_gateway_response_is_json_in_the_one_error_shape(tmp_path: Path) -> None:
    with mock_aws():
        client = boto3.client("apigateway", region_name="us-east-1")
        api = client.create_rest_api(name="igny8-plugins")["id"]
        root = client.get_resources(restApiId=api)["items"][0]["id"]
        client.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        client.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        (tmp_path / "dev.json").write_text(
            json.dumps(
                {"resources": [{"name": "api_handler"}, {"resource_type": "rest_api", "rest_api_id": api}]}
            )
        )
        assert deployed_rest_api("dev", tmp_path) == api
        put_gateway_responses(api, "api", client)
        answers = {r["responseType"]: r for r in client.get_gateway_responses(restApiId=api)["items"]}
        assert set(GATEWAY_RESPONSES) <= set(answers)
        for response_type, (status, code) in GATEWAY_RESPONSES.items():
            answer = answers[response_type]
            assert answer["responseParameters"]["gatewayresponse.header.Content-Type"] == "'application/json'"
            body = _rendered(answer["responseTemplates"]["application/json"])
            assert body == {"error": {"code": code, "message": body["error"]["message"]}}  # type: ignore[index]
            assert status is None or answer["statusCode"] == status
        assert answers["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
        assert (
            "req-1"
            in _rendered(answers["DEFAULT_5XX"]["responseTemplates"]["application/json"])["error"]["message"]
        )  # type: ignore[index]
        assert client.get_deployments(restApiId=api)["items"]
