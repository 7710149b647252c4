"""What the contract fuzzer (tests/e2e/test_contract_fuzz.py) found, each fixed at its
declaration and pinned here on Chalice's test client: the answer the service gives is the one
``/openapi.json`` declares (status, media type, JSON schema), and errors keep the one shape."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client
from jsonschema import Draft202012Validator

from chalicelib.api.openapi import document

FORM = "application/x-www-form-urlencoded"


def documented(path: str, method: str, answer: Any) -> None:
    """Fail unless the OpenAPI document (what ``/openapi.json`` serves) declares this answer: its
    status (exactly, or its ``4XX`` class), its media type, and, for JSON, a body valid against the
    declared schema."""
    contract = document()
    responses = contract["paths"][path][method]["responses"]
    status = str(answer.status_code)
    declared = responses.get(status) or responses.get(f"{status[0]}XX")
    assert declared is not None, f"{method.upper()} {path}: {status} is not documented"
    media = answer.headers.get("Content-Type", "").split(";")[0].strip()
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
