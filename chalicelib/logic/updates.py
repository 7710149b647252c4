"""What sites are told: check-update, plugin information and downloads, as WordPress expects them.

Pure functions of the release index's entries (``logic/release_index.py``); ``logic/info.py``
answers ``info`` from them and one whole version. Links handed to sites are always our own stable
endpoints pinned to one version: WordPress caches an offer for 12 hours, a presigned URL lives
minutes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

from chalicelib.logic.answers import (
    LatestCard,
    NothingToShow,
    NoUpdate,
    Reason,
    UpdateOffer,
    WordPressUpdateItem,
)
from chalicelib.logic.decision import Candidate, SiteRequest, choose_download, decide, latest_offered
from chalicelib.logic.errors import InvalidInput, NotFound
from chalicelib.logic.model import (
    DEFAULT_CHANNEL,
    DOWNLOADABLE,
    OFFERED,
    SITE_ID_RE,
    Plugin,
    PluginVersion,
    Release,
    check_version,
)
from chalicelib.logic.release_index import full, upgrade_notice
from chalicelib.logic.rollout import wordpress_version_from_user_agent
from chalicelib.logic.site_inputs import CheckUpdateQuery
from chalicelib.logic.versions import version_compare

#: The decisions behind the answers, importable from here as before the split.
__all__ = [
    "Links",
    "SiteRequest",
    "check_site_id",
    "check_update",
    "choose_download",
    "decide",
    "hidden_from_sites",
    "latest_for_platform",
    "latest_offered",
    "parse_current_version",
    "site_request",
    "unknown_plugin",
    "upgrade_notice",
]

#: A version as an answer describes it: whole, or its release index entry (the same names).
Described = PluginVersion | Release

#: A release number at the start of a reported version, before a distribution's suffix.
_RELEASE = re.compile(r"\d+(?:\.\d+)+(?=[-~+_]|$)")


@dataclass(frozen=True)
class Links:
    """Builds the public URLs of one deployment, e.g. base ``https://api.igny8.com/api``."""

    base: str

    def download(self, slug: str, version: str) -> str:
        return f"{self.base}/plugins/{slug}/download/?version={quote(version, safe='')}"

    def info(self, slug: str) -> str:
        return f"{self.base}/plugins/{slug}/info/"

    def signature(self, slug: str, version: str) -> str:
        return f"{self.base}/plugins/{slug}/signature/?version={quote(version, safe='')}"


def hidden_from_sites(plugin: Plugin, *, site_key: bool) -> bool:
    """Whether a public or site route must answer as if this plugin did not exist: it is
    deactivated, or private and the caller sent no valid site key. Such an answer is the one an
    unknown slug gets (``unknown_plugin``), so whether a private plugin exists does not leak."""
    return not plugin.is_active or (plugin.private and not site_key)


def unknown_plugin(slug: str) -> NotFound:
    """The one refusal for a plugin that does not exist or that this caller may not know of."""
    return NotFound(f"no plugin {slug!r}")


def site_request(query: CheckUpdateQuery, *, site_id: str | None, user_agent: str | None) -> SiteRequest:
    """What a site sent (query, headers, WordPress' User-Agent), as one request; 400 on garbage.

    plugin-update-checker (PUC) names the site's version ``installed_version`` and sends PHP's own
    ``phpversion()`` as ``php``. What a site states on purpose (``current_version``, ``wp_version``,
    ``php_version``) must be a version; what its software reports by itself (the User-Agent, PUC's
    ``php``, e.g. Debian's ``8.2.7-1~deb12u1``) is used when it reads as one and otherwise ignored,
    as a site cannot change it.
    """
    stated = _optional_version(query.wp_version, "wp_version")
    reported = None if stated else _reported_version(wordpress_version_from_user_agent(user_agent))
    return SiteRequest(
        current=parse_current_version(query.current_version, query.installed_version),
        channel=query.channel or DEFAULT_CHANNEL,
        site_id=check_site_id(site_id),
        wp_version=stated or reported,
        php_version=_optional_version(query.php_version, "php_version") or _reported_version(query.php),
        read_user_agent=reported is not None,
    )


def check_site_id(site_id: str | None) -> str | None:
    """The ``X-IGNY8-Site-ID`` a request claims (for rollout buckets), if well formed."""
    if site_id is not None and not SITE_ID_RE.fullmatch(site_id):
        raise InvalidInput("X-IGNY8-Site-ID is not a valid site id", code="invalid_site_id")
    return site_id


