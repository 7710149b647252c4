"""The hot path at 3, 30 and 300 versions: what one check-update, and one info, costs through the
real app.

Run from the repository root::

    .venv/bin/python -m bench.hotpath_bench

The template's tables in moto, the real Chalice app on its test client (the route, the credentials
check, the answer model and the headers all run), and one plugin whose history is 3, 30 or 300
versions as the release process leaves them: the newest released, the two before it deprecated and
kept, the rest deprecated with their packages expiring (retention), each with readme sections and
a changelog. A botocore hook on every DynamoDB client counts the calls and the bytes of the answers
read per check, and the CPU spent inside those calls (moto serves them in this process, so it is
subtracted: "handler CPU" is the app's own), first with the warm cache off (HOT_CACHE_SECONDS=0:
every check reads), then on (10 s: a warm container's repeated checks). The floor is a Chalice handler in the same process
that returns a constant answer the size of a no-update answer.

``info`` is measured the same way: the plugin (its release index) and the one version it
describes, whole, for its readme sections; warm, its rendered answer is kept per plugin revision.

The "before" column is the read check-update and info made until the release index: a query of
every version item, whole (measured on the same tables, without the rest of the handler).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from chalice import Chalice
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import adapters
from chalicelib.adapters import repository
from chalicelib.dal import models
from chalicelib.logic.model import Platform, PluginVersion, Status
from chalicelib.logic.plugins import new_plugin
from chalicelib.settings import get_settings
from infra import stack
from infra.keys import KeyStore

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
SLUG = "igny8-wp-bridge"
SIZES = (3, 30, 300)
README = "<p>" + "A paragraph of the readme, as the packager renders it. " * 40 + "</p>"


@dataclass
class Reads:
    """What the DynamoDB clients did between two ``take`` calls."""

    calls: int = 0
    bytes: int = 0
    cpu: float = 0.0
    started: list[float] = field(default_factory=list)

    def before(self, **_: Any) -> None:
        self.started.append(time.process_time())

    def after(self, http_response: Any, **_: Any) -> None:
        self.calls += 1
        self.bytes += len(http_response.content or b"")
        self.cpu += time.process_time() - self.started.pop()

    def take(self) -> tuple[int, int, float]:
        taken = (self.calls, self.bytes, self.cpu)
        self.calls, self.bytes, self.cpu = 0, 0, 0.0
        return taken


@contextmanager
def deployed() -> Iterator[None]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        outputs = stack.deploy(stage="bench")
        os.environ.update(stack.environment(outputs))
        KeyStore.of_stack(outputs).ensure()  # answers are signed, as deployed
        os.environ["HOT_CACHE_SECONDS"] = "0"
        adapters.reset()
        yield


def seed(count: int) -> None:
    """A plugin with ``count`` versions as the release process leaves them (see the module)."""
    repo = repository()
    repo.save_plugin(new_plugin(SLUG, "IGNY8 WordPress Bridge", Platform.WORDPRESS, NOW))
    for n in range(count):
        newest = n == count - 1
        kept = n >= count - 3
        released = NOW - timedelta(days=count - n)
        repo.save_version(
            PluginVersion(
                slug=SLUG,
                version=f"1.{n}.0",
                status=Status.RELEASED if newest else Status.DEPRECATED,
                created_at=released,
                released_at=released,
                file_path=f"packages/wordpress/{SLUG}/1.{n}.0/{SLUG}.zip",
                file_size=26_316,
                sha256="b8" * 32,
                sha384="ab" * 48,
                signature="c2lnbmF0dXJl" * 7,
                signature_key_id="8a6c318712f0b282",
                changelog=f"= 1.{n}.0 =\n* Changes of 1.{n}.0.",
                requires="5.8",
                tested="6.6",
                requires_php="7.4",
                main_file="igny8-wp-bridge.php",
                plugin_name="IGNY8 WordPress Bridge",
                sections={
                    "description": README,
                    "installation": README,
                    "changelog": README,
                    "upgrade_notice": f"= 1.{n}.0 =\nUpgrade for the fixes.",
                },
                package_expires_at=None if kept else released + timedelta(days=30),
            ),
            expected=None,
        )


def hook(reads: Reads) -> None:
    """Count every DynamoDB call the models' clients make from now on."""
    for model in (
        models.PluginModel,
        models.PluginVersionModel,
        models.InstallationModel,
        models.SiteModel,
        models.CounterModel,
        models.AuditModel,
    ):
        events = model._get_connection().connection.client.meta.events
        events.register("before-call.dynamodb", reads.before, unique_id=f"bench-before-{model.__name__}")
        events.register("after-call.dynamodb", reads.after, unique_id=f"bench-after-{model.__name__}")


