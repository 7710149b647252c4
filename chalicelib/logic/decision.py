"""Which version a site may have: the update check-update offers, the version ``info`` and the
``latest`` card describe, and the package a download serves.

Pure functions of the release index's entries (``logic/release_index.py``; every public read,
``info`` included, decides from them) or of whole versions, which share the fields decided on
(``Candidate``).
``logic/checks.py`` and ``logic/updates.py`` turn their choices into answers. Imports no
pydantic: check-update's fast path decides with it (``api/hot_check.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from chalicelib.logic.errors import Gone, NotFound
from chalicelib.logic.rollout import Salted, admits, salt_of
from chalicelib.logic.versions import version_compare
from chalicelib.logic.vocabulary import DEFAULT_CHANNEL, DOWNLOADABLE, OFFERED, Status, check_version

if TYPE_CHECKING:
    from chalicelib.logic.checks import Reason


class Candidate(Protocol):
    """What a decision reads of a version: a ``PluginVersion`` or a release index entry."""

    @property
    def version(self) -> str: ...
    @property
    def status(self) -> Status: ...
    @property
    def channel(self) -> str: ...
    @property
    def rollout_percent(self) -> float: ...
    @property
    def offer_above(self) -> str | None: ...
    @property
    def force_update(self) -> bool: ...
    @property
    def requires(self) -> str | None: ...
    @property
    def requires_php(self) -> str | None: ...
    @property
    def package_expires_at(self) -> datetime | None: ...
    @property
    def halted(self) -> bool: ...


V = TypeVar("V", bound=Candidate)


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

    def personal(self, *, private: bool) -> bool:
        """Whether check-update's answer is this site's own (``Cache-Control: private``): it read
        the site's rollout bucket or its User-Agent, or names a private plugin; a shared cache
        must not hand it to the next requester of the same URL."""
        return self.site_id is not None or private or self.read_user_agent

    @property
    def channels(self) -> frozenset[str]:
        """Beta sites take stable releases too: whichever is higher."""
        return frozenset({DEFAULT_CHANNEL, self.channel})


def latest_offered(plugin: Salted, versions: Sequence[V], site_id: str | None = None) -> V | None:
    """The highest stable version this site may be offered (``versions`` is newest first), under
    the rollout rule check-update applies: without a site id, only versions rolled out to everyone.
    plugin-update-checker installs whatever ``info`` names, so ``info`` must not jump a rollout."""
    return next(
        (
            v
            for v in versions
            if v.status in OFFERED
            and v.channel == DEFAULT_CHANNEL
            and not v.halted
            and admits(v.rollout_percent, salt_of(plugin), site_id)
        ),
        None,
    )


def decide(
    plugin: Salted,
    versions: Sequence[V],
    site: SiteRequest,
    lookup: Callable[[str], Candidate | None] | None = None,
) -> tuple[V | None, Reason | Literal[""]]:
    """The version to offer this site (newest first: the first it may have), or why none.

    Reasons: ``up_to_date``, ``not_in_rollout``, ``requires_wp``, ``requires_php``, ``pulled``,
    ``unknown_version`` (the site runs a version we never published), ``no_release``. ``lookup``
    finds the site's own version when ``versions`` (the release index) leaves it out.
    """
    blocked: Reason | Literal[""] = ""
    salt = salt_of(plugin)
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
    mine: Candidate | None = next(
        (v for v in versions if version_compare(v.version, site.current) == 0), None
    )
    if mine is None and lookup is not None:
        mine = lookup(site.current)
    if mine is not None and mine.status is Status.PULLED:
        return None, "pulled"
    if not any(v.status in OFFERED and v.channel in site.channels for v in versions):
        return None, "no_release"
    return None, "up_to_date" if mine is not None else "unknown_version"


def _why_not(version: Candidate, site: SiteRequest, salt: str) -> Reason | Literal[""]:
    """Why this site may not have this offered version ("" if it may). A rollout its gate halted
    admits no site, whatever its percentage (``logic/guard``)."""
    if version.halted or not admits(version.rollout_percent, salt, site.site_id):
        return "not_in_rollout"
    if _below(site.wp_version, version.requires):
        return "requires_wp"
    if _below(site.php_version, version.requires_php):
        return "requires_php"
    return ""


def _below(have: str | None, needs: str | None) -> bool:
    return bool(have and needs and version_compare(have, needs) < 0)


def choose_download(
    versions: Sequence[V],
    pinned: str | None,
    slug: str,
    now: datetime,
    lookup: Callable[[str], V | None] | None = None,
) -> V:
    """The version a download serves: the pinned one while still downloadable, else the latest
    version rolled out to everyone (a first install cannot be bucketed). ``lookup`` reads a pinned
    version ``versions`` (the release index's complete entries) leaves out."""
    if pinned is None:
        offered = next(
            (
                v
                for v in versions
                if v.status in OFFERED
                and v.channel == DEFAULT_CHANNEL
                and v.rollout_percent >= 100
                and not v.halted
            ),
            None,
        )
        if offered is None:
            raise NotFound(f"{slug} has no released version yet", code="no_release")
        return offered
    wanted = check_version(pinned)
    match = next((v for v in versions if version_compare(v.version, wanted) == 0), None)
    if match is None and lookup is not None:
        match = lookup(wanted)
    if match is not None and match.status is Status.PULLED:
        raise Gone(f"{slug} {match.version} was withdrawn; update to the latest version", code="pulled")
    if match is None or match.status not in DOWNLOADABLE:
        raise NotFound(f"{slug} {wanted} is not available for download", code="no_such_version")
    if match.package_expires_at is not None and now >= match.package_expires_at:
        raise Gone(f"{slug} {match.version} is no longer kept; update to the latest version", code="expired")
    return match
