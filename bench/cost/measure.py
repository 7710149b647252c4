"""What one check costs the origin, measured through the real handler (see bench/cost_model.py).

The template's tables on moto's threaded server, one plugin with 30 versions as the hot-path bench
seeds it (``bench.hotpath_bench.seed``), and sites created as the admin API creates them. Each
profile is a kind of check, measured over ``rounds`` requests with botocore hooks counting the
DynamoDB calls by operation and the bytes they return (``bench.hotpath_bench``); handler CPU is
the request's process CPU minus the CPU spent inside those calls.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalice.test import Client
from moto.server import ThreadedMotoServer

from bench.hotpath_bench import SLUG, Reads, hook, measure, seed
from chalicelib import adapters
from chalicelib.adapters import repository
from chalicelib.api import http
from chalicelib.logic.commands import CreateSite
from chalicelib.logic.sites import Sites
from chalicelib.settings import get_settings
from infra import stack
from infra.keys import KeyStore
from infra.local import _stack_environment

VERSIONS = 30
NEWEST = f"1.{VERSIONS - 1}.0"
#: How the bridge asks (bridge's client: its own agent, the versions stated in the query).
BRIDGE_AGENT = "igny8-wp-bridge/1.0.0; WordPress/6.6.2; https://blog.example/"
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
CHECK = f"/plugins/{SLUG}/check-update/?wp_version=6.6.2&php_version=8.2.0&current_version="


@dataclass
class Calls(Reads):
    """``Reads``, also counting calls by DynamoDB operation."""

    operations: Counter[str] = field(default_factory=Counter)
    written: int = 0

    def before(self, **kwargs: Any) -> None:
        super().before()
        if kwargs["model"].name in WRITES:
            self.written += len(kwargs["params"]["body"])

    def after(self, http_response: Any, **kwargs: Any) -> None:
        super().after(http_response)
        self.operations[kwargs["model"].name] += 1

    def reset(self) -> None:
        self.operations.clear()
        self.written = 0


@dataclass(frozen=True)
class Profile:
    """One kind of check, per request: handler CPU, DynamoDB calls by operation and bytes read,
    the answer's size plain and gzipped."""

    name: str
    cpu_ms: float
    operations: dict[str, float]
    read_bytes: float
    #: Bytes of the write requests (an upper bound of the items' size).
    write_bytes: float
    answer: int
    gzipped: int


@contextmanager
def moto_stack() -> Iterator[dict[str, str]]:
    """The template deployed on moto's threaded server; yields the environment a process needs
    to act as the deployed function (this one is set to it)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ.update(_stack_environment(f"http://{host}:{port}"))
        outputs = stack.deploy(stage="bench")
        KeyStore.of_stack(outputs).ensure()  # answers are signed, as deployed
        os.environ.update(stack.environment(outputs))
        os.environ.update({"STAGE": "bench", "LOG_LEVEL": "INFO", "POWERTOOLS_SERVICE_NAME": "igny8-plugins"})
        os.environ["HOT_CACHE_SECONDS"] = "10"
        get_settings.cache_clear()
        adapters.reset()
        seed(VERSIONS)
        yield dict(os.environ)
    finally:
        server.stop()


def new_sites(count: int) -> list[dict[str, str]]:
    """``count`` sites and the headers the bridge sends for each."""
    overlap = timedelta(seconds=get_settings().site_key_overlap_seconds)
    sites = Sites(repository(), datetime.now(UTC), overlap, "bench")
    made = [sites.create(CreateSite(name=f"Blog {n}", url=f"https://blog{n}.example")) for n in range(count)]
    return [
        {"X-IGNY8-Site-ID": site.site_id, "X-IGNY8-API-Key": key, "User-Agent": BRIDGE_AGENT}
        for site, key in made
    ]


def profile(name: str, client: Client, calls: Calls, requests: list[tuple[str, dict[str, str]]]) -> Profile:
    """``requests`` one after another (the first warms the process and is not counted)."""
    pending = enumerate(requests)

    def call() -> Any:
        n, (url, headers) = next(pending)
        if n == 1:
            calls.reset()  # what the uncounted first call did
        return client.http.get(url, headers=headers)

    rounds = len(requests) - 1
    row, _ = measure(call, calls, rounds)
    operations = {op: n / rounds for op, n in calls.operations.items()}
    return Profile(
        name, row.handler_ms, operations, row.bytes, calls.written / rounds, row.answer, row.gzipped
    )


def cold() -> None:
    """Forget this process' warm reads, as a new container starts without them."""
    http._hot.cache_clear()