@dataclass(frozen=True)
class Row:
    calls: float
    bytes: float
    handler_ms: float
    answer: int
    gzipped: int


def measure(call: Callable[[], Any], reads: Reads, rounds: int) -> tuple[Row, Any]:
    answer = call()  # warm: imports, clients, the first connection
    reads.take()
    cpu: list[float] = []
    calls = size = 0
    for _ in range(rounds):
        start = time.process_time()
        answer = call()
        spent = time.process_time() - start
        n, b, store = reads.take()
        cpu.append(spent - store)
        calls, size = calls + n, size + b
    body = answer.body if isinstance(answer.body, bytes) else str(answer.body).encode()
    row = Row(
        calls / rounds, size / rounds, statistics.median(cpu) * 1000, len(body), len(gzip.compress(body))
    )
    return row, answer


def floor_client(size: int) -> Client:
    floor = Chalice("floor")
    constant = {"answer": "x" * max(size - 14, 0)}

    @floor.route("/constant")
    def constant_view() -> dict[str, str]:
        return constant

    return Client(floor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    reads = Reads()
    results: dict[int, dict[str, Row]] = {}
    before: dict[int, tuple[int, int]] = {}
    for count in SIZES:
        with deployed():
            seed(count)
            hook(reads)
            with Client(app, stage_name="bench") as client:
                results[count] = {}
                for warmth in ("", ", warm"):
                    for name, url in (
                        ("update", f"/plugins/{SLUG}/check-update?current_version=1.0.0"),
                        ("no update", f"/plugins/{SLUG}/check-update?current_version=1.{count - 1}.0"),
                        ("info", f"/plugins/{SLUG}/info"),
                    ):
                        row, _ = measure(partial(client.http.get, url), reads, args.rounds)
                        results[count][name + warmth] = row
                    os.environ["HOT_CACHE_SECONDS"] = "10"
                    get_settings.cache_clear()  # the same repository (and hooks), a warm cache
                os.environ["HOT_CACHE_SECONDS"] = "0"
                get_settings.cache_clear()
                repository().versions(SLUG)
                reads.take()
                repository().versions(SLUG)
                calls, size, _ = reads.take()
                before[count] = (calls, size)
    with floor_client(results[3]["no update"].answer) as client:
        floor, _ = measure(lambda: client.http.get("/constant"), Reads(), args.rounds)
    report(results, before, floor)


def report(results: dict[int, dict[str, Row]], before: dict[int, tuple[int, int]], floor: Row) -> None:
    print(
        "check-update and info through the real app, moto, per request (median handler CPU, DynamoDB calls and bytes)"
    )
    header = (
        f"{'versions':>8} {'answer':<15} {'calls':>6} {'bytes':>7} {'before':>9} {'CPU ms':>7} {'x floor':>8}"
    )
    print(header + f" {'size B':>7} {'gzip B':>7} {'x floor':>8}")
    for count, rows in results.items():
        for name, row in rows.items():
            print(
                f"{count:>8} {name:<15} {row.calls:>6.1f} {row.bytes:>7.0f} {before[count][1]:>9} "
                f"{row.handler_ms:>7.3f} {row.handler_ms / floor.handler_ms:>8.1f} "
                f"{row.answer:>7} {row.gzipped:>7} {row.answer / floor.answer:>8.2f}"
            )
    print(
        f"{'floor':>8} {'constant':<15} {0:>6.1f} {0:>7} {'':>9} {floor.handler_ms:>7.3f} {1:>8.1f} {floor.answer:>7}"
    )
    for what, names in (
        ("calls", ("update", "info", "info, warm")),
        ("bytes", ("update", "no update", "info")),
    ):
        flat = {name: [getattr(results[c][name], what) for c in SIZES] for name in names}
        print(f"DynamoDB {what} read per request at 3/30/300 versions:", json.dumps(flat))


if __name__ == "__main__":
    main()
