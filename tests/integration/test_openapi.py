"""The contract, declared once: each of the two APIs (the public edge at ``/openapi.json``, the
admin API at ``/admin/openapi.json``) serves a valid OpenAPI 3.1 document that lists exactly the
routes its own app registers, and says what the code enforces (limits, credentials)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from admin.app import app as admin_app
from app import app as public_app
from chalicelib.logic.fields import CHANGELOG_MAX, NAME_MAX
from tests.integration.conftest import admin_headers

#: Where each app serves its document, and the app.
DOCUMENTS = {"/openapi.json": public_app, "/admin/openapi.json": admin_app}


def served(client: Client, url: str) -> dict[str, Any]:
    answer = client.http.get(url)
    assert answer.status_code == 200, answer.body
    body: dict[str, Any] = json.loads(answer.body)
    return body


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    """Both documents as one (their paths do not overlap): what a client of the whole service reads."""
    public, admin = (served(client, url) for url in DOCUMENTS)
    assert not set(public["paths"]) & set(admin["paths"])
    return {
        **public,
        "paths": {**public["paths"], **admin["paths"]},
        "components": {"schemas": {**public["components"]["schemas"], **admin["components"]["schemas"]}},
    }


@pytest.mark.parametrize("url", DOCUMENTS)
def test_each_served_document_is_valid_openapi_3_1_with_our_base_url(client: Client, url: str) -> None:
    document = served(client, url)

    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"][0]["url"].endswith("/api")


@pytest.mark.parametrize(("url", "minimum"), [("/openapi.json", 10), ("/admin/openapi.json", 20)])
def test_each_document_lists_exactly_its_own_apps_routes(client: Client, url: str, minimum: int) -> None:
    app = DOCUMENTS[url]
    registered = {(path, method.lower()) for path, entries in app.routes.items() for method in entries}
    documented = {
        (path, method) for path, operations in served(client, url)["paths"].items() for method in operations
    }

    assert documented == registered
    assert len(documented) >= minimum


def test_the_public_edge_serves_no_admin_route_and_the_admin_api_nothing_else() -> None:
    assert not any(path.startswith("/admin") for path in public_app.routes)
    assert all(path.startswith("/admin/") for path in admin_app.routes)
    assert "package_sources" in admin_app.handler_map and "package_sources" not in public_app.handler_map


def test_admin_routes_are_marked_iam_authorised_and_site_routes_need_the_site_key(
    document: dict[str, Any],
) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schemes = {name for requirement in operation["security"] for name in requirement}
            if path in DOCUMENTS:  # each API's own document is public, as it always was
                assert operation["security"] == [], path
            elif path.startswith("/admin/console/"):  # people: a session, never an IAM authorizer
                assert "x-amazon-apigateway-auth" not in operation, (method, path)
                assert schemes == {"consoleSession"}, (method, path)
            elif path.startswith("/admin"):
                assert operation["x-amazon-apigateway-auth"] == {"type": "AWS_IAM"}, (method, path)
                assert operation.get("x-igny8-role") in (None, "viewer", "releaser", "admin"), (method, path)
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


def test_percentages_are_published_as_numbers_to_the_hundredth(document: dict[str, Any]) -> None:
    """What the field rules accept (2.5, 0.01; never a third decimal), and what answers carry."""
    schemas = document["components"]["schemas"]
    hundredths = {"type": "number", "maximum": 100, "multipleOf": 0.01}
    assert schemas["ReleaseSettings"]["properties"]["rollout_percent"]["anyOf"][0] == {
        **hundredths,
        "minimum": 0,
    }
    assert schemas["StartRollout"]["properties"]["plan"]["items"] == {**hundredths, "minimum": 0.01}
    version = schemas["PluginVersion"]["properties"]
    assert version["rollout_percent"]["type"] == "number"
    assert version["rollout_percent"]["multipleOf"] == 0.01
