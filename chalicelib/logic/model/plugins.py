"""The plugins' records: a plugin, its versions, the release index entry the hot path reads, and
a version's planned rollout."""

from __future__ import annotations

from typing import Any

from pydantic import Field, computed_field
from pydantic.dataclasses import dataclass

from chalicelib.logic.model.base import RECORD_CONFIG, REVISION, EmptyIsNull, Moment, Percentage
from chalicelib.logic.release import Release
from chalicelib.logic.versions import version_code
from chalicelib.logic.vocabulary import DEFAULT_CHANNEL, Platform, Status


@dataclass(frozen=True, config=RECORD_CONFIG)
class Failure:
    """Why an upload produced no usable version, kept where an admin will look for it."""

    source_key: str = Field(description="The uploaded source object that failed.")
    code: str = Field(description="Machine-readable reason (e.g. bad_header, zip_bomb).")
    message: str = Field(description="What went wrong, for a person.")
    at: Moment = Field(description="When the packager gave up on it.")


#: A planned rollout's states (``logic/guard``): advancing, stopped by its gate, or done.
ROLLOUT_STATES = ("running", "halted", "completed")


@dataclass(config=RECORD_CONFIG)
class RolloutPlan:
    """A staged rollout that advances itself (``logic/guard``): each step's percentage is offered
    for at least ``step_hours``, and the next only once the step passed its health gate."""

    steps: list[Percentage] = Field(
        description="The percentages (to the hundredth), in order; the last is 100."
    )
    step_hours: int = Field(description="The least time each step is observed before the next.")
    step_started_at: Moment = Field(description="When the current step began (or was resumed).")
    step: int = Field(default=0, description="Index of the current step in steps.")
    state: str = Field(default="running", description="running, halted or completed.")
    gated: bool = Field(default=True, description="False: advances on time alone (audited, --no-gate).")
    margin_points: int = Field(
        default=5, description="How many percentage points worse than the baseline a rate may be."
    )
    min_installs: int = Field(default=20, description="Installs reported before a step may pass.")
    stall_hours: int = Field(
        default=24, description="How long a step may run before the guard raises RolloutStalled."
    )
    sizing: str = Field(default="", description="Why the first step is the size it is (logic/guard/sizing).")
    accepted: dict[str, Any] = Field(
        default_factory=dict,
        description="Funnel counts an admin accepted on resume: the gate judges only what came after.",
    )
    evidence: dict[str, Any] = Field(
        default_factory=dict, description="The gate's counts, rates and sites at the last transition."
    )


@dataclass(config=RECORD_CONFIG)
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
    revision: int = Field(default=0, exclude=True, description=REVISION)


@dataclass(config=RECORD_CONFIG)
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
    rollout_percent: Percentage = Field(
        default=100,
        description="Share of sites (by their stable bucket, to 0.01 %) offered it: 100 is everyone.",
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
    revision: int = Field(default=0, exclude=True, description=REVISION)
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
