"""The packaging benchmark's parts, one job per module (``bench/packaging_bench.py`` runs them).

``fixtures`` generates the synthetic plugin sources, ``timing`` measures throughput against the
inflate + deflate-9 + SHA-256 floor, ``memory`` measures a build's peak RSS in a fresh
interpreter, ``report`` prints the tables. What they share (sizes, the slug and versions the
sources carry and are stamped with, the progress log) is here.
"""

from __future__ import annotations

import sys
import time

from chalicelib.logic.packaging import Limits

MB = 1_000_000
KB = 1_000
SLUG = "bench-plugin"
OLD_VERSION = "1.0.0"
# Ingest always passes the release version, so the benchmark stamps (every PHP file is rewritten).
NEW_VERSION = "1.0.1"
# The 100 MB memory source is mostly incompressible: give it room above the default limits.
BIG_LIMITS = Limits(max_archive_bytes=1024 * 1024 * 1024, max_total_bytes=2 * 1024 * 1024 * 1024)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
