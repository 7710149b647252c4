"""The ``latest`` card: the platform's most recently released plugin (check-update is
``logic/checks.py``).

Pure functions of the release index's entries (``logic/release_index.py``); ``logic/info.py``
answers ``info`` from them and one whole version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from chalicelib.logic.answers import LatestCard
from chalicelib.logic.checks import package_fields
from chalicelib.logic.decision import latest_offered
from chalicelib.logic.errors import NotFound
from chalicelib.logic.links import Links
from chalicelib.logic.model import Plugin, PluginVersion, Release
from chalicelib.logic.visibility import hidden_from_sites

#: A version as an answer describes it: whole, or its release index entry (the same names).
Described = PluginVersion | Release


def latest_for_platform(
    plugins: list[Plugin],
    platform: str,
    links: Links,
    versions_of: Callable[[str], Sequence[Described]],
    *,
    site_key: bool = False,
) -> dict[str, Any]:
    """The seed front-end's "download our plugin" card: the most recently released plugin that
    this caller may see (a private plugin only with a valid site key)."""
    best: tuple[Plugin, Described] | None = None
    for plugin in plugins:
        if hidden_from_sites(plugin, site_key=site_key):
            continue
        offered = latest_offered(plugin, versions_of(plugin.slug))
        if offered and (best is None or _later(offered.released_at, best[1].released_at)):
            best = (plugin, offered)
    if best is None:
        raise NotFound(f"no released plugin for platform {platform}", code="no_release")
    plugin, offered = best
    return LatestCard(
        name=offered.plugin_name or plugin.name,
        slug=plugin.slug,
        platform=plugin.platform,
        version=offered.version,
        download_url=links.download(plugin.slug, offered.version),
        info_url=links.info(plugin.slug),
        released_at=offered.released_at,
        **package_fields(offered),
    ).json_body()


def _later(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a > b)
