"""One entry of the release index (``logic/release_index.py``): a version as check-update,
download, signature and latest read it, and the compact JSON each entry is stored as.

The one record that is a standard-library dataclass rather than a pydantic one (``logic/model``),
because check-update's fast path (``api/hot_check.py``) reads it on every cold start and must not
import pydantic to do so (about 200 ms of a cold start: ``bench/coldstart_bench.py``). It is never
part of an answer or a request (``Plugin.releases`` is excluded from both), so nothing is lost: no
schema is derived from it. Its stored form is read and written here, by one codec, for the fast path
and the repository alike (``dal/models.ReleasesAttribute``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.logic.moments import parse_moment
from chalicelib.logic.percent import normalized
from chalicelib.logic.versions import sort_key, version_code
from chalicelib.logic.vocabulary import DEFAULT_CHANNEL, Status

#: The fields stored as moments (ISO 8601 text in the entry's JSON).
_MOMENTS = ("released_at", "package_expires_at")


@dataclasses.dataclass(frozen=True)
class Release:
    """One version as the release index holds it: what check-update, download, signature and
    latest need, and nothing ``info`` alone shows (readme sections).

    A slim entry (``complete`` false) keeps only what the decision needs of a version it can no
    longer offer (pulled, or deprecated with its package expiring); a download of it reads the
    version itself."""

    version: str
    status: Status
    channel: str = DEFAULT_CHANNEL
    complete: bool = True
    rollout_percent: float = 100
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

    def __post_init__(self) -> None:
        # The status as the enum the decision compares by identity, the percentage normalized
        # (``logic/percent``): what pydantic's validation of the other records does.
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "rollout_percent", normalized(self.rollout_percent))

    @property
    def version_code(self) -> int:
        return version_code(self.version)


_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(Release)
    if field.default is not dataclasses.MISSING
}


def encode(entry: Release) -> str:
    """The entry as stored: compact JSON without the fields at their default (most entries are
    a few hundred bytes: the plugin item stays far below DynamoDB's 400 KB per item)."""
    stored: dict[str, Any] = {}
    for name, value in dataclasses.asdict(entry).items():
        if name in _DEFAULTS and value == _DEFAULTS[name]:
            continue
        stored[name] = value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value
    return json.dumps(stored, separators=(",", ":"))


def decode(text: str) -> Release:
    """An entry as stored by ``encode`` (or by pydantic before it: the same JSON)."""
    stored: dict[str, Any] = json.loads(text)
    for name in _MOMENTS:
        if stored.get(name) is not None:
            stored[name] = parse_moment(stored[name])
    return Release(**stored)


def ordered(releases: Mapping[str, Release]) -> list[Release]:
    """The entries newest first (PHP ``version_compare`` order), as the decision reads them."""
    return [releases[key] for key in sorted(releases, key=sort_key, reverse=True)]


def complete(releases: Mapping[str, Release]) -> list[Release]:
    """The entries a download can serve as they are, newest first."""
    return [release for release in ordered(releases) if release.complete]
