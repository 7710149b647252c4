"""The value types every request is made of, each declared once with its limit and its error code.

A field type validates completely or fails with *its* code (``invalid_version``, ``invalid_slug``...),
whatever the route, the layer or the encoding (JSON, form, query string, path) it arrived in, and
its JSON schema (pattern, bounds, length) is what the OpenAPI document publishes. The codes that
are not about one value's grammar belong to the request's shape (``api/bodies.py``):
``unknown_field``, ``missing_field``, ``invalid_field`` (a wrong JSON type), ``invalid_json``...
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import urlparse

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.grammar import SLUG_RULE
from chalicelib.logic.model import (
    CHANNELS,
    SITE_ID_RE,
    Platform,
    check_channel,
    check_platform,
    check_slug,
    hundredths,
    of_hundredths,
)
from chalicelib.logic.roles import Role
from chalicelib.logic.versions import InvalidVersion, normalize_version

#: One limit per field, whatever the path a value takes (an S3 upload's metadata included).
NAME_MAX: Final = 200
DESCRIPTION_MAX: Final = 10_000
CHANGELOG_MAX: Final = 1_500
MESSAGE_MAX: Final = 500
URL_MAX: Final = 2_000
VERSION_MAX: Final = 64
DOWNLOADS_PER_HOUR_MAX: Final = 10_000
DAYS_MAX: Final = 365
#: A rollout plan: at most this many steps, each observed for at most a week.
PLAN_STEPS_MAX: Final = 10
STEP_HOURS_MAX: Final = 168
MARGIN_POINTS_MAX: Final = 50
MIN_INSTALLS_MAX: Final = 100_000
#: A step waiting longer than this (30 days) is not a rollout any more.
STALL_HOURS_MAX: Final = 720

#: Every code a field type may answer with: ``api/bodies.py`` passes these through as they are.
FIELD_CODES: set[str] = set()


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Rule:
    """``Annotated`` metadata: run ``check`` on the raw value (no coercion by pydantic first) and
    answer ``code``, with ``check``'s reason, for anything it refuses; ``schema`` documents the
    same rule in the OpenAPI document."""

    code: str
    schema: dict[str, Any]
    check: Callable[[Any], Any]

    def __post_init__(self) -> None:
        FIELD_CODES.add(self.code)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self._validate)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return dict(self.schema)

    def _validate(self, value: Any) -> Any:
        try:
            return self.check(value)
        except (ValueError, TypeError, InvalidInput) as exc:
            reason = exc.message if isinstance(exc, InvalidInput) else str(exc)
            raise PydanticCustomError(self.code, "{reason}", {"reason": reason}) from None


def _text(code: str, limit: int, *, required: bool = False) -> Rule:
    """Text of at most ``limit`` characters (``required``: not blank, and stripped)."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError("must be text")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        if required and not value.strip():
            raise ValueError("must not be empty")
        return value.strip() if required else value

    schema: dict[str, Any] = {"type": "string", "maxLength": limit} | ({"minLength": 1} if required else {})
    return Rule(code, schema, check)


def _version(value: Any) -> str:
    if not isinstance(value, str) or len(value) > VERSION_MAX:
        raise ValueError(f"{str(value)[:VERSION_MAX]!r} is not a version")
    try:
        return normalize_version(value)
    except InvalidVersion as exc:
        raise ValueError(str(exc)) from None


def _site_id(value: Any) -> str:
    if not isinstance(value, str) or not SITE_ID_RE.fullmatch(value):
        raise ValueError("a site id is 1-128 letters, digits, '_', '.', ':' or '-', starting alphanumeric")
    return value


def _integer(low: int, high: int, what: str) -> Callable[[Any], int]:
    """An integer in ``[low, high]``: a JSON number, or ASCII digits from a form or a query string
    (``"²".isdigit()`` is true, and ``int()`` of 5,000 digits raises; neither is accepted)."""

    def check(value: Any) -> int:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{what} must be an integer from {low} to {high}")
        return value

    return check


def _flag(what: str) -> Callable[[Any], bool]:
    """true/false: a JSON boolean, or the words (and 1/0) a form or query string carries."""

    def check(value: Any) -> bool:
        words = {"true": True, "1": True, "false": False, "0": False}
        if isinstance(value, str) and value.lower() in words:
            return words[value.lower()]
        if not isinstance(value, bool):
            raise ValueError(f"{what} must be true or false")
        return value

    return check


def _url(value: Any) -> str:
    try:
        parsed = urlparse(value) if isinstance(value, str) and len(value) <= URL_MAX else None
        host = parsed.hostname if parsed is not None else None
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        parsed = host = None
    if parsed is None or parsed.scheme not in ("http", "https") or not host:
        raise ValueError(f"must be an http(s) URL with a host, at most {URL_MAX} characters")
    return str(value)


def _health(value: Any) -> str:
    if value not in HEALTH_STATUSES:
        raise ValueError(f"must be one of {', '.join(HEALTH_STATUSES)}")
    return str(value)


#: A percentage as text (a form, a query string, S3 metadata, the CLI's plan): at most two decimals.
_PERCENT_TEXT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")


