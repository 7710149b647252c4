"""Staged rollout: which sites a partially rolled-out version is offered to.

A site's bucket is HMAC-SHA256(plugin salt, site id) mapped into 10 000 buckets, and a version at
P % admits buckets below P * 100: one bucket is 0.01 %, so a percentage in hundredths (2.5 %)
admits exactly its share (250 buckets), counted in whole hundredths (no float drift). The bucket never changes for a (plugin, site), so a site keeps
its answer across calls, and raising P only adds buckets: no site that was in ever drops out.
The per-plugin salt keeps one plugin's early sites from being every plugin's early sites.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Protocol

from chalicelib.logic.percent import ALL, hundredths

BUCKETS = 10_000

_WORDPRESS_UA = re.compile(r"^WordPress/(?P<version>[0-9][0-9A-Za-z.+_-]{0,31})(?:;\s*(?P<url>\S+))?")


class Salted(Protocol):
    """What the rollout reads of a plugin: a ``Plugin`` record, or the fast path's reading of its
    item (``api/hot_check.py``)."""

    @property
    def slug(self) -> str: ...
    @property
    def rollout_salt(self) -> str: ...


def salt_of(plugin: Salted) -> str:
    """The plugin's rollout salt (plugins stored before salts existed use their slug)."""
    return plugin.rollout_salt or plugin.slug


def bucket(salt: str, site_id: str) -> int:
    digest = hmac.new(salt.encode(), site_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def admits(percent: float, salt: str, site_id: str | None) -> bool:
    """Whether a site gets a version rolled out to ``percent``; anonymous requests only get full
    rollouts (they cannot be bucketed, and must not all land on one side)."""
    if percent >= 100:
        return True
    if site_id is None or percent <= 0:
        return False
    return bucket(salt, site_id) < hundredths(percent) * (BUCKETS // ALL)


def wordpress_version_from_user_agent(user_agent: str | None) -> str | None:
    """WordPress' HTTP API sends ``WordPress/6.5.2; https://example.com``."""
    match = _WORDPRESS_UA.match(user_agent or "")
    return match.group("version") if match else None
