"""Cold starts: how long a fresh process takes to import each function's handler, as shipped.

Run from the repository root (it builds both artefacts first, about a minute)::

    .venv/bin/python -m bench.coldstart_bench [--rounds 15] [--stage dev]

A Lambda cold start runs the interpreter and imports the module of the handler its template names
(the public function's: ``chalicelib.api.entry``, check-update's fast path, see
``infra/package.py``; the control plane's: Chalice's ``app.py``); that is what is timed here, as
whole fresh processes (``python -c "import chalicelib.api.entry"``), in the artefacts
``infra/package.py`` builds (``chalice package``, then the runtime's SDK dropped from the public
bundle and every module compiled), unpacked as Lambda unpacks them:

- **as shipped**: the bundle with its ``.pyc``, run with ``-B`` (Lambda's file system is read-only:
  nothing compiled at run time is kept);
- **without .pyc**: the same bundle with every ``__pycache__`` removed (what Chalice ships by
  default: each cold start compiles every module it imports).

botocore comes from this interpreter's site-packages, as Lambda's runtime provides it. Floors,
measured in the same rounds (interleaved, so a busy machine weighs on every row alike): the bare
interpreter (``python -c pass``) and a Chalice app with one constant route. The public app as a
whole (``import app``, what its function imported before it had an entry of its own) is a row
too. Each row is the median (and the fastest) of the rounds in wall time, and the CPU time (user +
system) of the process.
``--before REV`` adds the artefact of an earlier revision as ``chalice package`` made it (for
the split itself: one app with every route, botocore bundled, no ``.pyc``); ``--baseline REV``
adds REV's public artefact as REV's own ``infra/package.py`` shipped it, alone and with a check,
so a change is compared with what it replaced in the same rounds.

Import alone would flatter a function that defers its work into the first request (the entry
imports the app only for a request its fast path leaves), so two rows also answer one
check-update in the same fresh process: an API Gateway proxy event for a site behind by 29
versions (an update is offered), through the function's handler as its template names it, against
the template's tables on moto's server seeded as ``bench/cost/measure.py`` seeds them (30 versions).
Those rows print where their time went inside the process: the import, then the request (its
first DynamoDB client, connection and reads included; moto answers on this machine), and how
many modules of pydantic, botocore and pynamodb were loaded once it was answered, and whether the
whole app was: none when the fast path answered.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from chalice.local import LambdaEventConverter, RouteMatcher

from bench.cost.measure import BRIDGE_AGENT, CHECK, moto_stack
from infra.package import ROOT, api_handler, build

CONSTANT_APP = """from chalice import Chalice

app = Chalice(app_name="floor")


@app.route("/")
def index():
    return {"update_available": False}
"""
#: Lambda's environment for these functions (what importing reads): the stage's variables.
LAMBDA_ENV = {"PYDANTIC_DISABLE_PLUGINS": "__all__", "LOG_LEVEL": "INFO", "STAGE": "dev"}
#: What the public app's libraries cost by themselves, cumulatively (the bundle's, as shipped): the
#: public app's row minus the last of these is its own modules' import.
LIBRARY_LAYERS = (
    ("libraries: chalice, pydantic", "import chalice.app, pydantic.dataclasses, pydantic.root_model"),
    ("  + pynamodb, botocore", "import pynamodb.models, botocore.session"),
    (
        "  + powertools, cryptography, nh3",
        "import aws_lambda_powertools.logging, aws_lambda_powertools.metrics, nh3, "
        "cryptography.hazmat.primitives.asymmetric.ed25519",
    ),
)
#: Marks the line where ``FIRST_CHECK`` prints its split (Powertools' log lines are on stdout too).
SPLIT = "coldstart-split"
#: What ``FIRST_CHECK`` counts in ``sys.modules`` once it has its answer (top-level names): the
#: libraries the fast path exists to avoid, and the whole app.
WATCHED = ("pydantic", "botocore", "pynamodb", "app")
#: A cold start's first request: import the handler (``HANDLER_MODULE.HANDLER_NAME``), then hand it
#: one proxy event (argv[1]), as Lambda does; prints the split (seconds, wall and CPU) and the
#: ``WATCHED`` modules loaded after ``SPLIT``.
FIRST_CHECK = """import json, sys, time
wall, cpu = time.perf_counter(), time.process_time()
from HANDLER_MODULE import HANDLER_NAME as handler
imported = (time.perf_counter() - wall, time.process_time() - cpu)


class Context:
    function_name = "igny8-plugins-public"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:igny8-plugins-public"
    aws_request_id = "coldstart-bench"

    @staticmethod
    def get_remaining_time_in_millis():
        return 30_000


