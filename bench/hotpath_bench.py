"""The hot path at 3, 30 and 300 versions: what one check-update, and one info, costs through the
public function's handlers.

Run from the repository root::

    .venv/bin/python -m bench.hotpath_bench

The template's tables on moto's server (in a thread of this process, on 127.0.0.1; emptied for each
size), and one plugin whose history is 3, 30 or 300 versions as the release process leaves them:
the newest released, the two before it deprecated and kept, the rest deprecated with their
packages expiring (retention), each with readme sections and a changelog. Every request is an API
Gateway proxy event (made as the local gateway makes them, before the timed window) sent straight
to a handler, as Lambda does:

* the whole app (``app.app``, the public function's handler before the fast path), for
  check-update and ``info``;
* ``entry.handler`` (the public function's handler now): check-update's fast path
  (``api/hot_check.py``, the standard-library client ``chalicelib/aws_json.py``). Every one of
  these requests is asserted to have been answered by the fast path, not left to the app, and once
  per size its answer to each check is asserted to be the app's, byte for byte and signed.

The server, not moto's in-process mock, because the fast path's client speaks ``http.client``,
which the mock does not intercept; it also lets both paths read the answers' signing key as they
do deployed (through the same client). The checks are anonymous sites that are behind ("update")
or up to date ("no update"); the bench creates no site, so the keyed read is not measured here.

Per request: the DynamoDB calls and the bytes of their answers (a botocore hook on every model's
client; for the fast path, its client's calls), and the CPU time of this thread (``thread_time``:
moto's server answers on threads of its own, so its work is never counted). "CPU ms" is the
handler's own: it leaves out the CPU spent inside the DynamoDB calls, which is the SDK's (request
signing, the HTTP exchange, the JSON of the answer; botocore's after its serialization,
``aws_json``'s from its ``json.dumps``, before its item decoding), shown apart as "SDK ms"; of that,
``aws_json``'s SigV4 signing is timed on its own (median per signed call, below the table). moto's
server closes each connection after its answer, so every call here also pays a TCP connect to
localhost inside that window, where AWS's kept-alive connections would not. Medians of
``--rounds`` requests, first with the warm cache off (HOT_CACHE_SECONDS=0: every check reads),
then on (10 s: a warm container's repeated checks). The floor is a Chalice handler sent the same
kind of event, which returns a constant answer the size of a no-update answer, timed after every
measured request (the median of all those samples). Metrics (one EMF
line per invocation) are written to /dev/null inside the timed window, as Lambda writes them to
its log.

``info`` is measured the same way: the plugin (its release index) and the one version it
describes, whole, for its readme sections; warm, its rendered answer is kept per plugin revision.

The "before" column is the read check-update and info made until the release index: a query of
every version item, whole (measured on the same tables, without the rest of the handler).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from chalice.app import Chalice
from chalice.local import LambdaEventConverter, RouteMatcher
from moto.server import ThreadedMotoServer

from app import app
from chalicelib import adapters, aws_json
from chalicelib.adapters import repository
from chalicelib.api import entry, hot_check
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
#: This thread's CPU: moto's server answers on threads of its own.
CLOCK = time.thread_time

Event = dict[str, Any]
Handler = Callable[[Event, Any], dict[str, Any]]


@dataclass
class Reads:
    """What the DynamoDB clients did between two ``take`` calls."""

    calls: int = 0
    bytes: int = 0
    cpu: float = 0.0
    started: list[float] = field(default_factory=list)
    #: The CPU of each SigV4 signature the fast path's client made (part of ``cpu``), whole run.
    signing: list[float] = field(default_factory=list)

    def before(self, **_: Any) -> None:
        self.started.append(CLOCK())

    def after(self, http_response: Any, **_: Any) -> None:
        """botocore's after-call; ``answered`` for any other client."""
        self.answered(len(http_response.content or b""))

    def answered(self, size: int) -> None:
        self.calls += 1
        self.bytes += size
        self.cpu += CLOCK() - self.started.pop()

    def take(self) -> tuple[int, int, float]:
        taken = (self.calls, self.bytes, self.cpu)
        self.calls, self.bytes, self.cpu = 0, 0, 0.0
        return taken


