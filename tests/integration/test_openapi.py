"""The contract, declared once: the OpenAPI document the app serves is valid OpenAPI 3.1, lists
exactly the routes the app registers, and says what the code enforces (limits, credentials)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from app import app
from chalicelib.logic.fields import CHANGELOG_MAX, NAME_MAX
from tests.integration.conftest import admin_headers


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    answer = client.http.get("/openapi.json")
    assert answer.status_code == 200, answer.body
    body: dict[str, Any] = json.loads(answer.body)
    return body


def test_the_served_document_is_valid_openapi_3_1_with_our_base_url(document: dict[str, Any]) -> None:
    validate(document)

    assert document["openapi"] == "3.1.0"
    assert document["servers"][0]["url"].endswith("/api")


def test_every_registered_route_is_documented_and_none_is_invented(document: dict[str, Any]) -> None:
    registered = {(path, method.lower()) for path, entries in app.routes.items() for method in entries}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}

    assert documented == registered
    assert len(documented) >= 30


def test_admin_routes_are_marked_iam_authorised_and_site_routes_need_the_site_key(
    document: dict[str, Any],
) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schemes = {name for requirement in operation["security"] for name in requirement}
            if path.startswith("/admin"):
                assert operation["x-amazon-apigateway-auth"] == {"type": "AWS_IAM"}, (method, path)
                assert "sigv4" in schemes, (method, path)
            elif method == "options":  # a CORS preflight: browsers send it without credentials
                assert operation["security"] == [], path
            elif operation["tags"] == ["sites"]:
                assert {"siteId": [], "siteKey": []} in operation["security"], (method, path)
                assert {} not in operation["security"], (method, path)  # never anonymous
            else:
                assert "sigv4" not in schemes, (method, path)


def test_each_limit_is_published_as_the_code_enforces_it(client: Client, document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["CreateVersion"]["properties"]["changelog"]["maxLength"] == CHANGELOG_MAX
    assert schemas["CreateSite"]["properties"]["name"]["maxLength"] == NAME_MAX
    assert schemas["CreateSite"]["additionalProperties"] is False

    too_long = {"version": "9.9.9", "changelog": "x" * (CHANGELOG_MAX + 1)}
    answer = client.http.post(
        "/admin/plugins/igny8-wp-bridge/versions",
        headers={**admin_headers(), "Content-Type": "application/json"},
        body=json.dumps(too_long).encode(),
    )
    assert answer.status_code == 400
    assert json.loads(answer.body)["error"]["code"] == "invalid_changelog"


def test_site_reports_may_be_sent_as_forms_and_admin_bodies_only_as_json(document: dict[str, Any]) -> None:
    register = document["paths"]["/plugins/{slug}/register-installation"]["post"]["requestBody"]["content"]
    create = document["paths"]["/admin/sites"]["post"]["requestBody"]["content"]

    assert set(register) == {"application/json", "application/x-www-form-urlencoded"}
    assert set(create) == {"application/json"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"hello"),
        ("application/json", b'{"name": ' * 40),
        ("application/json", b'{"colour": "red"}'),
        ("application/x-www-form-urlencoded", b"name=x"),
    ],
)
def test_credentials_are_checked_before_the_body_is_read(
    client: Client, content_type: str, body: bytes
) -> None:
    """Without credentials, whatever the body, an admin route says 401: a caller learns nothing of
    its rules, limits or media types."""
    answer = client.http.post("/admin/sites", headers={"Content-Type": content_type}, body=body)

    assert answer.status_code == 401
    assert json.loads(answer.body)["error"]["code"] == "unauthorized"


def test_a_body_in_an_encoding_the_route_does_not_read_is_415_after_credentials(client: Client) -> None:
    answer = client.http.post(
        "/admin/sites", headers={**admin_headers(), "Content-Type": "text/plain"}, body=b"name=x"
    )

    assert answer.status_code == 415
    assert json.loads(answer.body)["error"]["code"] == "unsupported_media_type"
