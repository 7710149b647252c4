"""Serving a package: never a private plugin without a site key, rate limits, the version, a fresh
presigned URL, the count.

One path for the public ``download`` (302) and the site ``download-url`` (JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalice.app import Request

from chalicelib.adapters import now, repository, store
from chalicelib.logic.model import Plugin, Release, Site, iso
from chalicelib.logic.ratelimit import allow
from chalicelib.logic.release_index import complete, lookup
from chalicelib.logic.telemetry import Telemetry
from chalicelib.logic.updates import choose_download, hidden_from_sites, unknown_plugin
from chalicelib.observability import count
from chalicelib.settings import get_settings


@dataclass(frozen=True)
class Served:
    version: Release
    url: str
    expires_at: str


def serve_download(plugin: Plugin, pinned: str | None, caller: Site | None, request: Request) -> Served:
    settings = get_settings()
    if hidden_from_sites(plugin, site_key=caller is not None):  # the routes refuse it first
        raise unknown_plugin(plugin.slug)
    moment = now()
    if caller is not None:
        limit = plugin.downloads_per_hour or settings.site_downloads_per_hour
        allow(repository(), f"site#{caller.site_id}#{plugin.slug}", limit, moment)
    else:
        source = (request.context.get("identity") or {}).get("sourceIp") or "unknown"
        allow(repository(), f"ip#{source}#{plugin.slug}", settings.anonymous_downloads_per_hour, moment)
    found = lookup(repository(), plugin.slug)
    chosen = choose_download(complete(plugin.releases), pinned, plugin.slug, moment, found)
    ttl = settings.download_url_ttl
    url = store().presign_download(chosen.file_path, f"{plugin.slug}-v{chosen.version}.zip", ttl)
    Telemetry(repository(), moment).record_download(plugin.slug, chosen.version)
    count("Download")
    return Served(version=chosen, url=url, expires_at=iso(moment + timedelta(seconds=ttl)) or "")
