"""The sites' records: a site and its key hashes, and each plugin a site runs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, computed_field
from pydantic.dataclasses import dataclass

from chalicelib.logic.model.base import RECORD_CONFIG, REVISION, Moment


@dataclass(config=RECORD_CONFIG)
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
    revision: int = Field(default=0, exclude=True, description=REVISION)

    @computed_field(description="revoked once revoked_at is set, else active.")  # type: ignore[prop-decorator]
    @property
    def status(self) -> Literal["active", "revoked"]:
        return "revoked" if self.revoked_at else "active"


@dataclass(config=RECORD_CONFIG)
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
