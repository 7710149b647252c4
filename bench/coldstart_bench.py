"""Cold starts: how long a fresh process takes to import each function's app, as shipped.

Run from the repository root (it builds both artefacts first, about a minute)::

    .venv/bin/python -m bench.coldstart_bench [--rounds 15] [--stage dev]

A Lambda cold start runs the interpreter and imports the handler's module (``app.py``); that is
what is timed here, as whole fresh processes (``python -c "import app"``), in the artefacts
``infra/package.py`` builds (``chalice package``, then the runtime's SDK dropped from the public
bundle and every module compiled), unpacked as Lambda unpacks them:

- **as shipped**: the bundle with its ``.pyc``, run with ``-B`` (Lambda's file system is read-only:
  nothing compiled at run time is kept);
- **without .pyc**: the same bundle with every ``__pycache__`` removed (what Chalice ships by
  default: each cold start compiles every module it imports).

botocore comes from this interpreter's site-packages, as Lambda's runtime provides it. Floors,
measured in the same rounds (interleaved, so a busy machine weighs on every row alike): the bare
interpreter (``python -c pass``) and a Chalice app with one constant route. Each row is the median
(and the fastest) of the rounds in wall time, and the CPU time (user + system) of the process.
``--before REV`` adds the artefact of an earlier revision as ``chalice package`` made it (for
the split itself: one app with every route, botocore bundled, no ``.pyc``).
"""

from __future__ import annotations

import argparse
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

from infra.package import ROOT, build

CONSTANT_APP = """from chalice import Chalice

app = Chalice(app_name="floor")


@app.route("/")
def index():
    return {"update_available": False}
"""
#: Lambda's environment for these functions (what importing reads): the stage's variables.
LAMBDA_ENV = {"PYDANTIC_DISABLE_PLUGINS": "__all__", "LOG_LEVEL": "INFO", "STAGE": "dev"}


@dataclass
class Row:
    name: str
    folder: Path
    code: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self) -> None:
        """One fresh process; its wall and CPU time in ms."""
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}, **LAMBDA_ENV}
        env["PYTHONPATH"] = str(self.folder)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-B", "-c", self.code], cwd=self.folder, env=env, check=True)
        self.wall.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        self.cpu.append(used * 1000)


def unpack(bundle: Path, into: Path, *, pyc: bool) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(into)
    if not pyc:
        for cache in list(into.rglob("__pycache__")):
            shutil.rmtree(cache)
    return into


def package_revision(revision: str, into: Path) -> Path:
    """The bundle ``chalice package`` made of ``revision`` (a clone's files at that commit)."""
    clone = into / "clone"
    clone.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(clone)], input=archive, check=True)
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run([str(chalice), "package", "--stage", "dev", str(into / "out")], cwd=clone, check=True)
    return into / "out" / "deployment.zip"


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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="igny8-coldstart-") as workdir:
        work = Path(workdir)
        built = build(args.stage, work / "build")
        rows = [Row("floor: python -c pass", work, "pass")]
        shipped = unpack(built["public"] / "deployment.zip", work / "public-pyc", pyc=True)
        (work / "floor").mkdir()
        (work / "floor" / "app.py").write_text(CONSTANT_APP)
        # The constant app runs on the public bundle's Chalice (compiled, as shipped).
        rows.append(
            Row(
                "floor: constant Chalice app",
                shipped,
                "import sys; sys.path.insert(0, '../floor'); import app",
            )
        )
        for name in ("public", "admin"):
            bundle = built[name] / "deployment.zip"
            with_pyc = shipped if name == "public" else unpack(bundle, work / f"{name}-pyc", pyc=True)
            without = unpack(bundle, work / f"{name}-source", pyc=False)
            rows.append(Row(f"{name} app, as shipped (.pyc)", with_pyc, "import app"))
            rows.append(Row(f"{name} app, without .pyc", without, "import app"))
        if args.before:
            before = package_revision(args.before, work / "before")
            unpacked = unpack(before, work / "before-app", pyc=False)
            rows.append(Row(f"before ({args.before}): every route", unpacked, "import app"))
        for _ in range(args.rounds):
            for row in rows:
                row.run()
        floor = statistics.median(rows[0].wall)
        chalice_floor = statistics.median(rows[1].wall)
        print(
            f"\nCold init, fresh processes, {args.rounds} rounds ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
        )
        print(f"{'':38} {'median ms':>10} {'fastest':>8} {'CPU ms':>7} {'x python':>9} {'x chalice':>10}")
        for row in rows:
            median = statistics.median(row.wall)
            print(
                f"{row.name:38} {median:10.0f} {min(row.wall):8.0f} {statistics.median(row.cpu):7.0f} "
                f"{median / floor:9.1f} {median / chalice_floor:10.2f}"
            )
        for name in ("public", "admin"):
            print(f"{name} bundle: {footprint(built[name] / 'deployment.zip')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
