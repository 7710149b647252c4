"""What an S3 notification says was uploaded: read by the packager, and by the admin CLI's
dead-letter tool, which shows the uploads whose messages rest there."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.logic.ingest import Upload

logger = logging.getLogger(__name__)


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
