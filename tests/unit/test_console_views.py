"""What the console's plugins list and statistics show beyond single records: each plugin's latest
release at a glance, and sites named by their name and address, each read once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from chalicelib.logic.console_views import name_sites, release_overview
from chalicelib.logic.model import Platform, Release, Site, Status
from chalicelib.logic.plugins import new_plugin

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_the_latest_release_is_the_default_channels_with_its_rollout() -> None:
    unreleased = new_plugin("b-plugin", "B", Platform.WORDPRESS, NOW)
    released = dataclasses.replace(
        new_plugin("a-plugin", "A", Platform.SHOPIFY, NOW),
        latest={"beta": "3.0.0", "stable": "2.1.0"},
        releases={
            "2.1.0": Release(version="2.1.0", status=Status.RELEASED, rollout_percent=10, halted=True),
            "3.0.0": Release(version="3.0.0", status=Status.RELEASED, channel="beta"),
        },
    )
    beta_only = dataclasses.replace(
        new_plugin("c-plugin", "C", Platform.WORDPRESS, NOW),
        latest={"beta": "0.9.0"},
        releases={
            "0.9.0": Release(version="0.9.0", status=Status.UPDATE_READY, channel="beta", force_update=True)
        },
    )
    assert release_overview([unreleased, beta_only, released]) == [
        {
            "slug": "a-plugin",
            "name": "A",
            "platform": "shopify",
            "latest": {
                "version": "2.1.0",
                "channel": "stable",
                "status": "released",
                "rollout_percent": 10,
                "force_update": False,
                "halted": True,
            },
        },
        {"slug": "b-plugin", "name": "B", "platform": "wordpress", "latest": None},
        {
            "slug": "c-plugin",
            "name": "C",
            "platform": "wordpress",
            "latest": {
                "version": "0.9.0",
                "channel": "beta",
                "status": "update_ready",
                "rollout_percent": 100,
                "force_update": True,
                "halted": False,
            },
        },
    ]


def test_listed_sites_are_named_each_read_once_and_a_deleted_one_keeps_its_id() -> None:
    shop = Site(
        site_id="site_1",
        name="Shop",
        url="https://shop.example",
        key_sha256="0" * 64,
        key_prefix="k",
        created_at=NOW,
    )
    reads: list[str] = []

    def find(site_id: str) -> Site | None:
        reads.append(site_id)
        return shop if site_id == "site_1" else None

    stats: dict[str, Any] = {
        "slug": "a-plugin",
        "health": {"failing": 2, "sites": [{"site_id": "site_1", "status": "error"}, {"site_id": "gone"}]},
        "forced": {"version": "2.0.0", "sites_below": 1, "site_ids": ["site_1"]},
    }
    named = name_sites(stats, find)
    assert named["health"]["sites"] == [
        {"site_id": "site_1", "status": "error", "name": "Shop", "url": "https://shop.example"},
        {"site_id": "gone", "name": None, "url": None},
    ]
    assert named["forced"] == {
        "version": "2.0.0",
        "sites_below": 1,
        "site_ids": ["site_1"],
        "sites": [{"site_id": "site_1", "name": "Shop", "url": "https://shop.example"}],
    }
    assert reads == ["site_1", "gone"]
    assert named["slug"] == "a-plugin" and stats["health"]["sites"][0] == {
        "site_id": "site_1",
        "status": "error",
    }
