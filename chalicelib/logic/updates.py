"""What sites are told: check-update, plugin information and downloads, as WordPress expects them.

Pure functions of the stored records. Links handed to sites are always our own stable endpoints
pinned to one version: WordPress caches an offer for 12 hours, a presigned URL lives minutes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from chalicelib.logic.errors import Gone, InvalidInput, NotFound
from chalicelib.logic.model import (
    DEFAULT_CHANNEL,
    DOWNLOADABLE,
    OFFERED,
    SITE_ID_RE,
    Plugin,
    PluginVersion,
    Status,
    check_channel,
    check_version,
    iso,
)
from chalicelib.logic.readme import version_entry
from chalicelib.logic.readme_html import plain_text, render, render_changelog, render_faq
from chalicelib.logic.rollout import admits, wordpress_version_from_user_agent
from chalicelib.logic.versions import version_compare

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


def site_request(
    *,
    current: str | None,
    channel: str | None,
    site_id: str | None,
    wp_version: str | None,
    php_version: str | None,
    user_agent: str | None,
    installed_version: str | None = None,
    php: str | None = None,
) -> SiteRequest:
    """Validate what a site sent (query, headers, WordPress' User-Agent); 400 on garbage.

    plugin-update-checker (PUC) names the site's version ``installed_version`` and sends PHP's own
    ``phpversion()`` as ``php``. What a site states on purpose (``current_version``, ``wp_version``,
    ``php_version``) must be a version; what its software reports by itself (the User-Agent, PUC's
    ``php``, e.g. Debian's ``8.2.7-1~deb12u1``) is used when it reads as one and otherwise ignored,
    as a site cannot change it.
    """
    if channel is not None:
        check_channel(channel)
    stated = _optional_version(wp_version, "wp_version")
    reported = None if stated else _reported_version(wordpress_version_from_user_agent(user_agent))
    return SiteRequest(
        current=parse_current_version(current, installed_version),
        channel=channel or DEFAULT_CHANNEL,
        site_id=check_site_id(site_id),
        wp_version=stated or reported,
        php_version=_optional_version(php_version, "php_version") or _reported_version(php),
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


def latest_offered(
    plugin: Plugin, versions: list[PluginVersion], site_id: str | None = None
) -> PluginVersion | None:
    """The highest stable version this site may be offered (``versions`` is newest first), under
    the rollout rule check-update applies: without a site id, only versions rolled out to everyone.
    plugin-update-checker installs whatever ``info`` names, so ``info`` must not jump a rollout."""
    return next(
        (
            v
            for v in versions
            if v.status in OFFERED
            and v.channel == DEFAULT_CHANNEL
            and admits(v.rollout_percent, _salt(plugin), site_id)
        ),
        None,
    )


def _salt(plugin: Plugin) -> str:
    return plugin.rollout_salt or plugin.slug


@dataclass(frozen=True)
class SiteRequest:
    """What a site tells check-update about itself."""

    current: str
    channel: str = DEFAULT_CHANNEL
    site_id: str | None = None
    wp_version: str | None = None
    php_version: str | None = None
    #: The WordPress version came from the User-Agent, not the URL: a shared cache must not keep
    #: the answer for the next requester of the same URL.
    read_user_agent: bool = False

    @property
    def channels(self) -> frozenset[str]:
        """Beta sites take stable releases too: whichever is higher."""
        return frozenset({DEFAULT_CHANNEL, self.channel})


def decide(
    plugin: Plugin, versions: list[PluginVersion], site: SiteRequest
) -> tuple[PluginVersion | None, str]:
    """The version to offer this site (newest first: the first it may have), or why none.

    Reasons: ``up_to_date``, ``not_in_rollout``, ``requires_wp``, ``requires_php``, ``pulled``,
    ``unknown_version`` (the site runs a version we never published), ``no_release``.
    """
    blocked = ""
    salt = _salt(plugin)
    for version in versions:
        if version.channel not in site.channels:
            continue
        if version_compare(version.version, site.current) <= 0:
            break
        if version.status is Status.PULLED:
            blocked = blocked or "pulled"
            continue
        if version.status not in OFFERED:
            continue
        if version.offer_above and version_compare(site.current, version.offer_above) <= 0:
            continue
        why_not = _why_not(version, site, salt)
        if not why_not:
            return version, ""
        blocked = blocked or why_not
    if blocked:
        return None, blocked
    mine = next((v for v in versions if version_compare(v.version, site.current) == 0), None)
    if mine is not None and mine.status is Status.PULLED:
        return None, "pulled"
    if not any(v.status in OFFERED and v.channel in site.channels for v in versions):
        return None, "no_release"
    return None, "up_to_date" if mine is not None else "unknown_version"


def _why_not(version: PluginVersion, site: SiteRequest, salt: str) -> str:
    """Why this site may not have this offered version ("" if it may)."""
    if not admits(version.rollout_percent, salt, site.site_id):
        return "not_in_rollout"
    if _below(site.wp_version, version.requires):
        return "requires_wp"
    if _below(site.php_version, version.requires_php):
        return "requires_php"
    return ""


def _below(have: str | None, needs: str | None) -> bool:
    return bool(have and needs and version_compare(have, needs) < 0)


def check_update(
    plugin: Plugin, versions: list[PluginVersion], site: SiteRequest, links: Links
) -> dict[str, Any]:
    offered, reason = decide(plugin, versions, site)
    # Without an offer, describe the newest version at or below the site's own (what WordPress'
    # "no_update" list holds): never one the site was refused, e.g. held back by a rollout.
    shown = offered or next(
        (
            v
            for v in versions
            if v.status in OFFERED
            and v.channel in site.channels
            and version_compare(v.version, site.current) <= 0
        ),
        None,
    )
    answer: dict[str, Any] = {
        "slug": plugin.slug,
        "update_available": offered is not None,
        "reason": reason or None,
        "current_version": site.current,
        "channel": site.channel,
        "latest_version": shown.version if shown else None,
        "info_url": links.info(plugin.slug),
        "force_update": False,
    }
    if shown is None:
        return answer
    # A forced release the site skipped still forces it once superseded (deprecated); a pulled one
    # was withdrawn as bad and forces nobody.
    forced = offered is not None and any(
        v.force_update
        and v.status in DOWNLOADABLE
        and v.channel in site.channels
        and version_compare(v.version, site.current) > 0
        and version_compare(v.version, offered.version) <= 0
        for v in versions
    )
    return {
        **answer,
        "version_code": shown.version_code,
        "download_url": links.download(plugin.slug, shown.version),
        "changelog": shown.changelog,
        "force_update": forced,
        "checksum": shown.sha256,
        "sha256": shown.sha256,
        **integrity(shown, links),
        "file_size": shown.file_size,
        "requires": shown.requires,
        "tested": shown.tested,
        "requires_php": shown.requires_php,
        "released_at": iso(shown.released_at),
        "update": wordpress_update_item(plugin, shown, links, forced),
    }


def integrity(version: PluginVersion, links: Links) -> dict[str, str | None]:
    """What a site needs to verify a package as WordPress' ``verify_file_signature()`` does: an
    Ed25519 signature over the raw SHA-384 digest, checked against a key from ``GET /keys/``."""
    return {
        "sha384": version.sha384 or None,
        "signature": version.signature or None,
        "signature_key_id": version.signature_key_id or None,
        "signature_algorithm": "ed25519" if version.signature else None,
        "signature_url": links.signature(version.slug, version.version) if version.signature else None,
    }


def wordpress_update_item(
    plugin: Plugin, offered: PluginVersion, links: Links, forced: bool
) -> dict[str, Any]:
    """The object WordPress keeps in ``update_plugins->response`` (or ``no_update``) for a plugin.

    Sent also when there is no update: WordPress shows the auto-update toggle only for plugins it
    finds in one of those two lists.
    """
    main_file = offered.main_file or f"{plugin.slug}.php"
    return {
        "id": links.info(plugin.slug),
        "slug": plugin.slug,
        "plugin": f"{plugin.slug}/{main_file}",
        "new_version": offered.version,
        "package": links.download(plugin.slug, offered.version),
        "url": offered.plugin_uri or links.info(plugin.slug),
        "requires": offered.requires,
        "tested": offered.tested,
        "requires_php": offered.requires_php,
        "icons": {},
        "banners": {},
        "upgrade_notice": upgrade_notice(offered),
        "autoupdate": forced,
    }


def upgrade_notice(version: PluginVersion) -> str:
    """This version's paragraph of readme.txt's ``== Upgrade Notice ==`` (``= 1.2.0 =`` headings),
    as text: WordPress shows it in a line of its own."""
    return plain_text(version_entry(version.sections.get("upgrade_notice", ""), version.version))


def plugin_info(
    plugin: Plugin, versions: list[PluginVersion], links: Links, site_id: str | None = None
) -> dict[str, Any]:
    """WordPress' ``plugins_api`` answer, with plugin-update-checker's field names alongside (PUC
    requires ``name`` and ``version`` and reads ``download_url``, ``sections``, ``upgrade_notice``...).

    Sections are HTML, as wordpress.org serves them: WordPress prints them unescaped."""
    offered = latest_offered(plugin, versions, site_id)
    if offered is None:
        raise NotFound(f"{plugin.slug} has no released version yet", code="no_release")
    download = links.download(plugin.slug, offered.version)
    readme = offered.sections
    sections = {
        "description": render(readme.get("description") or offered.description or plugin.description),
        "installation": render(readme.get("installation", "")),
        "changelog": render_changelog(offered.version, offered.changelog, readme.get("changelog", "")),
        "faq": render_faq(readme.get("faq", "")),
    }
    return {
        "name": offered.plugin_name or plugin.name,
        "slug": plugin.slug,
        "version": offered.version,
        "author": offered.author,
        "author_profile": offered.author_uri,
        "author_homepage": offered.author_uri,
        "homepage": offered.plugin_uri,
        "requires": offered.requires,
        "tested": offered.tested,
        "requires_php": offered.requires_php,
        "last_updated": _wp_date(offered.released_at),
        "released_at": iso(offered.released_at),
        "sections": {name: text for name, text in sections.items() if text},
        "upgrade_notice": upgrade_notice(offered),
        "download_link": download,
        "download_url": download,
        "file_size": offered.file_size,
        "sha256": offered.sha256,
        "checksum": offered.sha256,
        **integrity(offered, links),
        "banners": {},
        "icons": {},
        "versions": {
            v.version: links.download(plugin.slug, v.version)
            for v in versions
            if v.status in DOWNLOADABLE and v.channel == offered.channel
        },
    }


def choose_download(
    versions: list[PluginVersion], pinned: str | None, slug: str, now: datetime
) -> PluginVersion:
    """The version a download serves: the pinned one while still downloadable, else the latest
    version rolled out to everyone (a first install cannot be bucketed)."""
    if pinned is None:
        offered = next(
            (
                v
                for v in versions
                if v.status in OFFERED and v.channel == DEFAULT_CHANNEL and v.rollout_percent >= 100
            ),
            None,
        )
        if offered is None:
            raise NotFound(f"{slug} has no released version yet", code="no_release")
        return offered
    wanted = check_version(pinned)
    match = next((v for v in versions if version_compare(v.version, wanted) == 0), None)
    if match is not None and match.status is Status.PULLED:
        raise Gone(f"{slug} {match.version} was withdrawn; update to the latest version", code="pulled")
    if match is None or match.status not in DOWNLOADABLE:
        raise NotFound(f"{slug} {wanted} is not available for download", code="no_such_version")
    if match.package_expires_at is not None and now >= match.package_expires_at:
        raise Gone(f"{slug} {match.version} is no longer kept; update to the latest version", code="expired")
    return match


def latest_for_platform(
    plugins: list[Plugin],
    platform: str,
    links: Links,
    versions_of: Callable[[str], list[PluginVersion]],
    *,
    site_key: bool = False,
) -> dict[str, Any]:
    """The seed front-end's "download our plugin" card: the most recently released plugin that
    this caller may see (a private plugin only with a valid site key)."""
    best: tuple[Plugin, PluginVersion] | None = None
    for plugin in plugins:
        if hidden_from_sites(plugin, site_key=site_key):
            continue
        offered = latest_offered(plugin, versions_of(plugin.slug))
        if offered and (best is None or _later(offered.released_at, best[1].released_at)):
            best = (plugin, offered)
    if best is None:
        raise NotFound(f"no released plugin for platform {platform}", code="no_release")
    plugin, offered = best
    return {
        "name": offered.plugin_name or plugin.name,
        "slug": plugin.slug,
        "platform": plugin.platform.value,
        "version": offered.version,
        "download_url": links.download(plugin.slug, offered.version),
        "info_url": links.info(plugin.slug),
        "file_size": offered.file_size,
        "sha256": offered.sha256,
        "released_at": iso(offered.released_at),
    }


def _later(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a > b)


def _wp_date(moment: datetime | None) -> str | None:
    """WordPress.org's ``last_updated`` format, which the details modal prints as is."""
    return (
        None
        if moment is None
        else moment.strftime("%Y-%m-%d %-I:%M%p GMT").replace("AM", "am").replace("PM", "pm")
    )
