"""One error shape everywhere: hostile requests (tests/hostile_requests.py) through the real app on
Chalice's test client are 4xx ``{"error": {"code", "message"}}`` and change no stored record."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice.test import Client

from admin.app import app as admin_app
from app import app as public_app
from tests.hostile_requests import CASES, SLUG, Hostile, check_answer
from tests.integration.conftest import Packager, admin_headers, source_zip, upload


@pytest.fixture
def world(client: Client, aws: dict[str, str]) -> dict[str, str]:
    """The bridge published and one site, as credentials for the table's cases."""
    upload(
        aws["ArtifactsBucketName"], f"sources/wordpress/{SLUG}/1.0.0/src.zip", source_zip(), status="released"
    )
    assert all(outcome["ok"] for outcome in Packager(client, aws).run())
    created = client.http.post(
        "/admin/sites",
        headers={**admin_headers(), "Content-Type": "application/json"},
        body=json.dumps({"name": "Blog", "url": "https://blog.example.com"}).encode(),
    )
    assert created.status_code == 201, created.body
    return {
        "X-IGNY8-Site-ID": created.json_body["site"]["site_id"],
        "X-IGNY8-API-Key": created.json_body["api_key"],
    }


def _everything_stored() -> dict[str, Any]:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    tables = dynamodb.list_tables()["TableNames"]
    return {
        t: sorted(json.dumps(i, sort_keys=True) for i in dynamodb.scan(TableName=t)["Items"]) for t in tables
    }


def _headers(case: Hostile, site: dict[str, str]) -> dict[str, str]:
    headers = dict(case.headers)
    if case.content_type:
        headers["Content-Type"] = case.content_type
    if case.auth == "admin":
        headers |= admin_headers()
    elif case.auth == "site":
        headers |= site
    return headers


def test_hostile_requests_get_a_4xx_in_the_one_error_shape_and_change_nothing(
    client: Client, world: dict[str, str]
) -> None:
    before = _everything_stored()
    for case in CASES:
        if case.http_only:
            continue
        answer = client.http.request(
            case.method, case.path, headers=_headers(case, world), body=case.body or b""
        )
        body = json.loads(answer.body) if answer.body else None
        check_answer(case, answer.status_code, answer.headers.get("Content-Type", ""), body)
    assert _everything_stored() == before


def test_a_form_body_where_wordpress_sends_one_is_accepted(client: Client, world: dict[str, str]) -> None:
    answer = client.http.post(
        f"/plugins/{SLUG}/register-installation",
        headers={**world, "Content-Type": "application/x-www-form-urlencoded"},
        body=b"version=1.0.0&site_url=https%3A%2F%2Fblog.example.com",
    )
    assert answer.status_code == 200, answer.body


def test_an_unexpected_exception_is_a_500_in_the_one_shape_with_a_request_id_and_no_trace(
    client: Client, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import public  # noqa: PLC0415

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(public, "find_plugin", broken)
    answer = client.http.get(f"/plugins/{SLUG}/info")
    assert answer.status_code == 500
    error = json.loads(answer.body)["error"]
    assert error["code"] == "internal_error"
    assert answer.headers["X-Request-Id"] in error["message"]
    assert "secret" not in answer.body.decode() and "Traceback" not in answer.body.decode()


def test_chalices_own_500_and_middleware_failures_are_reshaped_too() -> None:
    """What no view wrapper sees (Chalice's 500 for a non-route failure) still leaves in our shape."""
    from chalice.app import Response  # noqa: PLC0415

    from chalicelib.api.errors import one_error_shape  # noqa: PLC0415

    chalice_500 = Response(
        body={"Code": "InternalServerError", "Message": "An internal server error occurred."}, status_code=500
    )
    answer = one_error_shape(None, lambda _: chalice_500)
    assert answer.status_code == 500 and answer.body["error"]["code"] == "internal_error"

    def boom(_: Any) -> Any:
        raise RecursionError

    answer = one_error_shape(None, boom)
    assert answer.status_code == 500 and set(answer.body["error"]) == {"code", "message"}
    assert all(app.middleware_handlers[0][0] is one_error_shape for app in (public_app, admin_app))