answer = handler(json.loads(sys.argv[1]), Context())
served = (time.perf_counter() - wall, time.process_time() - cpu)
if answer["statusCode"] != 200:
    raise SystemExit(f"check-update answered {answer['statusCode']}: {answer['body']}")
loaded = {name: sum(m.split(".")[0] == name for m in sys.modules) for name in WATCHED}
split = {"import": imported, "request": [t - i for t, i in zip(served, imported)], "loaded": loaded}
print(SPLIT, json.dumps(split))
""".replace("SPLIT", repr(SPLIT)).replace("WATCHED", repr(WATCHED))
#: The check-update route as the public app declares it (the event names its resource path).
CHECK_ROUTE = "/plugins/{slug}/check-update"


@dataclass
class Row:
    name: str
    folder: Path
    code: str
    #: Arguments after the code (``FIRST_CHECK``'s event).
    args: tuple[str, ...] = ()
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    #: ``FIRST_CHECK``'s own split per process: import and request, wall and CPU, in ms.
    splits: list[dict[str, list[float]]] = field(default_factory=list)
    #: ``FIRST_CHECK``'s ``WATCHED`` modules per process, by name, once the check was answered.
    loaded: list[dict[str, int]] = field(default_factory=list)

    def run(self) -> None:
        """One fresh process; its wall and CPU time in ms."""
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}, **LAMBDA_ENV}
        env["PYTHONPATH"] = str(self.folder)
        if self.args:  # a request reads the stack's tables: the stage moto_stack configured
            env["STAGE"] = os.environ["STAGE"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-B", "-c", self.code, *self.args],
            cwd=self.folder,
            env=env,
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"{self.name}: exit {done.returncode}\n{done.stderr[-3000:]}")
        self.wall.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        self.cpu.append(used * 1000)
        for line in done.stdout.splitlines():
            if line.startswith(SPLIT):
                split = json.loads(line.removeprefix(SPLIT))
                self.loaded.append(split.pop("loaded"))
                self.splits.append({part: [t * 1000 for t in times] for part, times in split.items()})

    def split(self) -> str:
        """The median import and request of ``FIRST_CHECK``, wall (CPU), or nothing."""
        if not self.splits:
            return ""
        parts = []
        for part in ("import", "request"):
            wall = statistics.median(s[part][0] for s in self.splits)
            cpu = statistics.median(s[part][1] for s in self.splits)
            parts.append(f"{part} {wall:.0f} ({cpu:.0f} CPU)")
        return f"{', '.join(parts)}; {self.modules()}"

    def modules(self) -> str:
        """The ``WATCHED`` modules loaded by the time the check was answered (the most of any round)."""
        most = {name: max(loaded[name] for loaded in self.loaded) for name in WATCHED}
        libraries = ", ".join(f"{name} {most[name]}" for name in WATCHED if name != "app")
        return f"loaded: {libraries} modules, the whole app {'too' if most['app'] else 'not'}"


def first_check(handler: str) -> str:
    """``FIRST_CHECK`` for a handler named as a template names it (``module.attribute``)."""
    module, name = handler.rsplit(".", 1)
    return FIRST_CHECK.replace("HANDLER_MODULE", module).replace("HANDLER_NAME", name)


def init(handler: str) -> str:
    """What Lambda runs first for a handler named as a template names it: its module's import."""
    return f"import {handler.rsplit('.', 1)[0]}"


def function(handler: str) -> str:
    """A row's name for a function starting at ``handler``: its module's own name."""
    return handler.rsplit(".", 1)[0].rsplit(".", 1)[-1]


def check_event() -> str:
    """The proxy event API Gateway hands the public function for a site's check-update, as JSON."""
    url = CHECK.replace("/check-update/?", "/check-update?") + "1.0.0"
    converter = LambdaEventConverter(RouteMatcher([CHECK_ROUTE]))
    event = converter.create_lambda_event("GET", url, {"User-Agent": BRIDGE_AGENT, "Host": "api.local"})
    return json.dumps(event)


def unpack(bundle: Path, into: Path, *, pyc: bool) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(into)
    if not pyc:
        for cache in list(into.rglob("__pycache__")):
            shutil.rmtree(cache)
    return into


def package_revision(revision: str, into: Path, *, shipped: bool = False) -> Path:
    """The public output of ``revision`` (a clone's files at that commit: ``sam.json`` and
    ``deployment.zip``): as ``chalice package`` made it, or as that revision's own
    ``infra/package.py`` ships it."""
    clone = into / "clone"
    clone.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(clone)], input=archive, check=True)
    if shipped:
        out = into / "out"
        subprocess.run(
            [sys.executable, "-m", "infra.package", "--stage", "dev", "--out", str(out)],
            cwd=clone,
            check=True,
        )
        return out / "public"
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run([str(chalice), "package", "--stage", "dev", str(into / "out")], cwd=clone, check=True)
    return into / "out"


