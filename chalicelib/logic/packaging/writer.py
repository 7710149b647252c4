"""Writing the deterministic package ZIP: the same vetted entries always give the same bytes.

Sites check those bytes against the SHA-256 (and the signature made over it), so nothing of the
build machine (clock, umask, OS, entry order) may reach the output.
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.logic.packaging.archive import Budget, Entry, inflate
from chalicelib.logic.packaging.limits import CHUNK, Limits
from chalicelib.logic.packaging.stamping import Stamping

_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_ATTR = (stat.S_IFREG | 0o644) << 16
_DIR_ATTR = (stat.S_IFDIR | 0o755) << 16 | 0x10  # 0x10: the MS-DOS directory bit


def _zip_info(name: str, is_dir: bool) -> zipfile.ZipInfo:
    """Every field that could carry the build machine's clock, umask or OS is pinned here."""
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.create_system = 3
    if is_dir:
        info.external_attr = _DIR_ATTR
        info.compress_type = zipfile.ZIP_STORED
        info.CRC = info.compress_size = info.file_size = 0
    else:
        info.external_attr = _FILE_ATTR
        info.compress_type = zipfile.ZIP_DEFLATED
        # ZipFile.open(info, "w") reads the level only from here (public as compress_level in 3.13).
        info._compresslevel = 9  # type: ignore[attr-defined]
    return info


def _write_file(out: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> None:
    with out.open(_zip_info(name, is_dir=False), "w") as target:
        for chunk in chunks:
            target.write(chunk)


@dataclass
class Output:
    """What the write pass learns on the way, to fill BuiltPackage without re-reading the ZIP."""

    main: bytes = b""
    readme: bytes | None = None


#: A top-level file the packager overwrites with the stage's trust anchor (its root public keys),
#: so a client that verifies packages pins the keys of the service that built it.
TRUST_FILE = ("igny8-trust.json",)


def write_package(
    archive: zipfile.ZipFile,
    target: zipfile.ZipFile,
    *,
    entries: list[Entry],
    slug: str,
    main: tuple[str, ...],
    readme: tuple[str, ...] | None,
    stamper: Stamping | None,
    trust_anchor: bytes | None,
    budget: Budget,
    limits: Limits,
) -> Output:
    files = {e.parts: e.info for e in entries if not e.is_dir}
    folders = {e.parts for e in entries if e.is_dir}
    folders.update(parts[:depth] for parts in files for depth in range(1, len(parts)))
    names: dict[str, tuple[str, ...] | None] = {slug + "/": None}
    names.update({"/".join((slug, *parts)) + "/": None for parts in folders})
    names.update({"/".join((slug, *parts)): parts for parts in files})
    output = Output()

    for name in sorted(names):
        parts = names[name]
        if parts is None:
            target.mkdir(_zip_info(name, is_dir=True))
            continue
        chunks = inflate(archive, files[parts], budget, limits)
        if parts == TRUST_FILE and trust_anchor is not None:
            chunks = iter((trust_anchor,))
        if parts not in (main, readme) and (stamper is None or not stamper.holds(parts)):
            _write_file(target, name, chunks)
            continue
        data = b"".join(chunks)
        if stamper is not None:
            data = stamper.stamp(parts, data)
        if parts == main:
            output.main = data
        if parts == readme:
            output.readme = data
        _write_file(target, name, (data,))
    return output


def digest(path: Path) -> tuple[str, str, int]:
    """SHA-256, SHA-384 (hex) and size of ``path``, in one chunked read."""
    sha256 = hashlib.sha256()
    sha384 = hashlib.sha384()
    size = 0
    with path.open("rb") as package:
        while chunk := package.read(CHUNK):
            sha256.update(chunk)
            sha384.update(chunk)
            size += len(chunk)
    return sha256.hexdigest(), sha384.hexdigest(), size
