"""The service's nouns, as plain dataclasses the domain can build and test without AWS."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.grammar import SLUG_RULE, is_slug
from chalicelib.logic.versions import InvalidVersion, normalize_version, version_code

DEFAULT_CHANNEL = "stable"
CHANNELS = (DEFAULT_CHANNEL, "beta")
#: What a site may call itself in X-IGNY8-Site-ID: safe in logs, keys and hashes.
SITE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


class Platform(StrEnum):
    WORDPRESS = "wordpress"
    SHOPIFY = "shopify"
    CUSTOM = "custom"


class Status(StrEnum):
    #: Claimed by an upload that is being packaged; never offered, downloaded or released.
    PENDING = "pending"
    DRAFT = "draft"
    TESTING = "testing"
    STAGED = "staged"
    RELEASED = "released"
    UPDATE_READY = "update_ready"
    DEPRECATED = "deprecated"
    PULLED = "pulled"
    FAILED = "failed"


#: Versions a site may be offered as an update.
OFFERED = frozenset({Status.RELEASED, Status.UPDATE_READY})
#: Versions whose package may still be downloaded (old sites pin deprecated versions).
DOWNLOADABLE = OFFERED | {Status.DEPRECATED}
#: A new upload of the same version may replace these: no site has been given their bytes.
REPLACEABLE = frozenset({Status.DRAFT, Status.FAILED})
#: Statuses an upload may ask for in its metadata.
INITIAL = frozenset({Status.DRAFT, Status.TESTING, Status.STAGED, Status.RELEASED})


def iso(moment: datetime | None) -> str | None:
    """Every timestamp the API and the audit trail show: UTC, to the second, with a Z."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_slug(slug: str) -> str:
    if not is_slug(slug):
        raise InvalidInput(f"{slug!r} is not a valid plugin slug ({SLUG_RULE})", code="invalid_slug")
    return slug


def check_version(text: str) -> str:
    """A version from a request, key or archive, normalized; 400-worthy when malformed."""
    try:
        return normalize_version(text)
    except InvalidVersion as exc:
        raise InvalidInput(str(exc), code="invalid_version") from exc


def check_channel(value: Any) -> str:
    if value not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", code="invalid_channel")
    return str(value)


def check_platform(value: str) -> Platform:
    try:
        return Platform(value)
    except ValueError:
        known = ", ".join(p.value for p in Platform)
        raise InvalidInput(f"unknown platform {value!r} (known: {known})", code="invalid_platform") from None


@dataclass(frozen=True)
class Failure:
    """Why an upload produced no usable version, kept where an admin will look for it."""

    source_key: str
    code: str
    message: str
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """Who changed what, when, with the record's state before and after."""

    slug: str
    at: datetime
    actor: str
    action: str
    version: str | None
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class Site:
    """A WordPress install allowed to call the site endpoints. Only key hashes are kept."""

    site_id: str
    name: str
    url: str
    key_sha256: str
    key_prefix: str
    created_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    #: The key before the last rotation, valid until ``previous_key_valid_until``.
    previous_key_sha256: str = ""
    previous_key_valid_until: datetime | None = None
    revision: int = 0


@dataclass
class Installation:
    """One site running one plugin (the seed's PluginInstallation)."""

    site_id: str
    slug: str
    created_at: datetime
    updated_at: datetime
    current_version: str | None = None
    is_active: bool = True
    last_health_check: datetime | None = None
    health_status: str | None = None
    pending_update: str | None = None
    update_offered_at: datetime | None = None
    update_notified_at: datetime | None = None
    #: The version last offered by check-update, and when the site first reported its version.
    offered_version: str | None = None
    version_reported_at: datetime | None = None
    #: When the site last registered or sent a health check (an offer alone is not a report).
    last_reported_at: datetime | None = None
    health_message: str | None = None
    wp_version: str | None = None
    php_version: str | None = None
    site_url: str | None = None


@dataclass
class Plugin:
    slug: str
    name: str
    platform: Platform
    created_at: datetime
    updated_at: datetime
    description: str = ""
    is_active: bool = True
    #: channel -> highest released version on it
    latest: dict[str, str] = field(default_factory=dict)
    last_failure: Failure | None = None
    #: Keys the staged-rollout hash, so each plugin's rollout picks its own sites.
    rollout_salt: str = ""
    #: Private plugins: download, download-url and info need a valid site key.
    private: bool = False
    #: Downloads per site per hour for this plugin (None: the service default).
    downloads_per_hour: int | None = None
    #: Optimistic-concurrency counter: a save succeeds only over the revision it read (0: new).
    revision: int = 0


@dataclass
class PluginVersion:
    slug: str
    version: str
    status: Status
    created_at: datetime
    channel: str = DEFAULT_CHANNEL
    file_path: str = ""
    file_size: int = 0
    sha256: str = ""
    sha384: str = ""
    #: base64 Ed25519 signature over the raw SHA-384 digest, and the id of the key that made it.
    signature: str = ""
    signature_key_id: str = ""
    changelog: str = ""
    min_api_version: str = "1.0"
    released_at: datetime | None = None
    force_update: bool = False
    requires: str | None = None
    tested: str | None = None
    requires_php: str | None = None
    #: The plugin's main PHP file inside its folder: WordPress keys updates by "slug/main_file".
    main_file: str = ""
    plugin_name: str = ""
    description: str = ""
    author: str = ""
    author_uri: str = ""
    plugin_uri: str = ""
    #: The header's Update URI: WordPress only lets this host update the plugin.
    update_uri: str = ""
    text_domain: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    stamped: list[str] = field(default_factory=list)
    source_key: str = ""
    source_version_id: str = ""
    source_event_time: datetime | None = None
    #: Share of sites (by their stable bucket) offered this version: 100 is everyone.
    rollout_percent: int = 100
    #: Sites whose current version is this one or lower are not offered this version.
    offer_above: str | None = None
    #: The version whose files a roll-forward rollback republished as this one.
    rollback_of: str | None = None
    #: After this moment the package may be gone (retention); downloads answer 410.
    package_expires_at: datetime | None = None
    #: Optimistic-concurrency counter: a save succeeds only over the revision it read (0: new).
    revision: int = 0
    failure_code: str = ""
    failure_reason: str = ""

    @property
    def version_code(self) -> int:
        """The seed's numeric code, for its clients only; never compare with it."""
        return version_code(self.version)
