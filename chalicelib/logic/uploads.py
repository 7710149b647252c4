"""What an upload is: its key under ``sources/`` (the contract with uploaders), the S3 write an
event reports, and the S3 notification that announces it (read by the packager, and by the admin
CLI's dead-letter tool)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.model import Platform, PluginVersion, check_platform, check_slug, check_version

logger = logging.getLogger(__name__)

SOURCE_PREFIX = "sources/"


@dataclass(frozen=True)
class SourceKey:
    key: str
    platform: Platform
    slug: str
    version: str | None


def parse_source_key(key: str) -> SourceKey:
    """``sources/{platform}/{slug}/[{version}/]{file}``; a version in the key is optional."""
    parts = key.split("/")
    if len(parts) < 4 or parts[0] + "/" != SOURCE_PREFIX or not parts[-1]:
        raise InvalidInput(f"{key!r} is not sources/<platform>/<slug>/[<version>/]<file>", code="bad_key")
    platform = check_platform(parts[1])
    slug = check_slug(parts[2])
    version = None
    if len(parts) == 5:
        version = check_version(parts[3])
    elif len(parts) > 5:
        raise InvalidInput(f"{key!r} has too many path segments", code="bad_key")
    else:
        match = re.fullmatch(rf"{re.escape(slug)}-v?(\d[0-9A-Za-z.+_-]*?)\.(?:zip|tar\.gz|tgz)", parts[-1])
        if match:
            version = check_version(match.group(1))
    return SourceKey(key=key, platform=platform, slug=slug, version=version)


def package_key(platform: Platform, slug: str, version: str) -> str:
    return f"packages/{platform.value}/{slug}/{slug}-v{version}.zip"


@dataclass(frozen=True)
class Upload:
    """What the S3 event told us; the object itself is fetched by version id, never by name alone."""

    key: str
    version_id: str | None
    #: S3's ``eventTime`` (ms): orders uploads of one version, so a late event cannot undo a newer one.
    event_time: datetime | None = None
    #: The IAM principal S3 names in the event (``userIdentity.principalId``): who wrote it.
    principal: str | None = None

    def identity(self) -> dict[str, str]:
        """The S3 object write this event reports, as plain JSON (one upload, one identity)."""
        return {
            "key": self.key,
            "version_id": self.version_id or "",
            "event_time": self.event_time.isoformat() if self.event_time else "",
            "principal": self.principal or "",
        }

    @classmethod
    def of(cls, identity: dict[str, str]) -> Upload:
        event_time = identity.get("event_time")
        return cls(
            key=identity["key"],
            version_id=identity.get("version_id") or None,
            event_time=datetime.fromisoformat(event_time) if event_time else None,
            principal=identity.get("principal") or None,
        )

    def older_than(self, record: PluginVersion) -> bool:
        return bool(
            self.event_time and record.source_event_time and self.event_time < record.source_event_time
        )


def local_name(key: str) -> str:
    """The upload's file name, made safe for a private temp dir (no separators, no dot-files)."""
    name = re.sub(r"[^A-Za-z0-9._+-]", "_", key.rsplit("/", 1)[-1]).lstrip(".")[:100]
    return name or "source"


def uploads(body: str, bucket: str | None = None) -> Iterator[Upload]:
    """The object-created records of one S3 notification (for ``bucket``, when given).

    S3 URL-encodes keys in event records (spaces as '+'): decode exactly once. Its
    ``s3:TestEvent`` (sent when the notification is configured) carries no records.
    """
    message: dict[str, Any] = json.loads(body)
    for record in message.get("Records", []):
        s3 = record.get("s3", {})
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        if bucket is not None and s3.get("bucket", {}).get("name") != bucket:
            logger.warning(
                "ignoring an event for another bucket", extra={"bucket": s3.get("bucket", {}).get("name")}
            )
            continue
        obj = s3.get("object", {})
        yield Upload(
            key=unquote_plus(obj["key"]),
            version_id=obj.get("versionId"),
            event_time=_time(record.get("eventTime")),
            principal=record.get("userIdentity", {}).get("principalId") or None,
        )


def _time(value: object) -> datetime | None:
    """S3's ISO 8601 ``eventTime`` (e.g. 2026-11-21T20:03:10.166Z); None when absent or garbled."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
