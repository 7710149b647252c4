"""Audit trails page, newest first, under moto (DynamoDB's own ordering): each page names the next
(``next``, null on the last), pages neither overlap nor skip, and a cursor that this service did
not make for this trail, or a page size out of bounds, is a 400 that reads nothing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters import repository
from chalicelib.logic.model import AuditEntry
from tests.integration.conftest import admin_headers
from tests.integration.console_world import (
    World,
    world_fixture,  # noqa: F401 - the module's world
)
from tests.integration.test_public_api import assert_error

TRAIL = "paged-plugin"
ENTRIES = 45
START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def trail(world: World) -> list[str]:
    """``ENTRIES`` actions on one plugin's trail, a minute apart; their versions, newest first.
    Two share their moment, as one rollback's entries do: both must come, once each."""
    for n in range(ENTRIES):
        at = START + timedelta(minutes=min(n, ENTRIES - 2))
        repository().append_audit(
            AuditEntry(
                slug=TRAIL, at=at, actor="ada", action="configure", version=f"1.0.{n}", before={}, after={}
            )
        )
    return [f"1.0.{n}" for n in reversed(range(ENTRIES))]


def read(world: World, path: str, **query: str) -> Any:
    return world.client.http.get(
        path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
        headers=admin_headers(),
    )


def test_pages_go_from_the_newest_to_the_oldest_entry_once_each(world: World, trail: list[str]) -> None:
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    while True:
        page = read(
            world, f"/admin/plugins/{TRAIL}/audit", limit="20", **({"cursor": cursor} if cursor else {})
        )
        assert page.status_code == 200, page.body
        seen += [e["version"] for e in page.json_body["entries"]]
        sizes.append(len(page.json_body["entries"]))
        cursor = page.json_body["next"]
        if cursor is None:
            break
    assert sizes == [20, 20, 5]
    assert seen == trail  # newest first (the two sharing a moment: the last appended first), once each

    whole = read(world, f"/admin/plugins/{TRAIL}/audit")  # without a cursor: the newest 100, as before
    assert len(whole.json_body["entries"]) == ENTRIES and whole.json_body["next"] is None


def _cursor(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"cursor": ""}, "invalid_cursor"),
        ({"cursor": "not-a-cursor!"}, "invalid_cursor"),
        ({"cursor": _cursor({"scope": TRAIL})}, "invalid_cursor"),
        ({"cursor": _cursor({"scope": TRAIL, "before": "x' OR 1=1 --"})}, "invalid_cursor"),
        ({"cursor": _cursor({"scope": "_sites", "before": "2026-11-01T00:00:00Z#1#ab"})}, "invalid_cursor"),
        ({"cursor": "A" * 400}, "invalid_cursor"),
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "101"}, "invalid_limit"),
        ({"limit": "ten"}, "invalid_limit"),
    ],
    ids=[
        "empty",
        "garbage",
        "no-position",
        "bad-position",
        "another-trail",
        "too-long",
        "zero",
        "too-many",
        "words",
    ],
)
def test_a_forged_cursor_or_a_bad_page_size_is_a_400(
    world: World, trail: list[str], query: dict[str, str], code: str
) -> None:
    answer = read(world, f"/admin/plugins/{TRAIL}/audit", **query)
    assert_error(answer.status_code, answer.json_body, 400, code)


def test_the_sites_trail_pages_too_and_refuses_a_plugins_cursor(world: World, trail: list[str]) -> None:
    first = read(world, "/admin/sites/audit", limit="1")
    assert first.status_code == 200, first.body
    assert len(first.json_body["entries"]) == 1
    plugins = read(world, f"/admin/plugins/{TRAIL}/audit", limit="1").json_body["next"]
    refused = read(world, "/admin/sites/audit", cursor=plugins)
    assert_error(refused.status_code, refused.json_body, 400, "invalid_cursor")
