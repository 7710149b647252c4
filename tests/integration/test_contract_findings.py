"""What the contract fuzzer (tests/e2e/test_contract_fuzz.py) found, each fixed at its
declaration and pinned here on Chalice's test client: the answer the service gives is the one
``/openapi.json`` declares (status, media type, JSON schema), and errors keep the one shape."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client
from jsonschema import Draft202012Validator

from chalicelib.api.openapi_document import document
from tests.integration.conftest import Packager, admin_headers, source_zip, upload

FORM = "application/x-www-form-urlencoded"
SLUG = "igny8-wp-bridge"


def documented(path: str, method: str, answer: Any) -> None:
    """Fail unless the OpenAPI document (what ``/openapi.json`` serves) declares this answer: its
    status (exactly, or its ``4XX`` class), its media type, and, for JSON, a body valid against the
    declared schema."""
    contract = document()
    responses = contract["paths"][path][method]["responses"]
    status = str(answer.status_code)
    declared = responses.get(status) or responses.get(f"{status[0]}XX")
    assert declared is not None, f"{method.upper()} {path}: {status} is not documented"
    headers = {name.lower(): value for name, value in answer.headers.items()}
    # A view's dict leaves the type out; API Gateway and chalice's local server send it as JSON.
    media = headers.get("content-type", "application/json").split(";")[0].strip()
    content = declared.get("content", {})
    assert media in content, (
        f"{method.upper()} {path} {status}: {media!r} is not documented ({list(content)})"
    )
    if media == "application/json":
        schema = {**content[media]["schema"], "components": contract["components"]}
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(json.loads(answer.body))]
        assert not errors, f"{method.upper()} {path} {status}: {errors}"


def test_a_browser_posting_a_wrong_token_gets_the_sign_in_page_the_document_declares(client: Client) -> None:
    """Found: ``POST /admin/session`` answered its HTML sign-in page (401) where the document
    declared only JSON errors."""
    answer = client.http.post("/admin/session", headers={"Content-Type": FORM}, body=b"token=wrong")

    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("text/html")
    documented("/admin/session", "post", answer)

    as_json = client.http.post(
        "/admin/session", headers={"Content-Type": "application/json"}, body=b'{"token": "wrong"}'
    )
    assert (as_json.status_code, json.loads(as_json.body)["error"]["code"]) == (401, "unauthorized")
    documented("/admin/session", "post", as_json)


def _post(client: Client, path: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.http.post(
        path, headers={**headers, "Content-Type": "application/json"}, body=json.dumps(body).encode()
    )


def test_the_stats_answer_is_declared_and_what_is_sent_matches_it(
    client: Client, aws: dict[str, str]
) -> None:
    """Found: ``GET /admin/plugins/{slug}/stats`` was declared as any object, so nothing checked
    what the dashboard reads; its answer is now declared key by key."""
    upload(
        aws["ArtifactsBucketName"], f"sources/wordpress/{SLUG}/1.0.0/src.zip", source_zip(), status="released"
    )
    assert all(outcome["ok"] for outcome in Packager(client, aws).run())
    created = _post(client, "/admin/sites", admin_headers(), {"name": "Blog", "url": "https://blog.example"})
    site = {
        "X-IGNY8-Site-ID": created.json_body["site"]["site_id"],
        "X-IGNY8-API-Key": created.json_body["api_key"],
    }
    _post(client, f"/plugins/{SLUG}/register-installation", site, {"version": "1.0.0"})
    _post(
        client,
        f"/plugins/{SLUG}/health-check",
        site,
        {"version": "1.0.0", "status": "error", "message": "boom"},
    )
    assert client.http.get(f"/plugins/{SLUG}/download-url", headers=site).status_code == 200

    answer = client.http.get(f"/admin/plugins/{SLUG}/stats?days=3", headers=admin_headers())

    assert answer.status_code == 200
    stats = answer.json_body
    assert (stats["downloads"]["total"], stats["health"]["failing"]) == (1, 1)
    assert stats["health"]["sites"][0]["message"] == "boom"
    documented("/admin/plugins/{slug}/stats", "get", answer)
    declared = document()["paths"]["/admin/plugins/{slug}/stats"]["get"]["responses"]["200"]
    assert "adoption" in declared["content"]["application/json"]["schema"]["required"]