def footprint(bundle: Path) -> str:
    with zipfile.ZipFile(bundle) as archive:
        entries = archive.infolist()
    unpacked = sum(e.file_size for e in entries) / 1e6
    botocore = sum(e.filename.startswith("botocore/") for e in entries)
    return (
        f"{bundle.stat().st_size / 1e6:.1f} MB zipped, {unpacked:.1f} MB unpacked, "
        f"{len(entries)} files ({botocore} of botocore)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--stage", default="dev", choices=["dev", "prod"])
    parser.add_argument(
        "--before", metavar="REV", help="also an earlier revision's artefact, as Chalice made it"
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also an earlier revision's public artefact as it shipped, alone and with a check",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="igny8-coldstart-") as workdir, moto_stack():
        work = Path(workdir)
        built = build(args.stage, work / "build")
        rows = measured_rows(work, built, args.before, args.baseline)
        for _ in range(args.rounds):
            for row in rows:
                row.run()
        report(rows, args.rounds)
        for name in ("public", "admin"):
            print(f"{name} bundle: {footprint(built[name] / 'deployment.zip')}")
    return 0


def measured_rows(
    work: Path, built: dict[str, Path], before_revision: str | None, baseline: str | None
) -> list[Row]:
    """The floors first (the ratios' denominators), the libraries alone, then each function as
    shipped and without .pyc (and the whole public app), then earlier revisions'."""
    rows = [Row("floor: python -c pass", work, "pass")]
    shipped = unpack(built["public"] / "deployment.zip", work / "public-pyc", pyc=True)
    (work / "floor").mkdir()
    (work / "floor" / "app.py").write_text(CONSTANT_APP)
    # The constant app runs on the public bundle's Chalice (compiled, as shipped).
    rows.append(
        Row("floor: constant Chalice app", shipped, "import sys; sys.path.insert(0, '../floor'); import app")
    )
    code = ""
    for name, imports in LIBRARY_LAYERS:
        code = f"{code}; {imports}" if code else imports
        rows.append(Row(name, shipped, code))
    event = check_event()
    for name in ("public", "admin"):
        bundle = built[name] / "deployment.zip"
        handler = api_handler(built[name])
        with_pyc = shipped if name == "public" else unpack(bundle, work / f"{name}-pyc", pyc=True)
        without = unpack(bundle, work / f"{name}-source", pyc=False)
        label = f"{name} function ({function(handler)})"
        rows.append(Row(f"{label}, as shipped", with_pyc, init(handler)))
        rows.append(Row(f"{label}, without .pyc", without, init(handler)))
        if name == "public":
            check = first_check(handler)
            rows.append(Row("  + 1st check-update, shipped", with_pyc, check, (event,)))
            rows.append(Row("  + 1st check-update, no .pyc", without, check, (event,)))
            rows.append(Row("public whole app (import app), shipped", with_pyc, "import app"))
    if before_revision:
        before = package_revision(before_revision, work / "before")
        unpacked = unpack(before / "deployment.zip", work / "before-app", pyc=False)
        rows.append(Row(f"before ({before_revision}): every route", unpacked, init(api_handler(before))))
    if baseline:
        output = package_revision(baseline, work / "baseline", shipped=True)
        handler = api_handler(output)
        shipped_then = unpack(output / "deployment.zip", work / "baseline-app", pyc=True)
        rows.append(Row(f"public at {baseline}, shipped", shipped_then, init(handler)))
        rows.append(Row(f"  + 1st check-update, at {baseline}", shipped_then, first_check(handler), (event,)))
    return rows


def report(rows: list[Row], rounds: int) -> None:
    floor = statistics.median(rows[0].wall)
    chalice_floor = statistics.median(rows[1].wall)
    print(
        f"\nCold init, fresh processes, {rounds} rounds ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
    )
    print(f"{'':38} {'median ms':>10} {'fastest':>8} {'CPU ms':>7} {'x python':>9} {'x chalice':>10}")
    for row in rows:
        median = statistics.median(row.wall)
        print(
            f"{row.name:38} {median:10.0f} {min(row.wall):8.0f} {statistics.median(row.cpu):7.0f} "
            f"{median / floor:9.1f} {median / chalice_floor:10.2f}"
        )
    for row in rows:
        if row.splits:
            print(f"{row.name}, inside the process (median ms): {row.split()}")


if __name__ == "__main__":
    sys.exit(main())
