"""The benchmark's tables on stdout: each figure next to its floor (or baseline) and their ratio."""

from __future__ import annotations

import math
import resource

from bench.packaging import MB
from bench.packaging.memory import Memory
from bench.packaging.timing import Throughput


def _mb(size: float) -> str:
    return f"{size / MB:.2f}"


def print_throughput(results: list[Throughput]) -> None:
    print(
        "\nThroughput (source MB uncompressed per second, best of N; floor = inflate + deflate-9 + SHA-256)"
    )
    print(
        f"{'plugin':<12} {'files':>5} {'source MB':>9} {'zip MB':>7} {'package MB':>10} {'N':>2} "
        f"{'packaging MB/s':>14} {'floor MB/s':>10} {'ratio':>6}"
    )
    for r in results:
        s = r.source
        print(
            f"{s.recipe.label:<12} {s.files:>5} {_mb(s.uncompressed):>9} {_mb(s.archive_bytes):>7} "
            f"{_mb(r.package_bytes):>10} {r.runs:>2} {r.package_mb_s:>14.2f} {r.floor_mb_s:>10.2f} "
            f"{r.package_mb_s / r.floor_mb_s:>6.2f}"
        )


def print_memory(results: list[Memory]) -> None:
    baseline = results[0].baseline
    print(
        "\nPeak RSS growth over a child that only imports the packager "
        f"(baseline VmHWM {baseline.vmhwm / 1024:.1f} MiB, ru_maxrss {baseline.maxrss / 1024:.1f} MiB)"
    )
    print(
        f"{'source MB':>9} {'files':>5} {'zip MB':>7} {'largest entry MB':>16} {'peak growth MB':>14} "
        f"{'growth / zip':>12} {'ru_maxrss growth MB':>19}"
    )
    for m in results:
        s = m.source
        growth = m.growth_kib * 1024
        print(
            f"{_mb(s.uncompressed):>9} {s.files:>5} {_mb(s.archive_bytes):>7} {_mb(s.largest_entry):>16} "
            f"{_mb(growth):>14} {growth / s.archive_bytes:>12.3f} {_mb(m.maxrss_growth_kib * 1024):>19}"
        )
    first, last = results[0], results[-1]
    ratio = last.growth_kib / first.growth_kib if first.growth_kib > 0 else math.inf
    print(
        f"peak growth, {_mb(last.source.uncompressed)} MB source / {_mb(first.source.uncompressed)} MB source: "
        f"{ratio:.2f}x (the source is {last.source.uncompressed / first.source.uncompressed:.0f}x larger)"
    )
    print(
        "peak = VmHWM of the child's own address space; ru_maxrss (last column) also counts this "
        f"benchmark's own peak before exec ({self_maxrss_mib():.0f} MiB now), so it is not used"
    )


def self_maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