def profiles(client: Client, rounds: int) -> list[Profile]:
    calls = Calls()
    hook(calls)
    anonymous = [(CHECK + NEWEST, {"User-Agent": BRIDGE_AGENT})] * (rounds + 1)
    found = [profile("anonymous, warm container", client, calls, anonymous)]
    os.environ["HOT_CACHE_SECONDS"] = "0"
    get_settings.cache_clear()
    found.append(profile("anonymous, no warm reads", client, calls, anonymous))
    os.environ["HOT_CACHE_SECONDS"] = "10"
    get_settings.cache_clear()
    # A site checks every 12 hours: its key is never in a container's memory, nor its offer.
    current, behind = new_sites(rounds + 1), new_sites(rounds + 1)
    found.append(profile("site, up to date", client, calls, [(CHECK + NEWEST, s) for s in current]))
    found.append(profile("site, first offer", client, calls, [(CHECK + "1.0.0", s) for s in behind]))
    cold()
    found.append(profile("site, offer seen", client, calls, [(CHECK + "1.0.0", s) for s in behind]))
    return found


#: The headers API Gateway adds to every answer, as it writes them.
GATEWAY_HEADERS = (
    "Date: Sun, 29 Nov 2026 10:00:00 GMT\r\n",
    "Connection: keep-alive\r\n",
    "x-amzn-RequestId: 3f1c5a8e-9b2d-4e6f-8a1b-2c3d4e5f6a7b\r\n",
    "x-amz-apigw-id: Qm9vZkZvb0Jhcj0=\r\n",
    "X-Amzn-Trace-Id: Root=1-6749f0a0-3f1c5a8e9b2d4e6f8a1b2c3d;Sampled=0;lineage=1:0\r\n",
    "Content-Encoding: gzip\r\n",
)


def answer_sizes(client: Client) -> tuple[dict[str, tuple[int, int]], int]:
    """Plain and gzipped bytes of each public answer a site or the app reads, and the bytes of a
    check-update answer's status line and headers (the app's and API Gateway's)."""
    urls = {
        "check-update, no update": CHECK + NEWEST,
        "check-update, update": CHECK + "1.0.0",
        "info": f"/plugins/{SLUG}/info/",
        "latest": "/plugins/wordpress/latest/",
    }
    sizes = {}
    for name, url in urls.items():
        body = client.http.get(url).body
        sizes[name] = (len(body), len(gzip.compress(body)))
    headers = client.http.get(CHECK + NEWEST).headers
    own = sum(len(f"{name}: {value}\r\n") for name, value in headers.items())
    return sizes, len("HTTP/1.1 200 OK\r\n\r\n") + own + sum(len(line) for line in GATEWAY_HEADERS)


def load(environment: dict[str, str], requests: int, warmup: int) -> dict[str, Any]:
    """The public function's memory, duration and log bytes under the fleet's mix (90% checks
    from sites with keys, one in ten offered an update; 6% anonymous checks; 3% info; 1% latest),
    in a fresh process (``bench.cost.load``)."""
    sites = new_sites(50)
    plan: list[tuple[str, dict[str, str]]] = []
    for n in range(requests + warmup):
        slot = n % 100
        if slot < 90:
            plan.append((CHECK + ("1.0.0" if slot % 10 == 0 else NEWEST), sites[n % len(sites)]))
        elif slot < 96:
            plan.append((CHECK + NEWEST, {"User-Agent": BRIDGE_AGENT}))
        elif slot < 99:
            plan.append((f"/plugins/{SLUG}/info/", {}))
        else:
            plan.append(("/plugins/wordpress/latest/", {}))
    with tempfile.TemporaryDirectory() as folder:
        spec, out = Path(folder) / "spec.json", Path(folder) / "out.json"
        spec.write_text(json.dumps({"requests": plan, "warmup": warmup}))
        subprocess.run(
            [sys.executable, "-m", "bench.cost.load", str(spec), str(out)],
            env=environment,
            check=True,
            timeout=900,
        )
        result: dict[str, Any] = json.loads(out.read_text())
    return result
