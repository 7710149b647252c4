"""Clocks (``logic.ports.Clock``): the system's, and a simulated one read from a file.

The fleet simulator (bench/fleet_sim) runs thousands of sites through days of rollout in
minutes: it writes the simulated moment into a file, and the local stack, started with
``SIMULATED_CLOCK_FILE`` naming it, answers, counts and schedules by that moment. Settings refuse
the variable on any stage but ``local``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from chalicelib.settings import get_settings


def now() -> datetime:
    """The service's present moment: every answer, record and schedule reads it here."""
    return clock().now()


@lru_cache(maxsize=1)
def clock() -> SystemClock | FileClock:
    """The system clock; the simulated one only where settings allow it (the local stack)."""
    path = get_settings().simulated_clock_file
    return FileClock(path) if path else SystemClock()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """The moment an ISO 8601 timestamp in ``path`` names, read at each call (the simulator moves
    it between requests)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text().strip()).astimezone(UTC)

    def set(self, moment: datetime) -> None:
        """Move the clock (the simulator's side): written whole, then renamed, so a reader never
        sees half a timestamp."""
        staged = self.path.with_suffix(".tmp")
        staged.write_text(moment.astimezone(UTC).isoformat())
        staged.replace(self.path)
