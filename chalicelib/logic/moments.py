"""How the service writes a moment as text, and reads back what it wrote: UTC, with a Z.

Apart from the records (``logic/model``) because the check-update fast path (``api/hot_check.py``)
states moments in its answers and reads them from the release index without pydantic."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """Every timestamp the API and the audit trail show: UTC, to the second, with a Z."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_precise(moment: datetime) -> str:
    """An audit moment: as ``iso`` with microseconds, which order one operation's entries."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_moment(text: str) -> datetime:
    """A moment written as ISO 8601 (``Z`` or an offset), as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
