"""The "View details" answer (WordPress' ``plugins_api``, with plugin-update-checker's names) at
a cost that does not grow with the plugin's history: the version is chosen from the release index
by check-update's rule, and only that version is read whole, for its readme sections (what
``info`` alone shows). ``logic/hotcache.py`` keeps the rendered answer per plugin revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.logic.answers import PluginInformation, Sections
from chalicelib.logic.checks import integrity_fields, package_fields, requirement_fields
from chalicelib.logic.decision import latest_offered
from chalicelib.logic.errors import NotFound
from chalicelib.logic.links import Links
from chalicelib.logic.model import DOWNLOADABLE, Plugin, PluginVersion, Release
from chalicelib.logic.readme_html import render, render_changelog, render_faq
from chalicelib.logic.release import complete, ordered
from chalicelib.logic.release_index import upgrade_notice


def info_version(plugin: Plugin, site_id: str | None = None) -> Release:
    """The version ``info`` describes to this caller, from the release index: the highest stable
    one check-update's rules would offer it (``latest_offered``; plugin-update-checker installs
    whatever ``info`` names, so ``info`` must not jump a rollout)."""
    offered = latest_offered(plugin, ordered(plugin.releases), site_id)
    if offered is None:
        raise NotFound(f"{plugin.slug} has no released version yet", code="no_release")
    return offered


def plugin_info(plugin: Plugin, offered: PluginVersion, links: Links) -> dict[str, Any]:
    """The info answer (``answers.PluginInformation``), as JSON, about ``offered``
    (``info_version``'s choice, read whole: only ``info`` shows readme sections). Its ``versions``
    come from the release index, so the answer costs the same whatever the history: every version
    of the channel a site may still download whose package is kept (retention's expiring ones
    are left out, as their links answer 410 once the grace ends)."""
    readme = offered.sections
    sections = Sections(
        description=render(readme.get("description") or offered.description or plugin.description),
        installation=render(readme.get("installation", "")),
        changelog=render_changelog(offered.version, offered.changelog, readme.get("changelog", "")),
        faq=render_faq(readme.get("faq", "")),
    )
    return PluginInformation(
        name=offered.plugin_name or plugin.name,
        slug=plugin.slug,
        version=offered.version,
        author=offered.author,
        author_profile=offered.author_uri,
        homepage=offered.plugin_uri,
        last_updated=_wp_date(offered.released_at),
        released_at=offered.released_at,
        sections=sections,
        upgrade_notice=upgrade_notice(offered),
        download_link=links.download(plugin.slug, offered.version),
        versions={
            v.version: links.download(plugin.slug, v.version)
            for v in complete(plugin.releases)
            if v.status in DOWNLOADABLE and v.channel == offered.channel
        },
        **package_fields(offered),
        **requirement_fields(offered),
        **integrity_fields(plugin.slug, offered, links),
    ).json_body()


def _wp_date(moment: datetime | None) -> str | None:
    """WordPress.org's ``last_updated`` format, which the details modal prints as is."""
    return (
        None
        if moment is None
        else moment.strftime("%Y-%m-%d %-I:%M%p GMT").replace("AM", "am").replace("PM", "pm")
    )
