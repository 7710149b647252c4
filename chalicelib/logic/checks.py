"""check-update: what a site states about itself, read, and the decision's verdict written as the
answer WordPress, plugin-update-checker and the bridge read.

The answer is built as plain JSON, in the exact keys and order of its pydantic declaration
(``answers.CheckUpdateAnswer``: ``UpdateOffer``, ``NoUpdate``, ``NothingToShow``), rather than
through those models, because check-update's fast path (``api/hot_check.py``) answers a cold start
without importing pydantic (about 200 ms: ``bench/coldstart_bench.py``). The models remain the one
declaration of the shapes: the OpenAPI document publishes their schemas, ``tests/unit/
test_checks.py`` validates every shape built here against them, key order included, and the
contract fuzzer checks every real answer against the published schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from chalicelib.logic.decision import Candidate, SiteRequest, decide
from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.links import Links
from chalicelib.logic.moments import iso
from chalicelib.logic.release import Release
from chalicelib.logic.rollout import Salted, wordpress_version_from_user_agent
from chalicelib.logic.versions import version_compare
from chalicelib.logic.vocabulary import DEFAULT_CHANNEL, DOWNLOADABLE, OFFERED, SITE_ID_RE, check_version

if TYPE_CHECKING:
    from chalicelib.logic.model import PluginVersion

#: Why check-update offers nothing (``logic/decision.decide``).
Reason = Literal[
    "up_to_date", "not_in_rollout", "requires_wp", "requires_php", "pulled", "unknown_version", "no_release"
]

#: A release number at the start of a reported version, before a distribution's suffix.
_RELEASE = re.compile(r"\d+(?:\.\d+)+(?=[-~+_]|$)")


class StatedQuery(Protocol):
    """What a site sends in check-update's query string (``site_inputs.CheckUpdateQuery``, or the
    fast path's reading of the same parameters)."""

    @property
    def current_version(self) -> str | None: ...
    @property
    def installed_version(self) -> str | None: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def wp_version(self) -> str | None: ...
    @property
    def php_version(self) -> str | None: ...
    @property
    def php(self) -> str | None: ...


def site_request(query: StatedQuery, *, site_id: str | None, user_agent: str | None) -> SiteRequest:
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
    plugin: Salted,
    entries: Sequence[Release],
    site: SiteRequest,
    links: Links,
    lookup: Callable[[str], Candidate | None] | None = None,
) -> dict[str, Any]:
    """The check-update answer, as JSON, from the release index's entries (newest first;
    ``lookup`` finds a version they leave out). ``signed_at`` and ``expires`` are left empty for
    the route to fill as it signs (``api/signed.py``)."""
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
        "signed_at": "",
        "expires": "",
        "slug": plugin.slug,
        "current_version": site.current,
        "channel": site.channel,
        "info_url": links.info(plugin.slug),
    }
    if shown is None:  # NothingToShow
        return {
            **facts,
            "update_available": False,
            "reason": reason,
            "latest_version": None,
            "force_update": False,
        }
    named = {
        "latest_version": shown.version,
        "version_code": shown.version_code,
        "released_at": iso(shown.released_at),
    }
    if offered is None:  # NoUpdate: nothing to download, so no package, signature or changelog
        item = _update_item(plugin.slug, shown, links, forced=False)
        return {
            **facts,
            **named,
            "update": item,
            "update_available": False,
            "reason": reason,
            "force_update": False,
        }
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
    return {  # UpdateOffer
        **integrity_fields(plugin.slug, shown, links),
        **package_fields(shown),
        **requirement_fields(shown),
        **facts,
        **named,
        "update": _update_item(plugin.slug, shown, links, forced=forced),
        "download_url": links.download(plugin.slug, shown.version),
        "changelog": shown.changelog,
        "update_available": True,
        "reason": None,
        "force_update": forced,
        "checksum": shown.sha256,
    }


def package_fields(version: PluginVersion | Release) -> dict[str, Any]:
    """The package's size and digest, as every answer naming a package carries them."""
    return {"file_size": version.file_size, "sha256": version.sha256}


def requirement_fields(version: PluginVersion | Release) -> dict[str, Any]:
    """What the version needs and was tested on, as WordPress compares them before updating."""
    return {"requires": version.requires, "tested": version.tested, "requires_php": version.requires_php}


def integrity_fields(slug: str, version: PluginVersion | Release, links: Links) -> dict[str, Any]:
    """The fields of ``answers.Integrity``: all null for a version packaged before signing."""
    signed = bool(version.signature)
    return {
        "sha384": version.sha384 or None,
        "signature": version.signature or None,
        "signature_key_id": version.signature_key_id or None,
        "signature_algorithm": "ed25519" if signed else None,
        "signature_url": links.signature(slug, version.version) if signed else None,
    }


def _update_item(slug: str, shown: Release, links: Links, *, forced: bool) -> dict[str, Any]:
    """``answers.WordPressUpdateItem``: what WordPress keeps in its update transient."""
    main_file = shown.main_file or f"{slug}.php"
    return {
        **requirement_fields(shown),
        "id": links.info(slug),
        "slug": slug,
        "plugin": f"{slug}/{main_file}",
        "new_version": shown.version,
        "package": links.download(slug, shown.version),
        "url": shown.plugin_uri or links.info(slug),
        "icons": {},
        "banners": {},
        "upgrade_notice": shown.upgrade_notice,
        "autoupdate": forced,
    }
