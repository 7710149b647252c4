"""check-update's fast path reads the plugin and site items without pynamodb
(``dal/item_reads.py``): for items the repository wrote, it must read what the repository reads,
field for field, or the two paths would decide differently."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.dal.item_reads import PluginIndex, SiteKeys, Unindexed, plugin_index, site_keys
from chalicelib.dal.models import PluginModel
from chalicelib.dal.repository import DynamoRepository
from chalicelib.logic.commands import CreateSite
from chalicelib.logic.model import Plugin, Site, Status
from chalicelib.logic.sites import Sites
from chalicelib.settings import get_settings
from tests.contract.test_repository_contract import NOW, plugin, version


def _as_index(record: Plugin) -> PluginIndex:
    return PluginIndex(record.slug, record.is_active, record.private, record.rollout_salt, record.releases)


def _as_keys(record: Site) -> SiteKeys:
    return SiteKeys(
        record.key_sha256, record.previous_key_sha256, record.previous_key_valid_until, record.revoked_at
    )


@pytest.mark.parametrize(
    "fields",
    [{}, {"private": True, "rollout_salt": "9c1f0e7a2b3d4c5e"}, {"is_active": False}],
    ids=["public", "private and salted", "deactivated"],
)
def test_a_plugin_reads_as_the_repository_reads_it(
    dynamo: DynamoRepository, fields: dict[str, object]
) -> None:
    slug = f"reads-{len(fields)}-{'-'.join(sorted(fields)) or 'none'}".replace("_", "-")
    dynamo.save_plugin(plugin(slug, **fields))
    for number, status in (
        ("1.0.0", Status.DEPRECATED),
        ("1.1.0", Status.PULLED),
        ("1.2.0", Status.RELEASED),
    ):
        made = version(
            number, slug, status, sha256="ab" * 32, rollout_percent=2.5, released_at=NOW, force_update=True
        )
        dynamo.save_version(made, expected=None)
    stored = dynamo.get_plugin(slug)
    assert stored is not None and set(stored.releases) == {"1.0.0", "1.1.0", "1.2.0"}

    assert plugin_index(get_settings().plugins_table, slug) == _as_index(stored)


def test_no_plugin_reads_as_none(dynamo: DynamoRepository) -> None:
    assert plugin_index(get_settings().plugins_table, "no-such-plugin") is None


def test_a_plugin_stored_before_the_index_is_left_to_the_repository_which_builds_it(
    dynamo: DynamoRepository,
) -> None:
    dynamo.save_plugin(plugin("reads-unindexed"))
    PluginModel.get("reads-unindexed").update(actions=[PluginModel.latest.set({"stable": "1.0.0"})])

    with pytest.raises(Unindexed):
        plugin_index(get_settings().plugins_table, "reads-unindexed")


def test_a_sites_key_hashes_read_as_the_repository_reads_them_through_rotation_and_revocation(
    dynamo: DynamoRepository,
) -> None:
    sites = Sites(dynamo, NOW, timedelta(hours=1))
    table = get_settings().sites_table
    created, _ = sites.create(CreateSite(name="Shop", url="https://shop.example", site_id="site-reads"))
    assert site_keys(table, "site-reads") == _as_keys(created)
    rotated, _ = sites.rotate("site-reads")
    assert rotated.previous_key_valid_until is not None
    assert site_keys(table, "site-reads") == _as_keys(rotated)
    revoked = sites.revoke("site-reads")
    assert revoked.revoked_at is not None
    assert site_keys(table, "site-reads") == _as_keys(revoked)
    assert site_keys(table, "site-absent") is None
