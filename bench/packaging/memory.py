"""Peak memory: each build runs in a fresh interpreter that reports its high-water mark, against a
baseline interpreter that only imports the packager."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.packaging import BIG_LIMITS, NEW_VERSION, SLUG
from bench.packaging.fixtures import Source

REPO_ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import json, resource, sys
from pathlib import Path
from chalicelib.logic.packaging import Limits, build_wordpress_package
args = json.loads(sys.argv[1])
if args["source"] is not None:
    built = build_wordpress_package(
        Path(args["source"]), args["slug"], args["version"], Path(args["workdir"]), Limits(**args["limits"])
    )
    built.path.unlink()
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"vmhwm_kib": hwm, "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


@dataclass(frozen=True)
class Peak:
    """A child's peak RSS, KiB, two ways.

    ``vmhwm`` is the high-water mark of the child's own address space. ``maxrss`` is what the
    brief asked for, ``ru_maxrss``; but Linux carries the peak of the address space a process
    had before ``exec`` into it, and ``subprocess`` starts children by (v)fork + exec, so a
    child's ``ru_maxrss`` is never below this benchmark's own peak at the time.
    """

    vmhwm: int
    maxrss: int


def child_peak(source: Path | None, workdir: Path) -> Peak:
    args = {
        "source": str(source) if source is not None else None,
        "slug": SLUG,
        "version": NEW_VERSION,
        "workdir": str(workdir),
        "limits": {
            "max_archive_bytes": BIG_LIMITS.max_archive_bytes,
            "max_total_bytes": BIG_LIMITS.max_total_bytes,
        },
    }
    pythonpath = os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH"))))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath},
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return Peak(vmhwm=int(report["vmhwm_kib"]), maxrss=int(report["maxrss_kib"]))


@dataclass(frozen=True)
class Memory:
    source: Source
    peak: Peak
    baseline: Peak

    @property
    def growth_kib(self) -> int:
        return self.peak.vmhwm - self.baseline.vmhwm

    @property
    def maxrss_growth_kib(self) -> int:
        return self.peak.maxrss - self.baseline.maxrss
