"""The plugin a route names, from this container's warm reads (cache validators and our own links:
``api/cacheable.py``)."""

from __future__ import annotations

from functools import lru_cache

from chalicelib.adapters import repository
from chalicelib.logic.hotcache import HotReads
from chalicelib.logic.model import Plugin
from chalicelib.logic.ports import Repository
from chalicelib.logic.visibility import hidden_from_sites, unknown_plugin
from chalicelib.settings import get_settings


def find_plugin(slug: str, *, active_only: bool = True, site_key: bool = False) -> Plugin:
    """The plugin a route names. Sites never see a deactivated one, nor a private one without a
    valid site key (``site_key``): either answers exactly as an unknown slug. Admins see all, and
    read their own writes; sites get it from memory while fresh (``hot``)."""
    plugin = hot().plugin(slug) if active_only else repository().get_plugin(slug)
    if plugin is None or (active_only and hidden_from_sites(plugin, site_key=site_key)):
        raise unknown_plugin(slug)
    return plugin


def hot() -> HotReads:
    """This container's warm reads, for this stage's repository (a new one after
    ``adapters.reset``) and its ``hot_cache_seconds``."""
    return _hot(repository(), get_settings().hot_cache_seconds)


@lru_cache(maxsize=1)
def _hot(repo: Repository, seconds: int) -> HotReads:
    return HotReads(repo, seconds)
