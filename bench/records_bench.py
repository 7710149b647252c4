"""What declaring the records with pydantic costs a Lambda: at import (cold start) and per record read.

Run from the repository root::

    .venv/bin/python -m bench.records_bench

Measured in one run, on the same machine (it is shared: compare ratios, not milliseconds):

* import: a fresh interpreter imports ``chalicelib.logic.model`` (the records as pydantic
  dataclasses), then a twin of it with the same records as stdlib dataclasses (generated from the
  records' own fields, importing the same helpers), then the records again with pydantic's plugin
  discovery off (``PYDANTIC_DISABLE_PLUGINS``: it scans every installed distribution's entry
  points), then ``pydantic.dataclasses`` alone, then ``app`` (everything a Lambda imports); median
  of N interpreters each, wall and CPU time.
* read: building 42 ``PluginVersion`` records from what a DynamoDB query gives (plain values, the
  status a string), the pydantic record validating, the twin as the hand-written copy functions
  did (``Status(...)`` converted by hand); median per record.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic_core import PydanticUndefined

from chalicelib.logic import model
from chalicelib.logic.model import Platform, Status

RECORDS = ("Failure", "AuditEntry", "Site", "Installation", "Plugin", "PluginVersion")
VERSIONS = 42
TWIN = "records_twin"
PYDANTIC, STDLIB, APP = "records, pydantic dataclasses", "records, stdlib dataclasses", "app (the whole API)"


def _twin_source() -> str:
    """The records as stdlib dataclasses: same names, fields, annotations and defaults, and the
    same imports of the service's helpers, so only the way of declaring differs."""
    lines = [
        "from __future__ import annotations",
        "from dataclasses import dataclass, field",
        "from datetime import datetime",
        "from enum import StrEnum",
        "from typing import Any",
        "from chalicelib.logic.errors import InvalidInput",
        "from chalicelib.logic.grammar import SLUG_RULE, is_slug",
        "from chalicelib.logic.versions import InvalidVersion, normalize_version, version_code",
        "Moment = PreciseMoment = datetime",
        "EmptyIsNull = str",
    ]
    for enum in (Platform, Status):
        lines.append(f"class {enum.__name__}(StrEnum):")
        lines += [f"    {member.name} = {member.value!r}" for member in enum]
    for name in RECORDS:
        record = getattr(model, name)
        frozen = record.__dataclass_params__.frozen
        lines.append(f"@dataclass(frozen={frozen})\nclass {name}:")
        for stdlib, info in zip(dataclasses.fields(record), record.__pydantic_fields__.values(), strict=True):
            if info.default_factory is not None:
                default = f" = field(default_factory={info.default_factory.__name__})"
            elif info.default is PydanticUndefined:
                default = ""
            else:
                default = f" = {info.default!r}"
            lines.append(f"    {stdlib.name}: {stdlib.type}{default}")
    return "\n".join(lines) + "\n"


def _import_ms(module: str, runs: int, path: str, **env: str) -> tuple[float, float]:
    """Median wall and CPU milliseconds over ``runs`` fresh interpreters importing ``module`` (one
    warm-up run first, so bytecode is compiled before anything is timed). CPU time is the steadier
    figure on a shared machine; wall time is what a cold start waits."""
    code = textwrap.dedent(f"""
        import time
        wall, cpu = time.perf_counter(), time.process_time()
        import {module}
        print(time.perf_counter() - wall, time.process_time() - cpu)
    """)
    search = os.pathsep.join(filter(None, [path, os.environ.get("PYTHONPATH")]))
    walls, cpus = [], []
    for run in range(runs + 1):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONPATH": search, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        if run:
            wall, cpu = (float(figure) for figure in result.stdout.split())
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
    return statistics.median(walls), statistics.median(cpus)


