"""The service's nouns: each stored record declared once, here, and everything else derived from it.

A record is a pydantic dataclass. From this one declaration come the DynamoDB items
(``chalicelib.dal.models`` derives each table's attributes from the fields), the API's JSON
(``chalicelib.api.views`` dumps the record: ``Field(exclude=True)`` marks what no answer shows, the
``Moment`` type writes ``iso`` timestamps) and that JSON's schema (the OpenAPI document's).
Adding a field is one edit here, plus a migration note below when items already stored lack it
(they read back with the field's default).

Why pydantic dataclasses rather than ``BaseModel``: the domain builds records positionally
(``AuditEntry(slug, now, actor, ...)``), mutates them (``version.status = ...``, no validation on
assignment), and copies them with ``dataclasses.replace``, ``dataclasses.fields`` and ``deepcopy``
(the releases, sites and the fake repository). Pydantic dataclasses keep all of that unchanged and
still validate on construction, dump, and give JSON schemas. The cost, measured by
``bench/records_bench.py`` (``bench/RESULTS.md``, 2026-11-29, CPU time on a loaded 2-CPU machine):
a cold start imports these records in 256 ms against 45 ms as stdlib dataclasses, but 140 ms of the
difference is importing pydantic, which the request bodies need anyway, and about 60 ms pydantic's
plugin discovery (``PYDANTIC_DISABLE_PLUGINS=__all__`` removes it); a read pays 20 us more per
record (0.9 ms for 42 versions, beside the query itself). For one declaration that the table, the
answers and the OpenAPI schemas all follow, that is a price worth paying; ``defer_build`` moves each
record's build to its first use, so a function builds only the records its requests touch.

Migration notes (items already stored):
- ``min_api_version`` (was carried everywhere, never set nor served) is gone from the record: stored
  items keep the attribute; it is ignored on read.
- ``Plugin.releases`` (the release index) is new: a plugin stored before it has a ``latest`` pointer
  and no index; ``DynamoRepository`` builds the index from its versions on the first read and saves
  it (``Repository.reindex(slug)`` rebuilds one on demand).
- ``PluginVersion.rollout``, ``Installation.funnel`` and ``Release.halted`` (the rollout guard) are
  new: items stored before them read back as no plan, nothing counted yet, not halted.
- ``PluginVersion.sha256`` is stored under the attribute name ``checksum`` (the seed's), so existing
  items read back; the API shows both names.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema, computed_field
from pydantic.dataclasses import dataclass

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


def iso_precise(moment: datetime) -> str:
    """An audit moment: as ``iso`` with microseconds, which order one operation's entries."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _empty_is_null(text: str) -> str | None:
    return text or None


_REVISION = "Optimistic-concurrency counter: a save succeeds only over the revision it read (0: new)."


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


