"""``stats SLUG``: the request, the report people read, and the server document under --json."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from igny8_cli import render
from tests.unit import test_cli
from tests.unit.test_cli import FakeApi, run

# The harness's autouse fixture: every test gets a fresh fake API and a local stack pointing at it.
api = test_cli.api

STATS_PATH = "/api/admin/plugins/igny8-wp-bridge/stats"
STATS: dict[str, Any] = {
    "slug": "igny8-wp-bridge",
    "generated_at": "2026-11-21T20:00:00Z",
    "days": 30,
    "downloads": {
        "total": 12,
        "per_version": {"1.0.0": 10, "1.1.0": 2},
        "per_day": [{"day": "2026-11-20", "count": 3}, {"day": "2026-11-21", "count": 9}],
    },
    "installations": {"total": 5, "active": 4, "active_days": 7},
    "version_distribution": [
        {"version": "1.1.0", "count": 3, "share": 0.75},
        {"version": "1.0.0", "count": 1, "share": 0.25},
    ],
    "updates": {"offered": 4, "succeeded": 3, "success_rate": 0.75},
    "health": {
        "failing": 1,
        "sites": [{"site_id": "site_ab12", "status": "error", "at": "2026-11-21T19:00:00Z"}],
    },
    "forced": {"version": "1.1.0", "sites_below": 1, "site_ids": ["site_cd34"]},
    "adoption": {
        "version": "1.1.0",
        "released_at": "2026-11-20T10:00:00Z",
        "curve": [{"hours": 0, "share": 0.0}, {"hours": 6, "share": 0.5}, {"hours": 30, "share": 0.8}],
        "time_to_80_hours": 30.0,
    },
}


def empty_stats() -> dict[str, Any]:
    """A plugin nobody installed yet: every nullable field null, every list empty."""
    document = copy.deepcopy(STATS)
    document["downloads"] = {"total": 0, "per_version": {}, "per_day": []}
    document["installations"] = {"total": 0, "active": 0, "active_days": 7}
    document["version_distribution"] = []
    document["updates"] = {"offered": 0, "succeeded": 0, "success_rate": None}
    document["health"] = {"failing": 0, "sites": []}
    document["forced"] = {"version": None, "sites_below": 0, "site_ids": []}
    document["adoption"] = {"version": None, "released_at": None, "curve": [], "time_to_80_hours": None}
    return document


def line_with(output: str, *words: str) -> str:
    [found] = [line for line in output.splitlines() if all(word in line for word in words)]
    return found


def test_stats_asks_for_30_days_by_default_and_json_is_the_server_document(api: FakeApi) -> None:
    api.on("GET", STATS_PATH, (200, STATS))

    result = run("--json", "stats", "igny8-wp-bridge")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == STATS
    request, rollouts = api.requests  # the planned rollouts' funnels too (none here: not added)
    assert (request.method, request.path, request.query) == ("GET", STATS_PATH, {"days": "30"})
    assert rollouts.path == "/api/admin/plugins/igny8-wp-bridge/rollouts"


def test_stats_days_option_travels_as_a_query(api: FakeApi) -> None:
    api.on("GET", STATS_PATH, (200, {**STATS, "days": 7}))

    result = run("stats", "igny8-wp-bridge", "--days", "7")

    assert result.exit_code == 0, result.output
    assert api.requests[0].query == {"days": "7"}
    assert "igny8-wp-bridge: last 7 days (generated 2026-11-21 20:00)" in result.output


def test_stats_report_shows_headline_bars_adoption_and_failing_sites(api: FakeApi) -> None:
    api.on("GET", STATS_PATH, (200, STATS))

    result = run("stats", "igny8-wp-bridge")

    assert result.exit_code == 0, result.output
    out = result.output
    assert "12" in line_with(out, "Downloads", "12")
    assert "4 active / 5 total" in line_with(out, "Installations")
    assert "75% (3 of 4 offered)" in line_with(out, "Update success rate")
    assert line_with(out, "Failing health checks").split()[-1] == "1"
    assert "1 below 1.1.0: site_cd34" in line_with(out, "Sites below forced version")
    # Version bars scale with the share: 0.75 -> 15 of 20 cells, 0.25 -> 5.
    assert "75%" in line_with(out, "1.1.0", "█")
    assert line_with(out, "1.1.0", "█").count("█") == 15
    assert line_with(out, "1.0.0", "█").count("█") == 5
    assert "downloads per version: 1.0.0 10, 1.1.0 2" in out
    # Downloads per day: the busiest day gets the full bar.
    assert line_with(out, "2026-11-21", "█").count("█") == render.BAR_WIDTH
    assert line_with(out, "2026-11-20", "█").count("█") == 6
    assert "Adoption of 1.1.0 (released 2026-11-20 10:00)" in out
    assert line_with(out, "6 h", "50%").count("█") == 10
    assert line_with(out, "30 h", "80%", "█").count("█") == 16
    assert "time to 80%: 30 h" in out
    assert "error" in line_with(out, "site_ab12")
    assert "2026-11-21 19:00" in line_with(out, "site_ab12")


def test_stats_report_survives_nulls_and_empty_lists(api: FakeApi) -> None:
    api.on("GET", STATS_PATH, (200, empty_stats()))

    result = run("stats", "igny8-wp-bridge")
    as_json = run("--json", "stats", "igny8-wp-bridge")

    assert result.exit_code == 0, result.output
    out = result.output
    assert "no data" in line_with(out, "Update success rate")
    assert "no forced version" in line_with(out, "Sites below forced version")
    assert "0 active / 0 total" in out
    # Version distribution, downloads per day and adoption each say so.
    assert out.count("no data") == 4
    assert "time to 80%" not in out
    assert "█" not in out
    assert json.loads(as_json.stdout) == empty_stats()


def test_stats_adoption_that_has_not_reached_80_percent(api: FakeApi) -> None:
    document = copy.deepcopy(STATS)
    document["adoption"] |= {
        "curve": [{"hours": 0, "share": 0.0}, {"hours": 6, "share": 0.3}],
        "time_to_80_hours": None,
    }
    document["forced"]["site_ids"] = [f"site_{n:02}" for n in range(13)]
    document["forced"]["sites_below"] = 13
    api.on("GET", STATS_PATH, (200, document))

    result = run("stats", "igny8-wp-bridge")

    assert result.exit_code == 0, result.output
    assert "time to 80%: not reached" in result.output
    assert "13 below 1.1.0: site_00" in result.output
    assert "site_09 and 3 more" in result.output
    assert "site_10" not in result.output


@pytest.mark.parametrize("as_json", [False, True])
def test_stats_of_an_unknown_plugin_exits_1(api: FakeApi, as_json: bool) -> None:
    refusal = (404, {"error": {"code": "not_found", "message": "plugin nope not found"}})
    api.on("GET", "/api/admin/plugins/nope/stats", refusal)

    result = run(*(["--json"] if as_json else []), "stats", "nope")

    assert result.exit_code == 1
    if as_json:
        assert json.loads(result.stdout) == refusal[1]
    else:
        assert "error: plugin nope not found (not_found)" in result.stderr


@pytest.mark.parametrize("days", ["0", "-3", "week"])
def test_stats_refuses_a_bad_days_before_any_request(api: FakeApi, days: str) -> None:
    result = run("--json", "stats", "igny8-wp-bridge", "--days", days)

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "usage"
    assert api.requests == []


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0, ""),
        (None, ""),
        (1, "█" * 20),
        (2, "█" * 20),
        (-1, ""),
        (0.5, "█" * 10),
        (0.01, "▎"),
        (0.33, "██████▋"),
    ],
)
def test_bar_scales_to_the_fraction(fraction: Any, expected: str) -> None:
    assert render.bar(fraction) == expected
