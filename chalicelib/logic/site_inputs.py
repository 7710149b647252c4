"""What a site (or anyone, on the public routes) may send: site reports and the public queries.

These are the only request models the public function creates (``logic/inputs.py``); the control
plane's are in ``logic/commands.py``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import StrictInt

from chalicelib.logic.fields import Channel, HealthStatus, Message, SiteId, Url, Version
from chalicelib.logic.inputs import Body, Query


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
