"""One error shape everywhere, over real HTTP against the local stack: the hostile table of
tests/hostile_requests.py (unknown routes included, which Chalice's gateway answers before the app)
gives 4xx ``{"error": {"code", "message"}}`` and changes nothing an admin can see."""

from __future__ import annotations

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