#: Timestamps as the API shows them (``iso``: UTC, to the second, with a Z); in Python a datetime.
Moment = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
#: An audit moment keeps its microseconds: several entries of one operation share the second.
PreciseMoment = Annotated[
    datetime,
    PlainSerializer(iso_precise, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
#: Text that is empty until something happens, shown as null while empty.
EmptyIsNull = Annotated[
    str,
    PlainSerializer(_empty_is_null, return_type=str | None, when_used="json"),
]

#: Every record: an unknown field is an error (as a stdlib dataclass's TypeError), and output schemas
#: list every key as required, since a dump always writes them all. Built on first use: a cold
#: check-update builds only the records it reads, not every record (README: Cold starts).
_CONFIG = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True, defer_build=True)


@dataclass(frozen=True, config=_CONFIG)
class Failure:
    """Why an upload produced no usable version, kept where an admin will look for it."""

    source_key: str = Field(description="The uploaded source object that failed.")
    code: str = Field(description="Machine-readable reason (e.g. bad_header, zip_bomb).")
    message: str = Field(description="What went wrong, for a person.")
    at: Moment = Field(description="When the packager gave up on it.")


@dataclass(frozen=True, config=_CONFIG)
class AuditEntry:
    """Who changed what, when, with the record's state before and after."""

    slug: str = Field(exclude=True, description="The plugin the entry belongs to (the URL names it).")
    at: PreciseMoment = Field(description="When the change was made, to the microsecond.")
    actor: str = Field(description="Who made it: the IAM principal, or the local admin.")
    action: str = Field(description="What was done (release, pull, configure-plugin, ...).")
    version: str | None = Field(description="The version changed, if the change was to one.")
    before: dict[str, Any] = Field(description="The changed fields before.")
    after: dict[str, Any] = Field(description="The changed fields after.")


#: A planned rollout's states (``logic/guard``): advancing, stopped by its gate, or done.
ROLLOUT_STATES = ("running", "halted", "completed")


@dataclass(config=_CONFIG)
class RolloutPlan:
    """A staged rollout that advances itself (``logic/guard``): each step's percentage is offered
    for at least ``step_hours``, and the next only once the step passed its health gate."""

    steps: list[int] = Field(description="The percentages, in order; the last is 100.")
    step_hours: int = Field(description="The least time each step is observed before the next.")
    step_started_at: Moment = Field(description="When the current step began (or was resumed).")
    step: int = Field(default=0, description="Index of the current step in steps.")
    state: str = Field(default="running", description="running, halted or completed.")
    gated: bool = Field(default=True, description="False: advances on time alone (audited, --no-gate).")
    margin_points: int = Field(
        default=5, description="How many percentage points worse than the baseline a rate may be."
    )
    min_installs: int = Field(default=20, description="Installs reported before a step may pass.")
    accepted: dict[str, Any] = Field(
        default_factory=dict,
        description="Funnel counts an admin accepted on resume: the gate judges only what came after.",
    )
    evidence: dict[str, Any] = Field(
        default_factory=dict, description="The gate's counts, rates and sites at the last transition."
    )


@dataclass(config=_CONFIG)
class Site:
    """A WordPress install allowed to call the site endpoints. Only key hashes are kept."""

    site_id: str = Field(description="What the site sends as X-IGNY8-Site-ID.")
    name: str = Field(description="A name for admins.")
    url: str = Field(description="The site's address.")
    key_sha256: str = Field(exclude=True, description="SHA-256 of the site's key; the key is never kept.")
    key_prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: Moment = Field(description="When the site was registered.")
    rotated_at: Moment | None = Field(default=None, description="When its key was last rotated.")
    revoked_at: Moment | None = Field(default=None, description="When it was revoked (then no key works).")
    previous_key_sha256: str = Field(
        default="", exclude=True, description="The key before the last rotation, as its hash."
    )
    previous_key_valid_until: Moment | None = Field(
        default=None, description="Until when the key before the last rotation still works."
    )
    revision: int = Field(default=0, exclude=True, description=_REVISION)

    @computed_field(description="revoked once revoked_at is set, else active.")  # type: ignore[prop-decorator]
    @property
    def status(self) -> Literal["active", "revoked"]:
        return "revoked" if self.revoked_at else "active"


@dataclass(config=_CONFIG)
class Installation:
    """One site running one plugin (the seed's PluginInstallation). A site is answered with what
    decides its updates; the telemetry it reported stays with the service."""

    site_id: str = Field(description="The site.")
    slug: str = Field(description="The plugin.")
    created_at: Moment = Field(exclude=True, description="When the site first registered the plugin.")
    updated_at: Moment = Field(exclude=True, description="When the item last changed.")
    current_version: str | None = Field(default=None, description="The version the site last reported.")
    is_active: bool = Field(default=True, description="Whether the plugin is active on the site.")
    last_health_check: Moment | None = Field(default=None, exclude=True, description="The last health check.")
    health_status: str | None = Field(default=None, description="What the last health check said.")
    pending_update: str | None = Field(default=None, description="A version an admin pushed to the site.")
    update_offered_at: Moment | None = Field(default=None, exclude=True, description="When it was offered.")
    update_notified_at: Moment | None = Field(default=None, exclude=True, description="When it was pushed.")
    offered_version: str | None = Field(
        default=None, exclude=True, description="The version check-update last offered."
    )
    version_reported_at: Moment | None = Field(
        default=None, exclude=True, description="When the site first reported its version."
    )
    last_reported_at: Moment | None = Field(
        default=None,
        exclude=True,
        description="When the site last registered or sent a health check (an offer is not a report).",
    )
    health_message: str | None = Field(default=None, exclude=True, description="The health check's detail.")
    wp_version: str | None = Field(default=None, exclude=True, description="The site's WordPress version.")
    php_version: str | None = Field(default=None, exclude=True, description="The site's PHP version.")
    site_url: str | None = Field(default=None, exclude=True, description="The address the site reported.")
    funnel: list[str] = Field(
        default_factory=list,
        exclude=True,
        description="Funnel stages already counted for this site, as version#stage (newest last, bounded).",
    )


@dataclass(frozen=True, config=_CONFIG)
class Release:
    """One version as the release index holds it (``logic/release_index.py``): what check-update,
    download, signature and latest need, and nothing ``info`` alone shows (readme sections).

    A slim entry (``complete`` false) keeps only what the decision needs of a version it can no
    longer offer (pulled, or deprecated with its package expiring); a download of it reads the
    version itself."""

    version: str
    status: Status
    channel: str = DEFAULT_CHANNEL
    complete: bool = True
    rollout_percent: int = 100
    offer_above: str | None = None
    force_update: bool = False
    requires: str | None = None
    tested: str | None = None
    requires_php: str | None = None
    file_path: str = ""
    file_size: int = 0
    sha256: str = ""
    sha384: str = ""
    signature: str = ""
    signature_key_id: str = ""
    main_file: str = ""
    plugin_uri: str = ""
    plugin_name: str = ""
    changelog: str = ""
    upgrade_notice: str = ""
    released_at: datetime | None = None
    package_expires_at: datetime | None = None
    #: A rollout its gate halted: offered to no site until resumed (``logic/guard``).
    halted: bool = False

    @property
    def version_code(self) -> int:
        return version_code(self.version)


@dataclass(config=_CONFIG)
class Plugin:
    """A plugin the service distributes; its versions are ``PluginVersion`` records."""

    slug: str = Field(description="The plugin's folder name on a site, and its key here.")
    name: str = Field(description="The plugin's name.")
    platform: Platform = Field(description="The platform it is for.")
    created_at: Moment = Field(description="When it was registered.")
    updated_at: Moment = Field(description="When it last changed.")
    description: str = Field(default="", description="One line about it.")
    is_active: bool = Field(default=True, description="An inactive plugin is offered to no site.")
    latest: dict[str, str] = Field(
        default_factory=dict, description="Channel -> the highest released version on it."
    )
    last_failure: Failure | None = Field(default=None, description="Why the last upload failed, if it did.")
    rollout_salt: str = Field(
        default="",
        exclude=True,
        description="Keys the staged-rollout hash, so each plugin picks its own sites.",
    )
    private: bool = Field(default=False, description="Downloads and info need a valid site key.")
    downloads_per_hour: int | None = Field(
        default=None, description="Downloads per site per hour (null: the service default)."
    )
    releases: dict[str, Release] = Field(
        default_factory=dict,
        exclude=True,
        description="The release index: version -> what the hot path needs, kept by every version write.",
    )
    revision: int = Field(default=0, exclude=True, description=_REVISION)


@dataclass(config=_CONFIG)
class PluginVersion:
    """One version of a plugin: its package, its signature, what its headers said, and its place in
    the release process."""

    slug: str = Field(exclude=True, description="The plugin (every answer names it already).")
    version: str = Field(description="The version, normalized (PHP version_compare order).")
    status: Status = Field(description="Where the version is in the release process.")
    created_at: Moment = Field(description="When the version was created.")
    channel: str = Field(default=DEFAULT_CHANNEL, description="The channel it is released on.")
    file_path: str = Field(default="", description="The package's key in the artifact bucket.")
    file_size: int = Field(default=0, description="The package's size in bytes.")
    sha256: str = Field(default="", description="SHA-256 of the package, hex.")
    sha384: str = Field(default="", description="SHA-384 of the package, hex: what is signed.")
    signature: str = Field(default="", description="Base64 Ed25519 signature over the raw SHA-384 digest.")
    signature_key_id: str = Field(default="", description="The id of the key that made the signature.")
    changelog: str = Field(default="", description="What changed, as the admin or the upload wrote it.")
    released_at: Moment | None = Field(default=None, description="When it was first released.")
    force_update: bool = Field(default=False, description="Sites install it without asking their admin.")
    requires: str | None = Field(default=None, description="The lowest WordPress version it supports.")
    tested: str | None = Field(default=None, description="The highest WordPress version it was tested on.")
    requires_php: str | None = Field(default=None, description="The lowest PHP version it supports.")
    main_file: str = Field(
        default="", description='The main PHP file in its folder: WordPress keys updates by "slug/main_file".'
    )
    plugin_name: str = Field(default="", exclude=True, description="The header's Plugin Name.")
    description: str = Field(default="", exclude=True, description="The header's Description.")
    author: str = Field(default="", exclude=True, description="The header's Author.")
    author_uri: str = Field(default="", exclude=True, description="The header's Author URI.")
    plugin_uri: str = Field(default="", exclude=True, description="The header's Plugin URI.")
    update_uri: str = Field(
        default="", description="The header's Update URI: WordPress only lets this host update it."
    )
    text_domain: str = Field(default="", description="The header's Text Domain.")
    sections: dict[str, str] = Field(
        default_factory=dict, exclude=True, description="The readme's sections, as safe HTML."
    )
    stamped: list[str] = Field(
        default_factory=list, description="Files the packager stamped with the service's Update URI."
    )
    source_key: str = Field(default="", description="The uploaded source object it was packaged from.")
    source_version_id: str = Field(default="", description="That object's S3 version id.")
    source_event_time: Moment | None = Field(
        default=None, exclude=True, description="When S3 reported the upload."
    )
    rollout_percent: int = Field(
        default=100, description="Share of sites (by their stable bucket) offered it: 100 is everyone."
    )
    offer_above: str | None = Field(
        default=None, description="Sites on this version or lower are not offered it."
    )
    rollback_of: str | None = Field(
        default=None, description="The version whose files a roll-forward rollback republished as this one."
    )
    package_expires_at: Moment | None = Field(
        default=None,
        description="After this moment the package may be gone (retention); downloads answer 410.",
    )
    rollout: RolloutPlan | None = Field(
        default=None, description="The planned rollout advancing this version, if it has one."
    )
    revision: int = Field(default=0, exclude=True, description=_REVISION)
    failure_code: EmptyIsNull = Field(default="", description="Why packaging failed (null: it did not).")
    failure_reason: EmptyIsNull = Field(default="", description="The failure, for a person.")

    @computed_field(  # type: ignore[prop-decorator]
        description="The seed's MAJOR*10000+MINOR*100+PATCH, for its clients only: never compare with it."
    )
    @property
    def version_code(self) -> int:
        return version_code(self.version)

    @property
    def halted(self) -> bool:
        """Its rollout's gate stopped it: no site is offered it until an admin resumes."""
        return self.rollout is not None and self.rollout.state == "halted"

    @computed_field(description="The seed's name for sha256, kept for its clients.")  # type: ignore[prop-decorator]
    @property
    def checksum(self) -> str:
        return self.sha256
