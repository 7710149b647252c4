"""Throughput: ``build_wordpress_package`` against the work any packager must do on the same bytes
(inflate every entry, deflate it at level 9, SHA-256 the result), alternating so drift hits both."""

from __future__ import annotations

import hashlib
import math
import os
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from bench.packaging import MB, NEW_VERSION, SLUG, log
from bench.packaging.fixtures import Source
from chalicelib.logic.packaging import build_wordpress_package

_FLOOR_SLICE = 256 * 1024

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
