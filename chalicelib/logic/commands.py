"""What a caller may ask: every request body and query string, declared once.

The API parses each request into one of these before any logic runs (``api/bodies.py``), the
OpenAPI document publishes their JSON schemas, and logic takes them typed, never as ``dict``s.
Bodies refuse unknown fields (a typo must not be silently ignored by a release command); the query
strings WordPress and plugin-update-checker send carry extra parameters of their own, so those
models ignore what they do not declare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictInt, ValidationError

from chalicelib.logic.attribute_docs import describe_fields
from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.fields import (
    FIELD_CODES,
    Changelog,
    Channel,
    Days,
    Description,
    DownloadsPerHour,
    Forced,
    Gated,
    HealthStatus,
    MarginPoints,
    Message,
    MinInstalls,
    Name,
    Percent,
    Plan,
    PlatformName,
    Private,
    RoleName,
    SiteId,
    Slug,
    StepHours,
    Url,
    Username,
    Version,
)
from chalicelib.logic.model import Platform

M = TypeVar("M", bound=BaseModel)
_SHAPE_CODES = {"extra_forbidden": "unknown_field", "missing": "missing_field"}


def parse(model: type[M], data: Mapping[str, Any], where: str) -> M:
    """``data`` as ``model``, or ``InvalidInput`` naming the first faulty field and its fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # An unknown field first: "version[]=1" is a misspelt field, not a missing "version".
        first = min(exc.errors(include_url=False), key=lambda error: error["type"] != "extra_forbidden")
        kind = str(first["type"])
        name = ".".join(str(part) for part in first["loc"]) or where
        code = kind if kind in FIELD_CODES else _SHAPE_CODES.get(kind, "invalid_field")
        if code == "unknown_field":
            message = f"unknown {where} field {name!r}"
        elif code == "missing_field":
            message = f"missing {where} field {name!r}"
        else:
            message = f"{where} field {name!r}: {first['msg']}"
        raise InvalidInput(message, code=code) from None


class Body(BaseModel):
    """A request body: exactly the declared fields, each validated by its field type."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=describe_fields, defer_build=True
    )
    #: Also read form-encoded: what ``wp_remote_post()`` and a browser's form send. Admin bodies
    #: are JSON only (a form there is a client sending the wrong thing).
    form: ClassVar[bool] = False

    def given(self) -> set[str]:
        """The fields the caller sent (a PATCH changes only those)."""
        return set(self.model_fields_set)


class Query(BaseModel):
    """A query string: the declared parameters, anything else ignored (clients add their own)."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, json_schema_extra=describe_fields, defer_build=True
    )


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
    """Installs reported before a step may pass (or 80 % of a smaller step's downloads)."""
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


# sites -----------------------------------------------------------------------------------------
class SiteReport(Body):
    """What every site report may carry. ``site_id`` is the seed's: it may only repeat the site the
    headers proved (its sites send it as a number)."""

    form: ClassVar[bool] = True
    version: Version
    """The version of the plugin running on the site now."""
    wp_version: Version | None = None
    php_version: Version | None = None
    site_id: SiteId | StrictInt | None = None


class Registration(SiteReport):
    site_url: Url | None = None


class HealthReport(SiteReport):
    status: HealthStatus
    message: Message | None = None


class InstallReport(SiteReport):
    """A verified install of a download."""


# public ----------------------------------------------------------------------------------------
class PinnedVersion(Query):
    version: Version | None = None
    """A version to fetch instead of the latest released one."""


class CheckUpdateQuery(Query):
    """What a site states on purpose must be a version; what its software reports by itself (PUC's
    ``php``) is used when it reads as one (``logic/updates.site_request`` decides, and answers
    ``invalid_version``, ``missing_parameter`` or ``conflicting_parameters``)."""

    current_version: str | None = None
    """The version the site runs (required unless ``installed_version`` is given)."""
    installed_version: str | None = None
    """plugin-update-checker's name for ``current_version``."""
    channel: Channel | None = None
    wp_version: str | None = None
    php_version: str | None = None
    php: str | None = None
    """PHP's own ``phpversion()`` as plugin-update-checker sends it (e.g. ``8.2.7-1~deb12u1``)."""
