"""Throughput and peak memory of ``build_wordpress_package`` on synthetic WordPress plugins.

Run from the repository root::

    .venv/bin/python -m bench.packaging_bench        # or: python bench/packaging_bench.py

Machines are shared and noisy, so every figure is printed next to a *floor* measured in the same
run on the same bytes, and the ratio is what to compare between runs:

* throughput: source bytes (uncompressed) per second through ``build_wordpress_package``, best of
  N runs, against the work the packager cannot avoid: inflate every source entry, deflate it again
  at level 9, SHA-256 the result. Packaging and floor runs alternate so that drift hits both.
* memory: each build runs in a fresh interpreter that reports ``ru_maxrss`` after the build; a
  baseline interpreter that only imports the packager is subtracted. The sources are mostly
  incompressible (the archive is about as large as the plugin) and one asset is a fifth of the
  plugin, so a packager that held an archive or an entry in memory would show it.

Sources are generated from fixed seeds, so every run packages the same bytes. Progress goes to
stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python bench/packaging_bench.py` without an installed project
    sys.path.insert(0, str(REPO_ROOT))

from bench.packaging import log  # noqa: E402
from bench.packaging.fixtures import LARGE, SMALL, make_source, memory_recipe  # noqa: E402
from bench.packaging.memory import Memory, child_peak  # noqa: E402
from bench.packaging.report import print_memory, print_throughput, self_maxrss_mib  # noqa: E402
from bench.packaging.timing import Throughput, measure_throughput  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--memory-sizes", type=int, nargs="+", default=[5, 25, 50, 100], metavar="MB")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(
        f"packaging_bench {datetime.date.today().isoformat()}  Python {platform.python_version()}  "
        f"zlib {zlib.ZLIB_RUNTIME_VERSION}  {os.cpu_count()} CPUs  {platform.machine()}"
    )
    scratch = Path(tempfile.mkdtemp(prefix="packaging-bench-"))
    try:
        sources, workdir = scratch / "sources", scratch / "out"
        sources.mkdir()
        workdir.mkdir()
        if not args.skip_throughput:
            throughput: list[Throughput] = []
            for recipe, runs in ((SMALL, 5), (LARGE, 3)):
                log(f"generating {recipe.label}")
                source = make_source(recipe, sources)
                throughput.append(measure_throughput(source, runs, workdir))
                source.path.unlink()
            print_throughput(throughput)
        if not args.skip_memory:
            baseline = min((child_peak(None, workdir) for _ in range(3)), key=lambda peak: peak.vmhwm)
            memory: list[Memory] = []
            for size in args.memory_sizes:
                log(f"generating {size} MB memory source")
                source = make_source(memory_recipe(size), sources)
                log(f"packaging {size} MB in a fresh interpreter")
                memory.append(Memory(source, child_peak(source.path, workdir), baseline))
                source.path.unlink()
            print_memory(memory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"\ntotal {time.perf_counter() - started:.0f}s; peak RSS of this process {self_maxrss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
