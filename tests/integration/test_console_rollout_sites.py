"""A halted rollout's failing sites, named for the console (``/admin/plugins/{slug}/rollouts/
halted-sites``), under moto: each site the halt's evidence lists by id, with its name and address;
a site since deleted keeps its id; a viewer may read it, an unknown plugin is a 404."""

from __future__ import annotations

import dataclasses
import json

from chalicelib.adapters import repository
from chalicelib.logic.model import check_version
from tests.integration.console_world import (
    SLUG,
    World,
    world_fixture,  # noqa: F401 - the module's world
)
from tests.integration.test_public_api import assert_error

ROUTE = f"/admin/console/plugins/{SLUG}/rollouts/halted-sites"


def halt(world: World, version: str, sites: list[str]) -> None:
    """A rollout started through the API, then halted as the guard halts it (its evidence naming
    the failing sites by id)."""
    rita = world.sign_in("rita")
    started = world.client.http.post(
        f"/admin/console/plugins/{SLUG}/versions/{version}/rollout",
        headers=rita.headers(),
        body=json.dumps({"plan": [50, 100], "step_hours": 1}).encode(),
    )
    assert started.status_code == 200, started.body
    repo = repository()
    record = repo.get_version(SLUG, check_version(version))
    assert record is not None and record.rollout is not None
    halted = dataclasses.replace(record.rollout, state="halted", evidence={"action": "halt", "sites": sites})
    repo.save_version(dataclasses.replace(record, rollout=halted), expected=record)


def test_a_halts_failing_sites_are_named_for_a_viewer(world: World) -> None:
    vera = world.sign_in("vera")
    before = world.client.http.get(ROUTE, headers=vera.headers())
    assert (before.status_code, before.json_body) == (200, {"halts": []})

    halt(world, "1.1.0", [world.site_id, "deleted-site"])
    answer = world.client.http.get(ROUTE, headers=vera.headers())
    assert answer.status_code == 200, answer.body
    assert answer.json_body == {
        "halts": [
            {
                "version": "1.1.0",
                "sites": [
                    {"site_id": world.site_id, "name": "Shop", "url": "https://shop.example"},
                    {"site_id": "deleted-site", "name": None, "url": None},
                ],
            }
        ]
    }


def test_an_unknown_plugin_is_a_404_and_no_session_a_401(world: World) -> None:
    vera = world.sign_in("vera")
    unknown = world.client.http.get(
        "/admin/console/plugins/no-such-plugin/rollouts/halted-sites", headers=vera.headers()
    )
    assert_error(unknown.status_code, unknown.json_body, 404)
    anonymous = world.client.http.get(ROUTE)
    assert_error(anonymous.status_code, anonymous.json_body, 401)
