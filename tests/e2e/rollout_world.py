"""The rollout guard's browser tests' world: a local stack on the fleet simulator's clock (the
guard's schedule runs at each new simulated moment, ``SIMULATED_CLOCK_FILE``), the candidate
packaged, and a small fleet of shops whose bridges registered the baseline, each sending what the
bridge sends (check-update, download-url, register-installation, health-check) with its own key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from bench.fleet_sim.clock import SimClock
from bench.fleet_sim.scenario import local_stack
from tests.e2e.conftest import BRIDGE, SLUG, Stack
from tests.e2e.console_browser import AdminApi

CANDIDATE = "1.1.0"
BASELINE = "1.0.0"
#: Enough sites that the first step (50 %) holds well over the 4 that fail (Binomial(24, 0.5)).
SITES = 24
#: The guard's rate is 5 minutes: a move of the clock by more makes the stack's schedule look.
GUARD_LOOK = timedelta(minutes=6)


@dataclass(frozen=True)
class Shop:
    site_id: str
    name: str
    url: str
    key: str

    def call(self, stack: Stack, method: str, path: str, **options: Any) -> Any:
        """What the bridge on this site sends, with its id and key."""
        headers = {"X-IGNY8-Site-ID": self.site_id, "X-IGNY8-API-Key": self.key}
        answer = requests.request(
            method, f"{stack.api}/plugins/{SLUG}/{path}/", headers=headers, timeout=30, **options
        )
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()

    def offered(self, stack: Stack) -> bool:
        answer = self.call(stack, "GET", "check-update", params={"current_version": BASELINE})
        return bool(answer["update_available"]) and answer["latest_version"] == CANDIDATE

    def update(self, stack: Stack, *, healthy: bool) -> None:
        """Fetch the candidate, run it, and report its health as the bridge does."""
        self.call(stack, "GET", "download-url", params={"version": CANDIDATE})
        self.call(stack, "POST", "register-installation", json={"version": CANDIDATE})
        status = "active" if healthy else "error"
        self.call(stack, "POST", "health-check", json={"version": CANDIDATE, "status": status})


@pytest.fixture(scope="module")
def clock(tmp_path_factory: pytest.TempPathFactory) -> SimClock:
    return SimClock(tmp_path_factory.mktemp("clock") / "clock", datetime.now(UTC).replace(microsecond=0))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, clock: SimClock) -> Iterator[Stack]:
    """This module's stack runs on the simulated clock (the shared fixture's runs on the system's)."""
    with local_stack(tmp_path_factory.mktemp("rollout-stack"), clock.path) as started:
        yield Stack(api=started.api, state_dir=started.state_dir, env=started.env)


@pytest.fixture(scope="module")
def shops(stack: Stack) -> list[Shop]:
    """The candidate packaged, and a fleet whose bridges registered the baseline."""
    stack.cli("upload", str(BRIDGE), "--slug", SLUG, "--version", CANDIDATE, "--json")
    api = AdminApi(stack)
    fleet = []
    for n in range(1, SITES + 1):
        site = {"site_id": f"shop-{n:02d}", "name": f"Shop {n:02d}", "url": f"https://shop-{n:02d}.example"}
        shop = Shop(**site, key=api.post("sites", site)["api_key"])
        shop.call(stack, "POST", "register-installation", json={"version": BASELINE})
        fleet.append(shop)
    return fleet


def look(clock: SimClock, delta: timedelta = GUARD_LOOK) -> None:
    """Move the clock on and wait until the stack's schedule has run the guard at the new moment."""
    clock.advance(delta)
    clock.wait_for_guard()
