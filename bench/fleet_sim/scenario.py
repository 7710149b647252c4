"""One simulated rollout run: a local stack on a simulated clock, plugins released on a guarded plan,
a fleet of sites checking, installing and reporting, until every rollout has reached 100 % or
halted (or the horizon passes).

The stack is `python -m infra.local` in its own process, as `make run` starts it, with
``SIMULATED_CLOCK_FILE`` (the time it reads) and ``HOT_CACHE_SECONDS=0``: a warm container's 10 s of
memory is nothing in real time but hours of simulated time, so it is turned off here.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import requests

from bench.fleet_sim.clock import SimClock
from bench.fleet_sim.sites import Behaviour, Fleet

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "plugins" / "wordpress" / "source" / "igny8-wp-bridge"
START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
BASELINE, CANDIDATE = "3.0.0", "3.0.1"


@dataclass(frozen=True)
class Scenario:
    sites: int
    #: One bad plugin (broken on ``bad_share`` of the sites) and this many good ones, side by side.
    good: int = 1
    bad_share: float = 0.3
    flaky_share: float = 0.01
    plan: str = "1,5,25,100"
    step_hours: int = 6
    horizon_hours: float = 72
    seed: int = 1
    #: Extra options of ``release --plan`` (e.g. ``--min-installs``); the defaults otherwise.
    release_options: tuple[str, ...] = ()
    #: Simulated time per step of the loop: the sites due in it act, after the guard looked once.
    tick_minutes: int = 10


@dataclass
class Outcome:
    slug: str
    bad_share: float
    state: str = "running"
    percent: float = 0
    halted_at_hours: float | None = None
    reached_100_hours: float | None = None
    share_on_candidate: float = 0.0
    share_broken: float = 0.0
    timeline: list[str] = field(default_factory=list)
    reason: str = ""
    #: Why the first step is its size (the plan's sizing, as status shows it).
    sizing: str = ""
    stalled: bool = False


@dataclass
class Result:
    scenario: Scenario
    outcomes: list[Outcome]
    simulated_hours: float
    wall_seconds: float
    requests: int
    halt_metrics: int
    stall_metrics: int
    audit_halts: int


@dataclass(frozen=True)
class Stack:
    api: str
    state_dir: Path
    env: dict[str, str]
    log: Path

    def cli(self, *args: str) -> str:
        command = [str(Path(sys.executable).with_name("igny8-plugins")), *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"igny8-plugins {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        token = (self.state_dir / "admin-token").read_text().strip()
        response = requests.request(
            method, f"{self.api}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        response.raise_for_status()
        return response.json()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_stack(state_dir: Path, clock_file: Path) -> Iterator[Stack]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        IGNY8_STACK_FILE=str(state_dir / "stack.json"),
        SIMULATED_CLOCK_FILE=str(clock_file),
        HOT_CACHE_SECONDS="0",
        LOG_LEVEL="WARNING",
    )
    log = state_dir / "stack.log"
    with log.open("a") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local",
                "--port",
                str(port),
                "--state-dir",
                str(state_dir),
                "--fresh",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        api = f"http://127.0.0.1:{port}/api"
        try:
            deadline = time.monotonic() + 180
            while not _answers(f"{api}/plugins/igny8-wp-bridge/info/"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the local stack did not start: {log.read_text()[-3000:]}")
                time.sleep(0.3)
            yield Stack(api=api, state_dir=state_dir, env=env, log=log)
        finally:
            process.terminate()
            process.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def run(
    scenario: Scenario, workdir: Path, threads: int = 1, after: Callable[[Stack], None] | None = None
) -> Result:
    """Simulate ``scenario`` on a fresh local stack under ``workdir``; ``after`` looks at the stack
    before it stops (a test's browser). One thread by default: Chalice's local server keeps one
    ``current_request`` for all its threads, so concurrent requests could read each other's."""
    workdir.mkdir(parents=True, exist_ok=True)
    clock = SimClock(workdir / "clock", START)
    began = time.monotonic()
    with local_stack(workdir, clock.path) as stack, ThreadPoolExecutor(threads) as pool:
        behaviours = [Behaviour("fleet-bad", BASELINE, CANDIDATE, bad_share=scenario.bad_share)]
        behaviours += [Behaviour(f"fleet-good-{n}", BASELINE, CANDIDATE) for n in range(1, scenario.good + 1)]
        with ThreadPoolExecutor(len(behaviours)) as admins:  # CLI processes start side by side
            list(admins.map(partial(_publish, stack), behaviours))
            fleet = Fleet(stack.api, behaviours, random.Random(scenario.seed))
            _enrol(stack, fleet, scenario, pool)
            list(admins.map(partial(_release, stack, scenario), behaviours))
        outcomes = {b.slug: Outcome(b.slug, b.bad_share) for b in behaviours}
        while clock.hours() < scenario.horizon_hours and not all(
            o.state == "halted" or o.reached_100_hours is not None for o in outcomes.values()
        ):
            now = clock.advance(timedelta(minutes=scenario.tick_minutes))
            due = fleet.due(now)
            if due or now.minute == 0:  # a tick nobody acts in needs no look first: the next one looks
                clock.wait_for_guard()
            list(pool.map(fleet.check, due, [now] * len(due)))
            if now.minute == 0:
                _observe(stack, clock, outcomes)
                fleet.ended = {slug for slug, o in outcomes.items() if o.state == "halted"}
        _observe(stack, clock, outcomes)
        for b in behaviours:
            outcome, got = outcomes[b.slug], fleet.got(b.slug, b.candidate)
            outcome.share_on_candidate = len(got) / len(fleet.sites)
            outcome.share_broken = sum(1 for s in got if s.fate[b.slug]) / len(fleet.sites)
        audit_halts = sum(
            1
            for b in behaviours
            for e in stack.admin("GET", f"/admin/plugins/{b.slug}/audit")["entries"]
            if e["action"] == "rollout-halt"
        )
        requests_made = fleet.requests
        if after is not None:
            after(stack)
    lines = stack.log.read_text().splitlines()
    halt_metrics = sum('"RolloutHalted"' in line for line in lines)
    stall_metrics = sum('"RolloutStalled"' in line for line in lines)
    return Result(
        scenario=scenario,
        outcomes=list(outcomes.values()),
        simulated_hours=clock.hours(),
        wall_seconds=time.monotonic() - began,
        requests=requests_made,
        halt_metrics=halt_metrics,
        stall_metrics=stall_metrics,
        audit_halts=audit_halts,
    )


def _publish(stack: Stack, behaviour: Behaviour) -> None:
    """The plugin's baseline released to everyone, and its candidate packaged, through the CLI."""
    for version, release in ((behaviour.baseline, ("--release",)), (behaviour.candidate, ())):
        stack.cli("upload", str(BRIDGE), "--slug", behaviour.slug, "--version", version, *release, "--json")


def _release(stack: Stack, scenario: Scenario, behaviour: Behaviour) -> None:
    """The candidate released on the scenario's guarded plan, as an admin does."""
    options = ("--plan", scenario.plan, "--step-hours", str(scenario.step_hours), *scenario.release_options)
    stack.cli("release", behaviour.slug, behaviour.candidate, *options, "--json")


def _enrol(stack: Stack, fleet: Fleet, scenario: Scenario, pool: ThreadPoolExecutor) -> None:
    """Each site gets its key, then its bridge registers the baseline of every plugin."""

    def enrol(n: int) -> None:
        site_id = f"sim-{n:05d}"
        created = stack.admin(
            "POST", "/admin/sites", {"name": site_id, "url": f"https://{site_id}.example", "site_id": site_id}
        )
        fleet.register_all_plugins(fleet.add(site_id, created["api_key"], START, scenario.flaky_share))

    list(pool.map(enrol, range(scenario.sites)))
    fleet.sites.sort(key=lambda site: site.site_id)  # the rng's draws stay per site, the order stable


def _observe(stack: Stack, clock: SimClock, outcomes: dict[str, Outcome]) -> None:
    """Where each rollout stands, from the admin API as an operator would see it; when it halted
    or reached 100 %, from its timeline (the audit trail's moments)."""
    for slug, outcome in outcomes.items():
        [rollout] = stack.admin("GET", f"/admin/plugins/{slug}/rollouts")["rollouts"]
        outcome.state, outcome.percent = rollout["plan"]["state"], rollout["percent"]
        outcome.sizing = rollout["plan"]["sizing"]
        outcome.stalled = outcome.stalled or rollout["plan"]["stalled"]
        outcome.timeline = [f"{e['action']}@{e['percent']}%" for e in rollout["timeline"]]
        for event in rollout["timeline"]:
            hours = clock.hours(datetime.fromisoformat(event["at"].replace("Z", "+00:00")))
            if event["action"] == "halt":
                outcome.halted_at_hours, outcome.reason = hours, event["reason"]
            if event["percent"] == 100 and outcome.reached_100_hours is None:
                outcome.reached_100_hours = hours


def as_json(result: Result) -> str:
    return json.dumps(
        {
            "sites": result.scenario.sites,
            "simulated_hours": round(result.simulated_hours, 1),
            "wall_seconds": round(result.wall_seconds, 1),
            "requests": result.requests,
            "halt_metrics": result.halt_metrics,
            "stall_metrics": result.stall_metrics,
            "audit_halts": result.audit_halts,
            "outcomes": [o.__dict__ for o in result.outcomes],
        },
        indent=2,
    )
