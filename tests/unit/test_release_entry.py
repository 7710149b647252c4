"""The release index entry's stored JSON: what the repository and check-update's fast path both
read (``logic/release.py``), including entries written by the pydantic codec before it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.logic.release import Release, decode, encode
from chalicelib.logic.vocabulary import Status

RELEASED = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)


def test_an_entry_reads_back_as_written() -> None:
    entry = Release(
        version="1.2.0",
        status=Status.RELEASED,
        rollout_percent=2.5,
        sha256="ab" * 32,
        released_at=RELEASED,
        package_expires_at=datetime(2027, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        halted=True,
    )
    assert decode(encode(entry)) == entry


def test_defaults_are_left_out_so_an_entry_stays_small() -> None:
    text = encode(Release(version="1.2.0", status=Status.PULLED, complete=False))
    assert text == '{"version":"1.2.0","status":"pulled","complete":false}'


def test_entries_the_pydantic_codec_wrote_read_back_unchanged() -> None:
    """What ``TypeAdapter(Release).dump_json(exclude_defaults=True)`` stored until 2026-11-29."""
    stored = (
        '{"version":"2.0.0","status":"update_ready","rollout_percent":10.0,"force_update":true,'
        '"released_at":"2026-11-29T19:00:00Z","upgrade_notice":"Back up first."}'
    )
    entry = decode(stored)
    assert entry.status is Status.UPDATE_READY
    assert entry.rollout_percent == 10 and isinstance(entry.rollout_percent, int)
    assert entry.released_at == RELEASED
    assert entry.force_update and entry.upgrade_notice == "Back up first."
    assert entry.channel == "stable" and entry.complete


def test_a_percentage_is_normalized_to_its_hundredths() -> None:
    assert Release(version="1.0.0", status=Status.RELEASED, rollout_percent=8.34).rollout_percent == 8.34
    assert Release(version="1.0.0", status=Status.RELEASED, rollout_percent=25.0).rollout_percent == 25


def test_a_status_given_as_text_is_the_enum_the_decision_compares_by_identity() -> None:
    assert Release(version="1.0.0", status="pulled").status is Status.PULLED  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "stored",
    ['{"version":"1.0.0","status":"released","surprise":1}', '{"version":"1.0.0","status":"nonsense"}'],
)
def test_an_entry_no_code_of_ours_wrote_is_refused(stored: str) -> None:
    with pytest.raises((TypeError, ValueError)):
        decode(stored)
