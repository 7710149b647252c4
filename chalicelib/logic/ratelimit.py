"""Download rate limits: fixed hourly windows, counted by an atomic conditional counter.

Each window is its own counter (keyed by its start), so an expired window is never read again,
even before DynamoDB's TTL deletes it, and of many parallel requests exactly the allowance pass.
"""

from __future__ import annotations

import math
from datetime import datetime

from chalicelib.logic.errors import TooManyRequests
from chalicelib.logic.ports import Repository

WINDOW_SECONDS = 3600


def allow(repo: Repository, scope: str, limit: int, now: datetime) -> None:
    """Count one request in ``scope``'s current window, or raise ``TooManyRequests``."""
    stamp = now.timestamp()
    start = int(stamp // WINDOW_SECONDS) * WINDOW_SECONDS
    end = start + WINDOW_SECONDS
    if not repo.take(f"rate#{scope}", str(start), limit, expires_at=end + WINDOW_SECONDS):
        retry_after = max(1, math.ceil(end - stamp))
        raise TooManyRequests(
            f"download limit of {limit} per hour reached; try again in {retry_after} s",
            retry_after=retry_after,
        )