class CountedAwsJson(aws_json.AwsJson):
    """The fast path's client, its DynamoDB calls counted as the hook counts botocore's."""

    def __init__(self, reads: Reads) -> None:
        super().__init__()
        self._reads = reads
        self._last_answer = 0

    def call(self, service: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        if service != "dynamodb":
            return super().call(service, target, payload)
        self._reads.before()
        self._last_answer = 0  # no answer (a failed call) reads nothing
        try:
            return super().call(service, target, payload)
        finally:
            self._reads.answered(self._last_answer)

    def _send(
        self, service: str, protocol: aws_json._Protocol, target: str, endpoint: str, body: bytes
    ) -> tuple[int, bytes]:
        status, answer = super()._send(service, protocol, target, endpoint, body)
        self._last_answer = len(answer)
        return status, answer

    def _signed_headers(
        self, service: str, host: str, target: str, content_type: str, body: bytes
    ) -> dict[str, str]:
        start = CLOCK()
        headers = super()._signed_headers(service, host, target, content_type, body)
        self._reads.signing.append(CLOCK() - start)
        return headers


def count_fast_path_reads(reads: Reads) -> None:
    """Every ``aws_json.default_client()`` from now on counts into ``reads`` (a new one after each
    ``adapters.reset``, reading the environment anew, as the original)."""

    @lru_cache(maxsize=1)
    def counted() -> aws_json.AwsJson:
        return CountedAwsJson(reads)

    aws_json.default_client = counted


@contextmanager
def deployed() -> Iterator[None]:
    """The template deployed on a moto server, with a signing key, as deployed."""
    for chatty in ("werkzeug", "moto"):  # each request, and each resource moto's CloudFormation skips
        logging.getLogger(chatty).setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",  # moto's dummy credentials
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    try:
        outputs = stack.deploy(stage="bench")
        os.environ.update(stack.environment(outputs))
        KeyStore.of_stack(outputs).ensure()  # answers are signed, as deployed
        os.environ["HOT_CACHE_SECONDS"] = "0"
        adapters.reset()
        yield
    finally:
        # moto's backends are this process's, whichever server serves them: the next size starts empty.
        urlopen(Request(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/reset", method="POST"), timeout=10)
        server.stop()


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


def event_maker(routed: Chalice) -> Callable[[str], Event]:
    """The API Gateway proxy event of a GET to ``routed``, as the local gateway makes it."""
    converter = LambdaEventConverter(RouteMatcher(list(routed.routes)))

    def event(path: str) -> Event:
        made: Event = converter.create_lambda_event("GET", path, {"Host": "api.local"}, b"")
        return made

    return event


@contextmanager
def fast_path_answers() -> Iterator[list[bool]]:
    """Whether the fast path answered each event ``entry.handler`` is sent (False: left to the app)."""
    answered: list[bool] = []
    answer = hot_check.answer

    def recorded(event: Event, context: Any) -> dict[str, Any] | None:
        response = answer(event, context)
        answered.append(response is not None)
        return response

    hot_check.answer = recorded
    try:
        yield answered
    finally:
        hot_check.answer = answer


@dataclass(frozen=True)
class Row:
    calls: float
    bytes: float
    handler_ms: float
    sdk_ms: float
    answer: int
    gzipped: int


def measure(handler: Handler, event: Event, reads: Reads, rounds: int, floor: Floor) -> Row:
    answer = handler(copy.deepcopy(event), None)  # warm: imports, clients, the signing key
    assert answer["statusCode"] == 200, answer
    reads.take()
    cpu: list[float] = []
    sdk: list[float] = []
    calls = size = 0
    for _ in range(rounds):
        sent = copy.deepcopy(event)
        start = CLOCK()
        answer = handler(sent, None)
        spent = CLOCK() - start
        n, b, inside = reads.take()
        cpu.append(spent - inside)
        sdk.append(inside)
        calls, size = calls + n, size + b
        floor.sample()
    body = str(answer["body"]).encode()
    return Row(
        calls / rounds,
        size / rounds,
        statistics.median(cpu) * 1000,
        statistics.median(sdk) * 1000,
        len(body),
        len(gzip.compress(body)),
    )


def fast(event: Event, reads: Reads, rounds: int, floor: Floor) -> Row:
    """``measure`` through ``entry.handler``, every request asserted answered by the fast path."""
    with fast_path_answers() as answered:
        row = measure(entry.handler, event, reads, rounds, floor)
    assert answered and all(answered), f"{answered.count(False)} of {len(answered)} left to the app"
    return row


def same_answer(event: Event) -> dict[str, Any]:
    """The whole app's answer, asserted to be the fast path's, byte for byte, and signed."""
    with fast_path_answers() as answered:
        quick = entry.handler(copy.deepcopy(event), None)
    whole = app(copy.deepcopy(event), None)
    assert answered == [True], "the check was left to the app"
    assert quick["statusCode"] == whole["statusCode"] == 200, (quick, whole)
    assert str(quick["body"]).encode() == str(whole["body"]).encode(), (quick["body"], whole["body"])
    signature = quick["headers"].get("X-IGNY8-Signature")
    assert signature and signature == whole["headers"].get("X-IGNY8-Signature"), (quick, whole)
    return whole


class Floor:
    """A Chalice handler sent the same kind of event, answering a constant the size of a no-update
    answer, timed once after every measured request: the median of those samples is the run's one
    floor, taken all along the run, so a shared machine's drift in speed moves it with the rows."""

    def __init__(self, size: int) -> None:
        self._app = Chalice("floor")
        constant = {"answer": "x" * max(size - 14, 0)}

        @self._app.route("/constant")
        def constant_view() -> dict[str, str]:
            return constant

        self._event = event_maker(self._app)("/constant")
        self.answer = len(str(self._app(copy.deepcopy(self._event), None)["body"]).encode())
        self.samples: list[float] = []

    def sample(self) -> None:
        sent = copy.deepcopy(self._event)
        start = CLOCK()
        self._app(sent, None)
        self.samples.append(CLOCK() - start)

    def ms(self) -> float:
        return statistics.median(self.samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with Path(os.devnull).open("w") as log, redirect_stdout(log):  # the handlers' metrics
        results, before, floor, signing = run(args.rounds)
    report(results, before, floor, signing)


def run(rounds: int) -> tuple[dict[int, dict[str, Row]], dict[int, tuple[int, int]], Floor, list[float]]:
    reads = Reads()
    count_fast_path_reads(reads)
    event = event_maker(app)
    results: dict[int, dict[str, Row]] = {}
    before: dict[int, tuple[int, int]] = {}
    floor: Floor | None = None
    for count in SIZES:
        with deployed():
            seed(count)
            hook(reads)
            checks = {
                "update": event(f"/plugins/{SLUG}/check-update?current_version=1.0.0"),
                "no update": event(f"/plugins/{SLUG}/check-update?current_version=1.{count - 1}.0"),
            }
            answers = {name: same_answer(check) for name, check in checks.items()}
            floor = floor or Floor(len(str(answers["no update"]["body"]).encode()))
            results[count] = {}
            for warmth in ("", ", warm"):
                for name, sent in (*checks.items(), ("info", event(f"/plugins/{SLUG}/info"))):
                    results[count][name + warmth] = measure(app, sent, reads, rounds, floor)
                for name, sent in checks.items():
                    results[count][f"{name}, entry{warmth}"] = fast(sent, reads, rounds, floor)
                os.environ["HOT_CACHE_SECONDS"] = "10"
                get_settings.cache_clear()  # the same repository (and hooks), a warm cache
            os.environ["HOT_CACHE_SECONDS"] = "0"
            get_settings.cache_clear()
            repository().versions(SLUG)
            reads.take()
            repository().versions(SLUG)
            calls, size, _ = reads.take()
            before[count] = (calls, size)
    assert floor is not None
    return results, before, floor, reads.signing


def report(
    results: dict[int, dict[str, Row]], before: dict[int, tuple[int, int]], floor: Floor, signing: list[float]
) -> None:
    print(
        "check-update and info, API Gateway events to the handlers, moto's server, per request "
        "(median handler and SDK CPU, DynamoDB calls and bytes); 'entry': entry.handler's fast path"
    )
    header = (
        f"{'versions':>8} {'answer':<22} {'calls':>6} {'bytes':>7} {'before':>9} {'CPU ms':>7} {'x floor':>8}"
    )
    print(header + f" {'SDK ms':>7} {'size B':>7} {'gzip B':>7} {'x floor':>8}")
    for count, rows in results.items():
        for name, row in rows.items():
            print(
                f"{count:>8} {name:<22} {row.calls:>6.1f} {row.bytes:>7.0f} {before[count][1]:>9} "
                f"{row.handler_ms:>7.3f} {row.handler_ms / floor.ms():>8.1f} {row.sdk_ms:>7.3f} "
                f"{row.answer:>7} {row.gzipped:>7} {row.answer / floor.answer:>8.2f}"
            )
    print(
        f"{'floor':>8} {'constant':<22} {0:>6.1f} {0:>7} {'':>9} {floor.ms():>7.3f} {1:>8.1f} "
        f"{0:>7.3f} {floor.answer:>7}"
    )
    for what, names in (
        ("calls", ("update", "update, entry", "info", "info, warm", "update, entry, warm")),
        ("bytes", ("update", "update, entry", "no update", "no update, entry", "info")),
    ):
        flat = {name: [getattr(results[c][name], what) for c in SIZES] for name in names}
        print(f"DynamoDB {what} read per request at 3/30/300 versions:", json.dumps(flat))
    print(
        f"of the entry rows' SDK CPU, aws_json's SigV4 signing: median {statistics.median(signing) * 1000:.3f} "
        f"ms per call ({len(signing)} signed calls)"
    )


if __name__ == "__main__":
    main()
