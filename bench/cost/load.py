"""The public function under load, in a process of its own: what Lambda's memory and timeout must fit.

    python -m bench.cost.load SPEC.json OUT.json      # started by bench.cost_model

The parent serves DynamoDB and S3 (moto's threaded server) and hands this process the stack's
environment, so this process holds only what the Lambda would: the app, its imports, its warm
caches. It imports the app (timed), then sends SPEC's requests through the real handler (Chalice's
test client builds API Gateway proxy events) with its stdout, where Lambda's logs go, captured.
Memory is the kernel's high-water mark of this process (``VmHWM``; ``ru_maxrss`` would carry the
parent's peak across exec, see bench/RESULTS.md).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def status_mb(field: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` (kB there), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


@contextmanager
def captured_stdout() -> Iterator[list[bytes]]:
    """Everything written to file descriptor 1 inside the block (Powertools' log lines and
    metrics), as CloudWatch Logs would ingest it."""
    sink: list[bytes] = []
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 1)
        try:
            yield sink
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            capture.seek(0)
            sink.append(capture.read())


def run(spec: dict[str, Any]) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    from chalice.test import Client  # noqa: PLC0415

    from app import app  # noqa: PLC0415 - the import is what is timed

    imported = {
        "import_s": time.perf_counter() - started,
        "import_cpu_s": time.process_time() - cpu,
        "hwm_after_import_mb": status_mb("VmHWM"),
    }
    requests: list[tuple[str, dict[str, str]]] = [(url, headers) for url, headers in spec["requests"]]
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with Client(app, stage_name="bench") as client:
        for url, headers in requests[: spec["warmup"]]:
            client.http.get(url, headers=headers)
        with captured_stdout() as logged:
            for url, headers in requests[spec["warmup"] :]:
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.http.get(url, headers=headers)
                route = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                walls.setdefault(route, []).append(time.perf_counter() - wall)
                cpus.setdefault(route, []).append(time.process_time() - cpu)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.body!r}")
    log = logged[0]
    count = sum(len(times) for times in walls.values())
    return {
        **imported,
        "requests": count,
        "hwm_peak_mb": status_mb("VmHWM"),
        "rss_end_mb": status_mb("VmRSS"),
        "routes": {
            route: {"n": len(walls[route]), "wall": spread(walls[route]), "cpu": spread(cpus[route])}
            for route in walls
        },
        "log_bytes_per_request": len(log) / count,
        "log_events_per_request": log.count(b"\n") / count,
    }


def spread(seconds: list[float]) -> dict[str, float]:
    """Median, 99th percentile and maximum, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {"p50": statistics.median(ms), "p99": ms[max(0, math.ceil(len(ms) * 0.99) - 1)], "max": ms[-1]}


def main() -> int:
    spec_path, out_path = sys.argv[1:3]
    result = run(json.loads(Path(spec_path).read_text()))
    Path(out_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
