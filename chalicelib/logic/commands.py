"""What an admin or a console user may ask: the control plane's request bodies and queries.

Read only by the control plane's function (``admin/app.py``); the public function's models are in
``logic/site_inputs.py`` and the shared base (``Body``, ``Query``, ``parse``) in
``logic/inputs.py``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field

from chalicelib.logic.fields import (
    Changelog,
    Channel,
    Days,
    Description,
    DownloadsPerHour,
    Forced,
    Gated,
    MarginPoints,
    MinInstalls,
    Name,
    Percent,
    Plan,
    PlatformName,
    Private,
    RoleName,
    SiteId,
    Slug,
    StallHours,
    StepHours,
    Url,
    Username,
    Version,
)
from chalicelib.logic.inputs import Body, Query
from chalicelib.logic.model import Platform


# admin: plugins --------------------------------------------------------------------------------
class CreatePlugin(Body):
    slug: Slug
    name: Name
    platform: PlatformName = Platform.WORDPRESS
    description: Description = ""


class ConfigurePlugin(Body):
    private: Private | None = None
    """Downloads and info need a valid site key; anonymous callers see an unknown slug."""
    downloads_per_hour: DownloadsPerHour | None = None
    """Downloads per site per hour for this plugin (absent: the service default)."""
    name: Name | None = None
    description: Description | None = None


class StatsQuery(Query):
    days: Days = 30
    """How many days back, ending today (UTC)."""


# admin: versions -------------------------------------------------------------------------------
class CreateVersion(Body):
    version: Version
    changelog: Changelog = ""
    channel: Channel | None = None


class UploadRequest(Body):
    changelog: Changelog | None = None
    """Shown to sites in the update; defaults to the draft's."""
    channel: Channel | None = None


class ReleaseSettings(Body):
    """Release settings, each left as it is when absent."""

    rollout_percent: Percent | None = Field(
        default=None, validation_alias=AliasChoices("rollout_percent", "percent")
    )
    """Share of sites offered the version (``percent`` on the status actions, the CLI's name)."""
    channel: Channel | None = None
    force_update: Forced | None = None


class StartRollout(Body):
    """Release a version on a plan that advances itself while its health gate passes."""

    plan: Plan
    """The percentages, rising to 100, e.g. [1, 5, 25, 100] (or "1,5,25,100")."""
    step_hours: StepHours = 6
    """The least time each step is observed before the next."""
    gate: Gated = True
    """False (a forced security release): advance on time alone; audited."""
    margin_points: MarginPoints = 5
    """How many percentage points worse than the previous version a failure rate may be."""
    min_installs: MinInstalls = 20
    """Installs reported before a step may pass (the first step is widened until it can give them)."""
    stall_hours: StallHours = 24
    """A step running longer than this (more than step_hours) raises the RolloutStalled alarm."""
    force_update: Forced | None = None


class Rollback(Body):
    to: Version
    """The version whose code is republished (as the next version up: WordPress never downgrades)."""
    force_update: Forced = False
    exclude_target_sites: Forced = False
    """Sites already on ``to`` are not offered the republished copy."""


# admin: sites ----------------------------------------------------------------------------------
class CreateSite(Body):
    name: Name
    url: Url
    site_id: SiteId | None = None
    """Chosen by the admin, or generated."""


class SessionLogin(Body):
    """The local stack's dashboard sign-in (token mode)."""

    form: ClassVar[bool] = True
    token: str = Field(default="", max_length=200)


class ConsoleLogin(Body):
    """A person's console sign-in: their user pool account (every stage)."""

    form: ClassVar[bool] = True
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class CreateAccount(Body):
    """A console account, in one role; its password is made by the service and shown once."""

    username: Username
    role: RoleName


class AccountRole(Body):
    role: RoleName


class ConsoleLogout(Body):
    """The console's sign-out form: the session's CSRF token (a script may send the header instead)."""

    form: ClassVar[bool] = True
    csrf: str = Field(default="", max_length=100)
