"""How much a source may be and hold, so a hostile or mistaken upload cannot exhaust the packager."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Ceilings that stop a hostile or mistaken upload from exhausting the packager's disk and memory."""

    max_total_bytes: int = 200 * 1024 * 1024
    max_entries: int = 20_000
    # The uploaded file itself, checked before it is opened.
    max_archive_bytes: int = 100 * 1024 * 1024
    # Inflated/compressed, measured while streaming, for entries that inflate past ratio_min_bytes.
    max_compression_ratio: int = 200
    ratio_min_bytes: int = 1024 * 1024
    # Archives shipped inside the plugin (.zip, .phar, .tar, .gz, .tgz, .7z, .rar), each.
    max_nested_archive_bytes: int = 1024 * 1024


DEFAULT_LIMITS = Limits()

#: Bytes read at a time, whatever an entry claims: what one streamed entry may hold in memory.
CHUNK = 1024 * 1024
