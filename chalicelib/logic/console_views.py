"""What the console shows that no single record holds: each plugin's latest release at a glance
(the plugins list), and sites by their name and address wherever the statistics or a halted
rollout's evidence list them by id.

The plugins list is read from the plugin items with their release index (one query per platform,
not one per plugin); the sites are read by id, only those the page lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.logic.model import DEFAULT_CHANNEL, Platform, Plugin, PluginVersion, Site
from chalicelib.logic.ports import Repository


def release_overview(plugins: Iterable[Plugin]) -> list[dict[str, Any]]:
    """Each plugin (by slug) with its latest release: on the default channel when it has one there,
    else on the first channel by name; None when nothing is released."""
    return [
        {"slug": p.slug, "name": p.name, "platform": p.platform.value, "latest": _latest(p)}
        for p in sorted(plugins, key=lambda p: p.slug)
    ]


def _latest(plugin: Plugin) -> dict[str, Any] | None:
    if not plugin.latest:
        return None
    channel = DEFAULT_CHANNEL if DEFAULT_CHANNEL in plugin.latest else min(plugin.latest)
    version = plugin.latest[channel]
    release = plugin.releases.get(version)
    return {
        "version": version,
        "channel": channel,
        "status": release.status.value if release else None,
        "rollout_percent": release.rollout_percent if release else 100,
        "force_update": release.force_update if release else False,
        "halted": release.halted if release else False,
    }


def name_sites(stats: dict[str, Any], find: Callable[[str], Site | None]) -> dict[str, Any]:
    """``stats`` (``logic/stats.plugin_stats``) with each failing site's ``name`` and ``url``, and
    the sites below the forced version as ``forced.sites`` (id, name, url) beside their ids. A
    site since deleted keeps its id and gets null for both.

    Each listed site is read by its id (``find``), once: the cost follows the sites the page
    lists, not the fleet (a scan of every site doubled the stats' cost at 100 sites, measured in
    ``bench/console_pages_bench.py``)."""
    health = stats["health"]
    forced = stats["forced"]
    listed = [row["site_id"] for row in health["sites"]] + list(forced["site_ids"])
    named = _namer(listed, find)
    return {
        **stats,
        "health": {**health, "sites": [{**row, **named(row["site_id"])} for row in health["sites"]]},
        "forced": {**forced, "sites": [{"site_id": sid, **named(sid)} for sid in forced["site_ids"]]},
    }


def halted_sites(
    versions: Iterable[PluginVersion], find: Callable[[str], Site | None]
) -> list[dict[str, Any]]:
    """Each halted rollout's failing sites (its halt evidence holds their ids, ``guard/runner``),
    by name and address, so that the person who decides to resume or pull knows which shops broke.
    A site since deleted keeps its id and gets null for both."""
    halts = [
        (v.version, [str(site_id) for site_id in v.rollout.evidence.get("sites", [])])
        for v in versions
        if v.rollout is not None and v.rollout.state == "halted"
    ]
    named = _namer([site_id for _, ids in halts for site_id in ids], find)
    return [
        {"version": version, "sites": [{"site_id": s, **named(s)} for s in ids]} for version, ids in halts
    ]


def _namer(site_ids: Iterable[str], find: Callable[[str], Site | None]) -> Callable[[str], dict[str, Any]]:
    """Names for ``site_ids``, each read once by its id (``find``)."""
    known = {site_id: find(site_id) for site_id in dict.fromkeys(site_ids)}

    def named(site_id: str) -> dict[str, Any]:
        site = known.get(site_id)
        return {"name": site.name if site else None, "url": site.url if site else None}

    return named


def every_plugin(repo: Repository) -> list[Plugin]:
    """Every plugin on every platform: one query per platform."""
    return [plugin for platform in Platform for plugin in repo.plugins_on_platform(platform.value)]
