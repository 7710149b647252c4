"""Serving a package: never a private plugin without a site key, rate limits, the version, a fresh
presigned URL, the count.

One path for the public ``download`` (302), the site ``download-url`` (JSON) and an app user's
``track-download`` (JSON). The allowance is the site's when a site key is sent, else the app
user's when the app vouched for one (an office of users shares one address), else the address's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from chalice.app import Request

from chalicelib.adapters import repository, store
from chalicelib.clock import now
from chalicelib.logic.answers import DownloadUrl
from chalicelib.logic.apptoken import AppUser
from chalicelib.logic.decision import choose_download
from chalicelib.logic.model import Plugin, Release, Site, iso
from chalicelib.logic.ratelimit import allow
from chalicelib.logic.release import complete
from chalicelib.logic.release_index import lookup
from chalicelib.logic.telemetry import Telemetry
from chalicelib.logic.visibility import hidden_from_sites, unknown_plugin
from chalicelib.observability import count
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    version: Release
    url: str
    expires_at: str

    def answer(self) -> DownloadUrl:
        return DownloadUrl(
            url=self.url,
            expires_at=self.expires_at,
            version=self.version.version,
            sha256=self.version.sha256,
            file_size=self.version.file_size,
        )


def serve_download(
    plugin: Plugin, pinned: str | None, caller: Site | None, request: Request, user: AppUser | None = None
) -> Served:
    settings = get_settings()
    if hidden_from_sites(plugin, site_key=caller is not None):  # the routes refuse it first
        raise unknown_plugin(plugin.slug)
    moment = now()
    if caller is not None:
        limit = plugin.downloads_per_hour or settings.site_downloads_per_hour
        allow(repository(), f"site#{caller.site_id}#{plugin.slug}", limit, moment)
    elif user is not None:
        allow(repository(), f"user#{user.user_id}#{plugin.slug}", settings.user_downloads_per_hour, moment)
    else:
        source = (request.context.get("identity") or {}).get("sourceIp") or "unknown"
        allow(repository(), f"ip#{source}#{plugin.slug}", settings.anonymous_downloads_per_hour, moment)
    found = lookup(repository(), plugin.slug)
    chosen = choose_download(complete(plugin.releases), pinned, plugin.slug, moment, found)
    ttl = settings.download_url_ttl
    url = store().presign_download(chosen.file_path, f"{plugin.slug}-v{chosen.version}.zip", ttl)
    site_id = caller.site_id if caller is not None else None
    Telemetry(repository(), moment).record_download(plugin.slug, chosen.version, site_id)
    count("Download")
    if user is not None:
        count("AppDownload")
        log.info("app download", extra={"user": user.user_id, "slug": plugin.slug, "version": chosen.version})
    return Served(version=chosen, url=url, expires_at=iso(moment + timedelta(seconds=ttl)) or "")