def _percent(low: float, what: str) -> Callable[[Any], int | float]:
    """A percentage from ``low`` to 100 in hundredths (one rollout bucket is 0.01 %): a JSON number
    or its text, whole ones as ``int`` (``10`` stays ``10``), others with at most two decimals
    (``2.5``, ``0.25``); NaN, infinities, a third decimal or anything out of range is refused."""
    reason = f"{what} must be a number from {low:g} to 100 with at most two decimals, e.g. 2.5"

    def check(value: Any) -> int | float:
        if isinstance(value, str) and _PERCENT_TEXT.fullmatch(value):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= 100:
            raise ValueError(reason)  # NaN compares false: refused here too
        count = hundredths(value)
        if abs(value * 100 - count) > 1e-6:  # a third decimal
            raise ValueError(reason)
        return of_hundredths(count)

    return check


def parse_percent(value: str) -> int | float:
    """The CLI's ``--percent``: the same rule as the API's, so a bad one is refused before a call."""
    return _percent(0, "percent")(value)


def _plan(value: Any) -> list[int | float]:
    """Rollout percentages in hundredths: a JSON list of numbers or the CLI's "0.5,2.5,25,100",
    rising, ending at 100."""
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list) or not 1 <= len(parts) <= PLAN_STEPS_MAX:
        raise ValueError(f"a plan is 1 to {PLAN_STEPS_MAX} percentages, e.g. [1, 5, 25, 100]")
    steps = [_percent(0.01, "each step")(part.strip() if isinstance(part, str) else part) for part in parts]
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)) or steps[-1] != 100:
        raise ValueError("the steps must rise and end at 100, e.g. [1, 5, 25, 100]")
    return steps


def _percent_schema(low: float) -> dict[str, Any]:
    return {"type": "number", "minimum": low, "maximum": 100, "multipleOf": 0.01}


def _integer_schema(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def _whole(code: str, low: int, high: int, what: str) -> Rule:
    """An integer field in ``[low, high]``, refused with ``code`` (the rollout plan's settings)."""
    return Rule(code, _integer_schema(low, high), _integer(low, high, what))


#: A console account's name (the user pool's): letters, digits and ``._@+-``, starting alphanumeric.
USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")


def _username(value: Any) -> str:
    if not isinstance(value, str) or not USERNAME_RE.fullmatch(value):
        raise ValueError(
            "a user name is 1-128 letters, digits, '.', '_', '@', '+' or '-', starting alphanumeric"
        )
    return value


def _role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"a role is one of {', '.join(r.value for r in Role)}") from None


HEALTH_STATUSES = ("active", "inactive", "error")

Slug = Annotated[str, Rule("invalid_slug", {"type": "string", "pattern": f"^{SLUG_RULE}$"}, check_slug)]
Version = Annotated[
    str,
    Rule(
        "invalid_version",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": VERSION_MAX,
            "description": "compared as PHP's version_compare",
        },
        _version,
    ),
]
Channel = Annotated[str, Rule("invalid_channel", {"type": "string", "enum": list(CHANNELS)}, check_channel)]
PlatformName = Annotated[
    Platform,
    Rule("invalid_platform", {"type": "string", "enum": [p.value for p in Platform]}, check_platform),
]
SiteId = Annotated[str, Rule("invalid_site_id", {"type": "string", "pattern": SITE_ID_RE.pattern}, _site_id)]
Username = Annotated[
    str, Rule("invalid_username", {"type": "string", "pattern": f"^{USERNAME_RE.pattern}$"}, _username)
]
RoleName = Annotated[Role, Rule("invalid_role", {"type": "string", "enum": [r.value for r in Role]}, _role)]
Percent = Annotated[float, Rule("invalid_percent", _percent_schema(0), _percent(0, "percent"))]
Forced = Annotated[bool, Rule("invalid_force_update", {"type": "boolean"}, _flag("force_update"))]
Private = Annotated[bool, Rule("invalid_private", {"type": "boolean"}, _flag("private"))]
DownloadsPerHour = Annotated[
    int,
    Rule(
        "invalid_limit",
        _integer_schema(1, DOWNLOADS_PER_HOUR_MAX),
        _integer(1, DOWNLOADS_PER_HOUR_MAX, "downloads_per_hour"),
    ),
]
Plan = Annotated[
    list[float],
    Rule(
        "invalid_plan",
        {"type": "array", "items": _percent_schema(0.01), "minItems": 1, "maxItems": PLAN_STEPS_MAX},
        _plan,
    ),
]
StepHours = Annotated[int, _whole("invalid_step_hours", 1, STEP_HOURS_MAX, "step_hours")]
MarginPoints = Annotated[int, _whole("invalid_margin", 1, MARGIN_POINTS_MAX, "margin_points")]
MinInstalls = Annotated[int, _whole("invalid_min_installs", 1, MIN_INSTALLS_MAX, "min_installs")]
StallHours = Annotated[int, _whole("invalid_stall_hours", 2, STALL_HOURS_MAX, "stall_hours")]
Gated = Annotated[bool, Rule("invalid_gate", {"type": "boolean"}, _flag("gate"))]
Days = Annotated[int, Rule("invalid_days", _integer_schema(1, DAYS_MAX), _integer(1, DAYS_MAX, "days"))]
Name = Annotated[str, _text("invalid_name", NAME_MAX, required=True)]
Description = Annotated[str, _text("invalid_description", DESCRIPTION_MAX)]
Changelog = Annotated[str, _text("invalid_changelog", CHANGELOG_MAX)]
Message = Annotated[str, _text("invalid_message", MESSAGE_MAX)]
Url = Annotated[str, Rule("invalid_url", {"type": "string", "format": "uri", "maxLength": URL_MAX}, _url)]
HealthStatus = Annotated[
    str, Rule("invalid_health_status", {"type": "string", "enum": list(HEALTH_STATUSES)}, _health)
]
