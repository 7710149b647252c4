"""One error shape everywhere, over real HTTP against the local stack: the hostile table of
tests/hostile_requests.py (unknown routes included, which Chalice's gateway answers before the app)
gives 4xx ``{"error": {"code", "message"}}`` and changes nothing an admin can see."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests

from tests.e2e.conftest import SLUG, Stack
from tests.hostile_requests import CASES, check_answer

pytestmark = pytest.mark.e2e


def _admin(stack: Stack) -> dict[str, str]:
    token = (stack.state_dir / "admin-token").read_text().strip()
    return {"Authorization": f"Bearer {token}"}


def _visible_state(stack: Stack) -> Any:
    headers = _admin(stack)
    return [
        requests.get(f"{stack.api}{path}", headers=headers, timeout=10).json()
        for path in (
            "/admin/plugins",
            f"/admin/plugins/{SLUG}",
            "/admin/sites",
            f"/admin/plugins/{SLUG}/audit",
        )
    ]


def test_hostile_requests_over_http_get_a_4xx_in_the_one_error_shape_and_change_nothing(stack: Stack) -> None:
    created = requests.post(
        f"{stack.api}/admin/sites",
        headers=_admin(stack),
        json={"name": "Hostile", "url": "https://hostile.example.com"},
        timeout=10,
    ).json()
    site = {"X-IGNY8-Site-ID": created["site"]["site_id"], "X-IGNY8-API-Key": created["api_key"]}
    before = _visible_state(stack)
    for case in CASES:
        headers = dict(case.headers)
        if case.content_type:
            headers["Content-Type"] = case.content_type
        headers |= _admin(stack) if case.auth == "admin" else site if case.auth == "site" else {}
        # requests would normalise "/../" away: send the path exactly as written.
        session = requests.Session()
        prepared = requests.Request(
            case.method, stack.api + case.path, headers=headers, data=case.body
        ).prepare()
        prepared.url = stack.api + case.path
        answer = session.send(prepared, timeout=30)
        check_answer(case, answer.status_code, answer.headers.get("Content-Type", ""), answer.json())
    assert _visible_state(stack) == before


def test_unknown_routes_outside_and_inside_the_api_prefix_are_404_in_the_one_shape(stack: Stack) -> None:
    for url in (stack.api.removesuffix("/api") + "/elsewhere", f"{stack.api}/no/such/route/"):
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 404
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json()["error"]["code"] == "not_found"


def _raw(stack: Stack, request: bytes) -> tuple[int | None, dict[str, str], bytes]:
    """One request exactly as written (no client library would send these), and its answer (an
    HTTP/0.9 answer, to a request line without a version, is a bare body: no status)."""
    host, port = stack.api.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    if not data.startswith(b"HTTP/"):
        return None, {}, data
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"BREW /api/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405, "method_not_allowed"),
        (
            b"POST /api/keys HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\nConnection: close\r\n\r\n",
            400,
            "bad_request",
        ),
        (b"GET /api/keys HTTP/1.1\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n", 431, "bad_request"),
        (b"GET /api/" + b"k" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "bad_request"),
        (b"GET /api/keys HTTP/9.9\r\nHost: x\r\n\r\n", None, "bad_request"),
        (b"GET\r\n\r\n", None, "bad_request"),
    ],
)
def test_what_the_http_server_refuses_itself_is_in_the_one_shape_too(
    stack: Stack, request_bytes: bytes, status: int | None, code: str
) -> None:
    answered, headers, body = _raw(stack, request_bytes)
    assert answered == status
    assert status is None or headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message"} and error["code"] == code
