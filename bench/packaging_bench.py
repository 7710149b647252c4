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
import hashlib
import json
import math
import os
import platform
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python bench/packaging_bench.py` without an installed project
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.logic.packaging import Limits, build_wordpress_package  # noqa: E402

MB = 1_000_000
KB = 1_000
SLUG = "bench-plugin"
OLD_VERSION = "1.0.0"
# Ingest always passes the release version, so the benchmark stamps (every PHP file is rewritten).
NEW_VERSION = "1.0.1"
# The 100 MB memory source is mostly incompressible: give it room above the default limits.
BIG_LIMITS = Limits(max_archive_bytes=1024 * 1024 * 1024, max_total_bytes=2 * 1024 * 1024 * 1024)
_SOURCE_EPOCH = (2024, 1, 1, 0, 0, 0)
_FLOOR_SLICE = 256 * 1024


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- synthetic plugin sources ------------------------------------------------------------------

_SYLLABLES = [
    "get",
    "post",
    "meta",
    "igny8",
    "bridge",
    "option",
    "render",
    "field",
    "user",
    "cache",
    "update",
    "plugin",
    "admin",
    "settings",
    "api",
    "request",
    "response",
    "item",
    "list",
    "value",
    "key",
    "data",
    "html",
    "style",
    "script",
    "query",
    "term",
    "nonce",
    "ajax",
    "sanitize",
    "escape",
    "filter",
    "action",
    "hook",
    "widget",
    "block",
    "editor",
    "page",
    "site",
    "network",
    "remote",
    "token",
    "sync",
]


def _identifiers(rng: random.Random, count: int) -> list[str]:
    return ["_".join(rng.choices(_SYLLABLES, k=rng.randint(1, 3))) for _ in range(count)]


def _php_line(rng: random.Random, ids: list[str]) -> str:
    a, b, c = rng.choice(ids), rng.choice(ids), rng.choice(ids)
    templates = (
        f"\t${a} = {b}( ${c}, '{a}' );\n",
        f"function {a}_{b}( ${c} ) {{\n",
        f"\treturn ${a}->{b}( ${c} );\n}}\n",
        f"\t// {a.replace('_', ' ')} before {b.replace('_', ' ')}.\n",
        f"\tif ( ! empty( ${a}['{b}'] ) ) {{\n\t\t${c}[] = esc_html( ${a}['{b}'] );\n\t}}\n",
        f"\tadd_action( '{a}', array( $this, '{b}' ), {rng.randint(1, 99)} );\n",
        f"\t${a} = get_option( '{b}_{c}', array() );\n",
    )
    return rng.choice(templates)


def _js_line(rng: random.Random, ids: list[str]) -> str:
    a, b, c = rng.choice(ids), rng.choice(ids), rng.choice(ids)
    templates = (
        f"  const {a} = {b}.{c}({rng.randint(0, 999)});\n",
        f"  document.querySelectorAll('.{a}').forEach(({b}) => {b}.classList.add('{c}'));\n",
        f"function {a}({b}, {c}) {{\n  return {b} ? {c}.{a} : null;\n}}\n",
        f"  // {a.replace('_', ' ')}: {b.replace('_', ' ')}\n",
        f"  fetch(`/wp-json/{a}/{b}`).then((r) => r.json()).then({c});\n",
    )
    return rng.choice(templates)


def _css_line(rng: random.Random, ids: list[str]) -> str:
    a, b = rng.choice(ids), rng.choice(ids)
    templates = (
        f".{a} .{b} {{ margin: {rng.randint(0, 40)}px {rng.randint(0, 40)}px; }}\n",
        f".{a}:hover {{ color: #{rng.randrange(16**6):06x}; }}\n",
        f"#{a}-{b} {{ display: flex; gap: {rng.randint(1, 24)}px; }}\n",
    )
    return rng.choice(templates)


_LINE_MAKERS: dict[str, Callable[[random.Random, list[str]], str]] = {
    "php": _php_line,
    "js": _js_line,
    "css": _css_line,
}
_TEXT_DIRS = {"php": ("includes", "admin", "public"), "js": ("assets/js",), "css": ("assets/css",)}
_BINARY_KINDS = (("assets/img", "png"), ("assets/img", "jpg"), ("assets/fonts", "woff2"))


class _TextSource:
    """Code-like text: lines drawn from a per-language pool, so it deflates like real source (~4-6:1)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        ids = _identifiers(rng, 800)
        self._pools = {ext: [make(rng, ids) for _ in range(3000)] for ext, make in _LINE_MAKERS.items()}

    def text(self, ext: str, size: int) -> bytes:
        pool = self._pools[ext]
        out: list[str] = []
        total = 0
        while total < size:
            batch = self._rng.choices(pool, k=max(16, (size - total) // 40))
            out.extend(batch)
            total += sum(len(line) for line in batch)
        return "".join(out).encode()[:size]


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _main_file(text: _TextSource, body_bytes: int) -> bytes:
    header = (
        "<?php\n/**\n"
        " * Plugin Name:       Bench Plugin\n"
        " * Plugin URI:        https://example.com/bench-plugin\n"
        " * Description:       A synthetic plugin for the packaging benchmark.\n"
        f" * Version:           {OLD_VERSION}\n"
        " * Requires at least: 5.8\n"
        " * Requires PHP:      7.4\n"
        " * Author:            IGNY8\n"
        " * Text Domain:       bench-plugin\n"
        " */\n\n"
        "defined( 'ABSPATH' ) || exit;\n\n"
        f"define( 'BENCH_PLUGIN_VERSION', '{OLD_VERSION}' );\n\n"
    ).encode()
    return header + text.text("php", body_bytes)


def _readme(text: _TextSource) -> bytes:
    head = (
        "=== Bench Plugin ===\n"
        "Contributors: igny8\n"
        "Requires at least: 5.8\n"
        "Tested up to: 6.6\n"
        "Requires PHP: 7.4\n"
        f"Stable tag: {OLD_VERSION}\n"
        "License: GPLv2 or later\n\n"
        "A synthetic plugin for the packaging benchmark.\n\n"
        "== Description ==\n\n"
    ).encode()
    changelog = f"\n\n== Changelog ==\n\n= {OLD_VERSION} =\n* First release.\n".encode()
    return head + text.text("css", 1500).replace(b"{", b"(").replace(b"}", b")") + changelog


@dataclass(frozen=True)
class Recipe:
    """What to generate: bytes of text and of random binary, and one big binary asset (0 = none)."""

    label: str
    text_bytes: int
    binary_bytes: int
    text_file_range: tuple[int, int]
    binary_file_range: tuple[int, int]
    big_asset_bytes: int = 0


def _plugin_files(recipe: Recipe) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(f"packaging-bench/{recipe.label}")
    text = _TextSource(rng)
    main = _main_file(text, min(4 * KB, recipe.text_bytes // 4))
    readme = _readme(text)
    yield f"{SLUG}.php", main
    yield "readme.txt", readme
    left = recipe.text_bytes - len(main) - len(readme)
    index = 0
    while left > 0:
        ext = rng.choice(("php", "php", "js", "css"))
        size = min(left, _log_uniform(rng, *recipe.text_file_range))
        folder = rng.choice(_TEXT_DIRS[ext])
        yield f"{folder}/file-{index:04d}.{ext}", text.text(ext, size)
        left -= size
        index += 1
    if recipe.big_asset_bytes:
        yield "assets/media/intro.mp4", rng.randbytes(recipe.big_asset_bytes)
    left = recipe.binary_bytes - recipe.big_asset_bytes
    while left > 0:
        folder, ext = rng.choice(_BINARY_KINDS)
        size = min(left, _log_uniform(rng, *recipe.binary_file_range))
        yield f"{folder}/asset-{index:04d}.{ext}", rng.randbytes(size)
        left -= size
        index += 1


@dataclass(frozen=True)
class Source:
    recipe: Recipe
    path: Path
    files: int
    uncompressed: int
    largest_entry: int
    archive_bytes: int


def make_source(recipe: Recipe, directory: Path) -> Source:
    """Zip the plugin (in a wrapper folder, like a GitHub "Download ZIP"), deterministically."""
    path = directory / f"{recipe.label}.zip"
    files = uncompressed = largest = 0
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in _plugin_files(recipe):
            info = zipfile.ZipInfo(f"{SLUG}/{name}", date_time=_SOURCE_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
            files += 1
            uncompressed += len(data)
            largest = max(largest, len(data))
    return Source(recipe, path, files, uncompressed, largest, path.stat().st_size)


# --- throughput: packaging against the inflate + deflate-9 + SHA-256 floor -------------------

_LOCAL_HEADER = struct.Struct("<4s22xHH")


def raw_entries(path: Path) -> list[bytes]:
    """Each file entry's deflate stream, read once so the floor times CPU work only."""
    raws: list[bytes] = []
    with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
        for info in archive.infolist():
            if info.is_dir():
                continue
            raw.seek(info.header_offset)
            _, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
            raw.seek(name_length + extra_length, os.SEEK_CUR)
            raws.append(raw.read(info.compress_size))
    return raws


def floor_pass(raws: list[bytes]) -> tuple[int, int]:
    """What any packager must do: inflate each entry, deflate it at level 9, hash the output."""
    sha256 = hashlib.sha256()
    inflated = written = 0
    for raw in raws:
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        view = memoryview(raw)
        for start in range(0, len(raw), _FLOOR_SLICE):
            data = inflate.decompress(view[start : start + _FLOOR_SLICE])
            inflated += len(data)
            out = deflate.compress(data)
            sha256.update(out)
            written += len(out)
        tail = inflate.flush()
        inflated += len(tail)
        out = deflate.compress(tail) + deflate.flush()
        sha256.update(out)
        written += len(out)
    sha256.hexdigest()
    return inflated, written


def package_pass(source: Path, workdir: Path) -> int:
    built = build_wordpress_package(source, SLUG, NEW_VERSION, workdir)
    built.path.unlink()
    return built.size


@dataclass(frozen=True)
class Throughput:
    source: Source
    runs: int
    package_seconds: float
    floor_seconds: float
    package_bytes: int

    @property
    def package_mb_s(self) -> float:
        return self.source.uncompressed / self.package_seconds / MB

    @property
    def floor_mb_s(self) -> float:
        return self.source.uncompressed / self.floor_seconds / MB


def measure_throughput(source: Source, runs: int, workdir: Path) -> Throughput:
    raws = raw_entries(source.path)
    inflated, _ = floor_pass(raws)  # warm-up, and a check that the floor sees the same bytes
    if inflated != source.uncompressed:
        raise RuntimeError(f"floor inflated {inflated} bytes, the source has {source.uncompressed}")
    package_bytes = package_pass(source.path, workdir)  # warm-up (imports, page cache)
    best_package = best_floor = math.inf
    for run in range(1, runs + 1):
        started = time.perf_counter()
        package_pass(source.path, workdir)
        best_package = min(best_package, time.perf_counter() - started)
        started = time.perf_counter()
        floor_pass(raws)
        best_floor = min(best_floor, time.perf_counter() - started)
        log(
            f"{source.recipe.label}: run {run}/{runs}: best package {best_package:.3f}s, floor {best_floor:.3f}s"
        )
    return Throughput(source, runs, best_package, best_floor, package_bytes)


# --- peak memory: one fresh interpreter per build ----------------------------------------------

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


# --- the run -----------------------------------------------------------------------------------

SMALL = Recipe("small-200KB", 200 * KB, 0, (1 * KB, 12 * KB), (1, 2))
LARGE = Recipe("large-50MB", 30 * MB, 20 * MB, (4 * KB, 512 * KB), (16 * KB, 2 * MB))


def memory_recipe(size_mb: int) -> Recipe:
    """10% text, 90% random bytes, one asset a fifth of the plugin."""
    total = size_mb * MB
    return Recipe(
        f"memory-{size_mb}MB",
        total // 10,
        total - total // 10,
        (4 * KB, 512 * KB),
        (16 * KB, 2 * MB),
        big_asset_bytes=total // 5,
    )


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
        f"benchmark's own peak before exec ({_self_maxrss_mib():.0f} MiB now), so it is not used"
    )


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
        f"\ntotal {time.perf_counter() - started:.0f}s; peak RSS of this process {_self_maxrss_mib():.0f} MiB"
    )


def _self_maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
