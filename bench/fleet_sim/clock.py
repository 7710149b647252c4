"""The simulated clock: the moment the local stack reads (``SIMULATED_CLOCK_FILE``), moved by the
simulator tick by tick, and the wait for the guard's scheduled look at each new moment."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from chalicelib.clock import FileClock
from infra.local_schedule import ran_file

#: The guard's rate (chalicelib/events/rollout_guard.py): it looks once per this much sim time.
GUARD_EVERY = timedelta(minutes=5)


class SimClock:
    def __init__(self, path: Path, start: datetime) -> None:
        self.path = path
        self.file = FileClock(str(path))
        self.start = start
        self.now = start
        self.file.set(start)

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        self.file.set(self.now)
        return self.now

    def hours(self, moment: datetime | None = None) -> float:
        return ((moment or self.now) - self.start).total_seconds() / 3600

    def wait_for_guard(self, timeout: float = 60) -> None:
        """Until the stack's schedules ran at a moment within one guard period of now: the
        guard has looked at what the fleet did before this tick."""
        ran, deadline = ran_file(str(self.path)), time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = ran.read_text().strip() if ran.exists() else ""
            if text and datetime.fromisoformat(text) > self.now - GUARD_EVERY:
                return
            time.sleep(0.02)
        raise TimeoutError(f"the guard did not run at simulated {self.now:%Y-%m-%d %H:%M} within {timeout} s")
