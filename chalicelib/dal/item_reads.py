"""check-update's reads without pynamodb: one GetItem of the plugin (its release index) and, for
a site that sends its key, one of the site (its key hashes).

The whole app reads these items through pynamodb (``dal/models.py``), whose import, with
botocore's, is about 350 ms of a cold start (``bench/coldstart_bench.py``); check-update's fast
path (``api/hot_check.py``) reads them through the standard-library client (``chalicelib/
aws_json.py``), projected to the attributes it decides on. The item layout is the tables' own
(``dal/models.py``, ``dal/records.py``): the release index is a map of version -> the entry's JSON,
read with the same codec (``logic/release.decode``); timestamps are pynamodb's UTC text.
``tests/contract/test_item_reads.py`` holds both readers to the same items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import aws_json
from chalicelib.logic.moments import parse_moment
from chalicelib.logic.release import Release, decode

#: What check-update reads of a plugin item: the ``Plugin`` fields of ``PluginIndex`` and
#: ``latest`` (an item stored before the index existed has a pointer and no index).
_PLUGIN_ATTRIBUTES = ("slug", "is_active", "private", "rollout_salt", "releases", "latest")
_SITE_ATTRIBUTES = ("key_sha256", "previous_key_sha256", "previous_key_valid_until", "revoked_at")


@dataclass(frozen=True)
class PluginIndex:
    """A plugin as check-update decides on it (``logic/rollout.Salted``, ``logic/visibility.Listed``)."""

    slug: str
    is_active: bool
    private: bool
    rollout_salt: str
    releases: dict[str, Release]


@dataclass(frozen=True)
class SiteKeys:
    """A site's key hashes (``logic/site_keys.KeyHashes``)."""

    key_sha256: str
    previous_key_sha256: str
    previous_key_valid_until: datetime | None
    revoked_at: datetime | None


class Unindexed(LookupError):
    """A plugin stored before the release index existed: the whole app reads its versions and
    builds the index (``DynamoRepository.get_plugin``)."""


def plugin_index(table: str, slug: str) -> PluginIndex | None:
    """The plugin's release index and what decides who sees it; None for no such plugin."""
    item = aws_json.default_client().get_item(
        table, {"slug": slug}, consistent=True, projection=_PLUGIN_ATTRIBUTES
    )
    if item is None:
        return None
    stored: dict[str, Any] = item.get("releases") or {}
    if not stored and item.get("latest"):
        raise Unindexed(slug)
    return PluginIndex(
        slug=str(item["slug"]),
        is_active=bool(item.get("is_active", True)),
        private=bool(item.get("private", False)),
        rollout_salt=str(item.get("rollout_salt") or ""),
        releases={version: decode(text) for version, text in stored.items()},
    )


def site_keys(table: str, site_id: str) -> SiteKeys | None:
    """The site's key hashes; None for no such site."""
    item = aws_json.default_client().get_item(
        table, {"site_id": site_id}, consistent=True, projection=_SITE_ATTRIBUTES
    )
    if item is None:
        return None
    return SiteKeys(
        key_sha256=str(item.get("key_sha256") or ""),
        previous_key_sha256=str(item.get("previous_key_sha256") or ""),
        previous_key_valid_until=_moment(item.get("previous_key_valid_until")),
        revoked_at=_moment(item.get("revoked_at")),
    )


def _moment(value: Any) -> datetime | None:
    return None if value is None else parse_moment(str(value))