def _rows(count: int) -> list[dict[str, Any]]:
    """Versions as a query returns them: every field present, the status a plain string."""
    moment = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    return [
        {
            "slug": "igny8-bridge",
            "version": f"1.{n}.0",
            "status": "released",
            "created_at": moment,
            "channel": "stable",
            "file_path": f"packages/wordpress/igny8-bridge/1.{n}.0.zip",
            "file_size": 123_456,
            "sha256": "b" * 64,
            "sha384": "c" * 96,
            "signature": "s" * 88,
            "signature_key_id": "key-1",
            "changelog": "* Fixed things\n" * 20,
            "released_at": moment,
            "force_update": False,
            "requires": "6.0",
            "tested": "6.5",
            "requires_php": "8.1",
            "main_file": "igny8-bridge.php",
            "plugin_name": "IGNY8 Bridge",
            "description": "Connects WordPress to IGNY8",
            "author": "IGNY8",
            "author_uri": "https://igny8.com",
            "plugin_uri": "https://igny8.com/bridge",
            "update_uri": "https://plugins.igny8.com",
            "text_domain": "igny8-bridge",
            "sections": {"description": "<p>Bridge</p>", "changelog": "<ul><li>x</li></ul>"},
            "stamped": ["igny8-bridge.php"],
            "source_key": "sources/wordpress/igny8-bridge/x.zip",
            "source_version_id": "v1",
            "source_event_time": moment,
            "rollout_percent": 100,
            "offer_above": None,
            "rollback_of": None,
            "package_expires_at": None,
            "revision": 3,
            "failure_code": "",
            "failure_reason": "",
        }
        for n in range(count)
    ]


def _per_record_us(build: Any, rows: list[dict[str, Any]], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for row in rows:
            build(row)
        samples.append((time.perf_counter() - started) / len(rows) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per import figure")
    parser.add_argument("--repeats", type=int, default=200, help="reads of the 42 versions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, f"{TWIN}.py").write_text(_twin_source(), encoding="utf-8")
        root = str(Path(__file__).resolve().parent.parent)
        path = os.pathsep.join([root, scratch])
        imports = {
            PYDANTIC: _import_ms("chalicelib.logic.model", args.runs, path),
            STDLIB: _import_ms(TWIN, args.runs, path),
            "records, pydantic, plugins off": _import_ms(
                "chalicelib.logic.model", args.runs, path, PYDANTIC_DISABLE_PLUGINS="__all__"
            ),
            "pydantic.dataclasses alone": _import_ms("pydantic.dataclasses", args.runs, path),
            APP: _import_ms("app", args.runs, path),
        }
        sys.path.insert(0, scratch)
        twin: ModuleType = __import__(TWIN)

    rows = _rows(VERSIONS)
    twin_status, twin_version = twin.Status, twin.PluginVersion
    pydantic_us = _per_record_us(lambda row: model.PluginVersion(**row), rows, args.repeats)
    stdlib_us = _per_record_us(
        lambda row: twin_version(**{**row, "status": twin_status(row["status"])}), rows, args.repeats
    )

    print(f"Import, median of {args.runs} fresh interpreters    wall ms    CPU ms")
    for label, (wall, cpu) in imports.items():
        print(f"  {label:<38} {wall:8.1f}  {cpu:8.1f}")
    for column, name in ((0, "wall"), (1, "CPU")):
        pydantic, stdlib, app = (imports[label][column] for label in (PYDANTIC, STDLIB, APP))
        print(
            f"  {name}: pydantic / stdlib {pydantic / stdlib:.2f}x (+{pydantic - stdlib:.1f} ms),"
            f" records {pydantic / app:.0%} of the app's import"
        )
    print(f"\nReading {VERSIONS} versions, median of {args.repeats} (us per record)")
    print(f"  pydantic dataclass {pydantic_us:8.2f}\n  stdlib dataclass   {stdlib_us:8.2f}")
    print(
        f"  pydantic / stdlib: {pydantic_us / stdlib_us:.2f}x, +{(pydantic_us - stdlib_us) * VERSIONS:.0f} us per 42"
    )


if __name__ == "__main__":
    main()
