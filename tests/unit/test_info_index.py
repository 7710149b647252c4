"""``info`` from the release index and one version read says what it said when it read every
version whole, on generated histories (releases, pulls, deprecations, retention, rollouts, halted
rollouts, channels, private plugins, sites in and out of rollouts).

The reference below is the path ``info`` took before the index: the version chosen from every
stored version, its download map built from all of them. The one intended difference is that map:
a deprecated version whose package retention let expire is no longer listed (its link answers 410
once the grace ends, and listing every tombstone is what made ``info`` grow with history).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.logic.decision import latest_offered
from chalicelib.logic.errors import NotFound
from chalicelib.logic.info import info_version, plugin_info
from chalicelib.logic.links import Links
from chalicelib.logic.metadata_signing import sealed, serialized
from chalicelib.logic.model import DOWNLOADABLE, PluginVersion, RolloutPlan, Status
from tests.unit.fakes import FakeRepository
from tests.unit.test_updates import make_plugin, make_version

LINKS = Links("https://plugins.test/api")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SLUG = "igny8-wp-bridge"
SITES = [None, *(f"site-{n:04d}-0000-4000-8000-000000000000" for n in range(6))]


def reference(plugin: Any, versions: list[PluginVersion], site_id: str | None) -> dict[str, Any]:
    """What ``info`` answered from every version, whole: the choice and the download map as they
    were, the rendering of the chosen version shared (it did not change)."""
    offered = latest_offered(plugin, versions, site_id)
    if offered is None:
        raise NotFound(f"{plugin.slug} has no released version yet", code="no_release")
    answer = plugin_info(plugin, offered, LINKS)
    answer["versions"] = {
        v.version: LINKS.download(plugin.slug, v.version)
        for v in versions
        if v.status in DOWNLOADABLE and v.channel == offered.channel
    }
    return answer


def indexed(repo: FakeRepository, site_id: str | None) -> dict[str, Any]:
    plugin = repo.get_plugin(SLUG)
    assert plugin is not None
    whole = repo.get_version(SLUG, info_version(plugin, site_id).version)
    assert whole is not None
    return plugin_info(plugin, whole, LINKS)


def history(rng: random.Random) -> FakeRepository:
    """A plugin and a random history of up to 40 versions, stored as the repository keeps them."""
    repo = FakeRepository()
    repo.save_plugin(make_plugin(private=rng.random() < 0.3, description="From the plugin record."))
    for n in range(rng.randint(0, 40)):
        status = rng.choice([*Status, Status.RELEASED, Status.DEPRECATED])
        version = f"1.{n // 3}.{n % 3}" + ("-beta1" if rng.random() < 0.15 else "")
        fields: dict[str, Any] = {
            "channel": "beta" if rng.random() < 0.2 else "stable",
            "rollout_percent": rng.choice([100, 100, 100, 50, 10, 0]),
            "force_update": rng.random() < 0.15,
            "offer_above": rng.choice([None, None, "1.0.0"]),
            "released_at": NOW - timedelta(days=40 - n, minutes=n * 7),
            "sections": {"description": f"Release {n}.", "upgrade_notice": f"= {version} =\nNotice {n}."},
            "author": rng.choice(["", "IGNY8"]),
        }
        if status is Status.DEPRECATED and rng.random() < 0.5:
            fields["package_expires_at"] = NOW + timedelta(days=rng.choice([-5, 30]))
        if rng.random() < 0.1:
            fields["rollout"] = RolloutPlan(
                steps=[10, 100], step_hours=24, step_started_at=NOW, state="halted"
            )
        repo.save_version(make_version(version, status, **fields), expected=None)
    return repo


def answers(repo: FakeRepository, site_id: str | None) -> tuple[str | None, str | None]:
    """The reference's bytes and the index path's, as sent (sealed, serialized); None: 404
    ``no_release``."""
    plugin = repo.get_plugin(SLUG)
    assert plugin is not None
    outcomes: list[str | None] = []
    paths: list[Callable[[], dict[str, Any]]] = [
        lambda: reference(plugin, repo.versions(SLUG), site_id),
        lambda: indexed(repo, site_id),
    ]
    for answer in paths:
        try:
            outcomes.append(serialized(sealed(answer(), NOW)))
        except NotFound as refused:
            assert refused.code == "no_release"
            outcomes.append(None)
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("seed", range(60))
def test_info_from_the_index_says_byte_for_byte_what_info_from_every_version_said(seed: int) -> None:
    repo = history(random.Random(seed))
    kept = {v.version for v in repo.versions(SLUG) if v.package_expires_at is None}
    for site_id in SITES:
        before, after = answers(repo, site_id)
        if before is None:
            assert after is None
            continue
        assert after == without_expiring(before, kept)


def without_expiring(text: str, kept: set[str]) -> str:
    """The reference's bytes with retention's expiring packages left out of ``versions``."""
    answer = json.loads(text)
    answer["versions"] = {v: link for v, link in answer["versions"].items() if v in kept}
    return serialized(answer)


def test_the_generated_histories_cover_what_info_decides_on() -> None:
    """Not a vacuous comparison: the histories offer, refuse, split by rollout and by retention."""
    seen: set[str] = set()
    for seed in range(60):
        repo = history(random.Random(seed))
        versions = repo.versions(SLUG)
        plugin = repo.get_plugin(SLUG)
        assert plugin is not None
        offered = {site_id: latest_offered(plugin, versions, site_id) for site_id in SITES}
        if None in offered.values():
            seen.add("no release for someone")
        if len({v.version for v in offered.values() if v}) > 1:
            seen.add("sites told different versions")
        if any(v.package_expires_at for v in versions if v.status is Status.DEPRECATED):
            seen.add("retention")
        if plugin.private:
            seen.add("private")
        if any(v.halted for v in versions if v.status is Status.RELEASED):
            seen.add("halted")
        if any(v.channel == "beta" and v.status is Status.RELEASED for v in versions):
            seen.add("beta")
    assert seen == {
        "no release for someone",
        "sites told different versions",
        "retention",
        "private",
        "halted",
        "beta",
    }
