"""Warm answers from memory: what one container keeps between requests, for a few seconds.

Ten million sites checking twice a day ask about a handful of plugins whose releases change a few
times a week, so a warm container reads each plugin (and its release index) once per ``seconds``
rather than once per check, trusts a site key it verified for as long, and skips recording an offer
it recorded already; it renders each ``info`` answer once per plugin revision. The bound, stated in the README: an answer reflects a release change, a
revoked or rotated key, at most ``seconds`` after it is written (``HOT_CACHE_SECONDS``; 0 turns
every cache off, as the tests that need read-your-writes do). Each cache holds at most ``capacity``
entries, the least recently used going first, so a scan of made-up slugs or keys cannot grow it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from chalicelib.logic.errors import NotFound
from chalicelib.logic.info import info_version, plugin_info
from chalicelib.logic.links import Links
from chalicelib.logic.model import Plugin, Site
from chalicelib.logic.ports import Repository
from chalicelib.logic.ttl_cache import CAPACITY, TtlCache, monotonic


class HotReads:
    """The reads every public request makes, answered from memory while fresh."""

    def __init__(
        self,
        repo: Repository,
        seconds: float,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self.repo = repo
        self._plugins: TtlCache[str, Plugin | None] = TtlCache(seconds, capacity, clock)
        self._platforms: TtlCache[str, list[Plugin]] = TtlCache(seconds, capacity, clock)
        self._sites: TtlCache[tuple[str, str], Site] = TtlCache(seconds, capacity, clock)
        self._offers: TtlCache[tuple[str, str], str] = TtlCache(seconds, capacity, clock)
        self._infos: TtlCache[tuple[str, int, str, str], dict[str, Any]] = TtlCache(seconds, capacity, clock)

    def plugin(self, slug: str) -> Plugin | None:
        """The plugin with its release index (an unknown slug is remembered as unknown too)."""
        return self._plugins.get(slug, lambda: self.repo.get_plugin(slug))

    def platform(self, platform: str) -> list[Plugin]:
        return self._platforms.get(platform, lambda: self.repo.plugins_on_platform(platform))

    def info(self, plugin: Plugin, site_id: str | None, links: Links) -> dict[str, Any]:
        """The info answer for this caller (callers must not change it): the version is decided
        from the index on every call (a site's rollout bucket may change it), the answer about
        it read (one GetItem) and rendered once per plugin revision, which every version save
        moves, so it is never older than the plugin it was rendered with."""
        offered = info_version(plugin, site_id).version

        def render() -> dict[str, Any]:
            whole = self.repo.get_version(plugin.slug, offered)
            if whole is None:  # the index and its versions are written together: a bug if reached
                raise NotFound(f"{plugin.slug} {offered} is not stored", code="no_release")
            return plugin_info(plugin, whole, links)

        return self._infos.get((plugin.slug, plugin.revision, offered, links.base), render)

    def site(self, site_id: str, key: str, authenticate: Callable[[], Site]) -> Site:
        """The site this key proved within ``seconds``, else ``authenticate()`` (constant-time,
        ``Sites.authenticate``). Only successes are kept, under the key's digest, never the key: a
        refusal always takes the full, even path."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self._sites.get((site_id, digest), authenticate)

    def offer_changed(self, site_id: str, slug: str, version: str) -> bool:
        """Whether this offer may differ from the one last recorded for the site (then recording
        it reads the installation); the same offer again within ``seconds`` reads nothing."""
        if self._offers.fresh((site_id, slug)) == version:
            return False
        self._offers.put((site_id, slug), version)
        return True
