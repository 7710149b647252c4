"""What the e2e suite (and an admin) waits for before any work: the CLI's and the local stack's start.

Run from the repository root::

    .venv/bin/python -m bench.startup_bench [--cli-rounds 10] [--stack-rounds 3] [--baseline d3513fa]

Rows, each the median (and the fastest) of its rounds, interleaved so a busy machine weighs on
every row alike:

- ``python -c pass``: the floor, a bare interpreter;
- ``igny8-plugins --help`` and ``igny8-plugins status SLUG --json`` (a real command, against a
  stack started for the bench), wall time and CPU (user + system) of the fresh process;
- the local stack (``python -m infra.local --fresh``, as the e2e ``stack`` fixtures start it):
  from the spawn until the seeded plugin's ``info`` answers 200 (polled every 50 ms), and from
  SIGTERM until the process has exited.

``--baseline REV`` runs the same rows on REV's tree (``git archive`` into a temporary directory,
this interpreter and its site-packages), so a change is compared with what it replaced in the
same session.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SLUG = "igny8-wp-bridge"
CLI = "from igny8_cli.main import main; main()"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(tree: Path, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter in ``tree`` (its modules first on sys.path)."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=tree, env=env, capture_output=True, check=False)
    return time.perf_counter() - start, _children_cpu() - cpu


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _stack(
    tree: Path, state_dir: Path, timings: dict[str, list[float]], label: str
) -> Iterator[dict[str, str]]:
    """One stack in ``tree``; its start and stop times appended to ``timings``."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["IGNY8_STACK_FILE"] = str(state_dir / "stack.json")
    log = (state_dir / "stack.log").open("a")
    begun = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--fresh", "--port", str(port), "--state-dir", str(state_dir)],
        cwd=tree,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/plugins/{SLUG}/info/"
        while not _answers(url):
            if process.poll() is not None or time.perf_counter() - begun > 180:
                raise RuntimeError((state_dir / "stack.log").read_text())
            time.sleep(0.05)
        timings[f"{label} stack start"].append(time.perf_counter() - begun)
        yield env
    finally:
        stopping = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        timings[f"{label} stack stop"].append(time.perf_counter() - stopping)
        log.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def _rounds(trees: dict[str, Path], cli_rounds: int, stack_rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"python -c pass": [], "python -c pass cpu": []}
    for label in trees:
        for row in ("stack start", "stack stop", "--help", "--help cpu", "status", "status cpu"):
            timings[f"{label} {row}"] = []
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(max(cli_rounds, stack_rounds)):
            for label, tree in trees.items():
                state_dir = Path(scratch) / f"{label}-{round_}"
                state_dir.mkdir()
                if round_ < stack_rounds:
                    with _stack(tree, state_dir, timings, label) as env:
                        for _ in range(cli_rounds // stack_rounds or 1):
                            _cli_round(tree, env, timings, label)
                elif round_ >= cli_rounds:
                    continue
                else:
                    _cli_round(tree, dict(os.environ), timings, label, ("--help",))
            wall, cpu = _run(ROOT, ["-c", "pass"], dict(os.environ))
            timings["python -c pass"].append(wall)
            timings["python -c pass cpu"].append(cpu)
    return timings


def _cli_round(
    tree: Path,
    env: dict[str, str],
    timings: dict[str, list[float]],
    label: str,
    rows: tuple[str, ...] = ("--help", "status"),
) -> None:
    args = {"--help": ["--help"], "status": ["status", SLUG, "--json"]}
    for row in rows:
        wall, cpu = _run(tree, ["-c", CLI, *args[row]], env)
        timings[f"{label} {row}"].append(wall)
        timings[f"{label} {row} cpu"].append(cpu)


def _table(timings: dict[str, list[float]], show: Callable[[str], None]) -> None:
    show(f"{'row':34} {'n':>3} {'median':>9} {'fastest':>9}")
    for name, values in timings.items():
        if values:
            median, fastest = statistics.median(values), min(values)
            show(f"{name:34} {len(values):>3} {median * 1000:>7.0f}ms {fastest * 1000:>7.0f}ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cli-rounds", type=int, default=10)
    parser.add_argument("--stack-rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="REV", help="also measure REV's tree, interleaved")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as base:
        trees = {"head": ROOT}
        if args.baseline:
            archive = subprocess.run(
                ["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", base], input=archive.stdout, check=True)
            trees = {"base": Path(base), **trees}
        _table(_rounds(trees, args.cli_rounds, args.stack_rounds), print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
