"""The service's vocabulary: platforms, release statuses, channels, and the checks that keep a
slug, a version, a channel or a platform from a request to what the records allow."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.grammar import SLUG_RULE, is_slug
from chalicelib.logic.versions import InvalidVersion, normalize_version

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