def _optional_version(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return check_version(value)
    except InvalidInput:
        raise InvalidInput(f"{name} {value!r} is not a version", code=f"invalid_{name}") from None


def _reported_version(value: str | None) -> str | None:
    """The whole value when it is a version (WordPress compares ``PHP_VERSION`` whole), else its
    release number (``8.2.7`` of ``8.2.7-1~deb12u1``), else nothing."""
    release = _RELEASE.match(value.strip()) if value is not None else None
    for candidate in (value, release.group() if release else None):
        try:
            return None if candidate is None else check_version(candidate)
        except InvalidInput:
            continue
    return None


def parse_current_version(value: str | None, alias: str | None = None) -> str:
    """The site's version from ``current_version`` or PUC's ``installed_version`` (the same value
    if both are given)."""
    given = [check_version(v) for v in (value, alias) if v is not None and v.strip()]
    if not given:
        raise InvalidInput(
            "current_version (or installed_version) is required, e.g. ?current_version=1.0.0",
            code="missing_parameter",
        )
    if len(given) == 2 and given[0] != given[1]:
        raise InvalidInput(
            f"current_version {given[0]!r} and installed_version {given[1]!r} disagree; send one",
            code="conflicting_parameters",
        )
    return given[0]


def check_update(
    plugin: Plugin,
    versions: Sequence[Described],
    site: SiteRequest,
    links: Links,
    lookup: Callable[[str], Candidate | None] | None = None,
) -> dict[str, Any]:
    """The check-update answer (``answers.CheckUpdateAnswer``), as JSON, from the release index's
    entries (newest first; ``lookup`` finds a version it leaves out) or from whole versions."""
    entries = [v if isinstance(v, Release) else full(v) for v in versions]
    offered, reason = decide(plugin, entries, site, lookup)
    # Without an offer, describe the newest version at or below the site's own (what WordPress'
    # "no_update" list holds): never one the site was refused, e.g. held back by a rollout.
    shown = offered or next(
        (
            v
            for v in entries
            if v.status in OFFERED
            and v.channel in site.channels
            and version_compare(v.version, site.current) <= 0
        ),
        None,
    )
    facts: dict[str, Any] = {
        "slug": plugin.slug,
        "current_version": site.current,
        "channel": site.channel,
        "info_url": links.info(plugin.slug),
    }
    # decide() always gives a reason when it offers nothing (the models refuse an empty one).
    why = cast(Reason, reason)
    if shown is None:
        return NothingToShow(**facts, reason=why).json_body()
    named = {
        **facts,
        "latest_version": shown.version,
        "version_code": shown.version_code,
        "released_at": shown.released_at,
    }
    if offered is None:  # nothing to download: the version named, without package or changelog
        item = _update_item(plugin, shown, links, forced=False)
        return NoUpdate(**named, reason=why, update=item).json_body()
    described = {**named, **_shown_version(plugin, shown, links)}
    # A forced release the site skipped still forces it once superseded (deprecated); a pulled one
    # was withdrawn as bad and forces nobody.
    forced = any(
        v.force_update
        and v.status in DOWNLOADABLE
        and v.channel in site.channels
        and version_compare(v.version, site.current) > 0
        and version_compare(v.version, offered.version) <= 0
        for v in entries
    )
    item = _update_item(plugin, shown, links, forced=forced)
    return UpdateOffer(**described, force_update=forced, update=item).json_body()


def _shown_version(plugin: Plugin, shown: Release, links: Links) -> dict[str, Any]:
    """The fields ``answers.ShownVersion`` adds to a named version: its package and changelog."""
    return {
        "download_url": links.download(plugin.slug, shown.version),
        "changelog": shown.changelog,
        **package_fields(shown),
        **requirement_fields(shown),
        **integrity_fields(plugin.slug, shown, links),
    }


def package_fields(version: Described) -> dict[str, Any]:
    """The package's size and digest, as every answer naming a package carries them."""
    return {"file_size": version.file_size, "sha256": version.sha256}


def requirement_fields(version: Described) -> dict[str, Any]:
    """What the version needs and was tested on, as WordPress compares them before updating."""
    return {"requires": version.requires, "tested": version.tested, "requires_php": version.requires_php}


def integrity_fields(slug: str, version: Described, links: Links) -> dict[str, Any]:
    """The fields of ``answers.Integrity``: all null for a version packaged before signing."""
    signed = bool(version.signature)
    return {
        "sha384": version.sha384 or None,
        "signature": version.signature or None,
        "signature_key_id": version.signature_key_id or None,
        "signature_algorithm": "ed25519" if signed else None,
        "signature_url": links.signature(slug, version.version) if signed else None,
    }


def _update_item(plugin: Plugin, shown: Release, links: Links, *, forced: bool) -> WordPressUpdateItem:
    main_file = shown.main_file or f"{plugin.slug}.php"
    return WordPressUpdateItem(
        id=links.info(plugin.slug),
        slug=plugin.slug,
        plugin=f"{plugin.slug}/{main_file}",
        new_version=shown.version,
        package=links.download(plugin.slug, shown.version),
        url=shown.plugin_uri or links.info(plugin.slug),
        upgrade_notice=shown.upgrade_notice,
        autoupdate=forced,
        **requirement_fields(shown),
    )


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
