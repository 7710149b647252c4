"""EventBridge's schedules, locally: the control plane's ``@schedule`` handlers (the rollout
guard) run on their rate, by the service's own clock.

``chalice local`` runs no scheduled function. Here a thread looks at the clock the service reads
(``chalicelib.clock.now``: the system's, or the fleet simulator's file clock) and invokes each
handler of the app through Chalice's real handler wrapper when its rate has passed, so simulated
days drive the guard as real days would.

    infra/local.py: schedules start with the stack (``start()``) and stop with it (``stop()``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalice.app import Chalice, Rate, ScheduledEventConfig

log = logging.getLogger("igny8.local.schedule")

#: How often (real seconds) the thread looks at the clock.
POLL_SECONDS = 0.05
_UNITS = {Rate.MINUTES: "minutes", Rate.HOURS: "hours", Rate.DAYS: "days"}


class _Context:
    """The few fields of a Lambda context the handlers and Powertools read."""

    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:igny8-plugins-local-schedule"

    def __init__(self, name: str) -> None:
        self.function_name = f"igny8-plugins-local-{name}"
        self.aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 120_000


def period(source: ScheduledEventConfig) -> timedelta | None:
    """A ``Rate`` schedule's period (cron expressions are not run locally)."""
    expression = source.schedule_expression
    if not isinstance(expression, Rate):
        return None
    return timedelta(**{_UNITS[expression.unit]: expression.value})


class Schedules(threading.Thread):
    def __init__(self, app: Chalice, clock: Callable[[], datetime], done_file: Path | None = None) -> None:
        super().__init__(name="schedules", daemon=True)
        #: Under a simulated clock: where the moment of the last run is written.
        self.done_file = done_file
        self._app = app
        self._clock = clock
        self._stopping = threading.Event()
        self._due: dict[str, datetime] = {}
        self.periods = {
            s.name: p
            for s in app.event_sources
            if isinstance(s, ScheduledEventConfig) and (p := period(s)) is not None
        }

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                self.tick()
            except Exception:  # the schedule must outlive one failing run, as EventBridge does
                log.exception("scheduled run failed")

    def tick(self) -> list[str]:
        """Run every handler whose time has come (the first run is at once); the names run."""
        now = self._clock()
        ran = []
        for name, every in self.periods.items():
            if now < self._due.get(name, now):
                continue
            self._due[name] = now + every
            self._app.handler_map[name](_event(now), _Context(name))
            ran.append(name)
        if ran and self.done_file is not None:  # the simulator waits for the guard's look
            self.done_file.write_text(now.isoformat())
        return ran


def _event(now: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }


def ran_file(clock_file: str) -> Path:
    """Beside a simulated clock: the simulated moment the schedules last ran at."""
    return Path(clock_file + ".ran")


_started: list[Schedules] = []


def start() -> Schedules:
    """Start the control plane's schedules (imported now: the app reads settings at import)."""
    from admin.app import app  # noqa: PLC0415
    from chalicelib.clock import now  # noqa: PLC0415
    from chalicelib.settings import get_settings  # noqa: PLC0415

    simulated = get_settings().simulated_clock_file
    schedules = Schedules(app, now, ran_file(simulated) if simulated else None)
    schedules.start()
    _started.append(schedules)
    log.info("schedules running: %s", ", ".join(sorted(schedules.periods)))
    return schedules


def stop() -> None:
    while _started:
        schedules = _started.pop()
        schedules.stop()
        schedules.join(timeout=5)
