"""Reading a hostile source archive: every entry vetted before any is read, sizes counted as inflated.

A ZIP is opened in place; a ``.tar.gz`` is streamed once into a scratch ZIP (vetted on the way)
so both follow the same path afterwards. :func:`plugin_entries` answers which entries ship,
relative to the plugin folder; :func:`inflate` reads one of them under a :class:`Budget`.
"""

from __future__ import annotations

import itertools
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from chalicelib.logic.packaging.distignore import DEFAULT_EXCLUSIONS, ExclusionRules
from chalicelib.logic.packaging.errors import PackagingError
from chalicelib.logic.packaging.limits import CHUNK, Limits
from chalicelib.logic.packaging.names import check_entry_name, fold, is_nested_archive


@dataclass(frozen=True)
class Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


def _check_file_type(name: str, mode: int) -> None:
    """Unix type bits from the ZIP's external attributes; 0 (MS-DOS tools) means a plain entry."""
    if stat.S_ISLNK(mode):
        raise PackagingError("symlink", f"entry {name!r} is a symbolic link")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise PackagingError("special_file", f"entry {name!r} is not a regular file or a folder")


def _checked_entry(info: zipfile.ZipInfo) -> Entry:
    # orig_filename still holds what zipfile silently truncates at a NUL byte.
    parts = check_entry_name(info.orig_filename)
    _check_file_type(info.orig_filename, info.external_attr >> 16)
    if info.flag_bits & 0x1:
        raise PackagingError("encrypted", f"entry {info.orig_filename!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise PackagingError(
            "unsupported_compression",
            f"entry {info.orig_filename!r} uses compression method {info.compress_type}; use deflate",
        )
    return Entry(info, parts, info.orig_filename.endswith("/"))


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"


def check_layout(source: Path, archive: zipfile.ZipFile) -> None:
    """Each entry must own its bytes: overlapping entries are how a small ZIP inflates to petabytes.

    An entry spans its local header (read from the file: its extra field may differ from the
    central one) and its compressed data; sorted by offset, no span may reach into the next one
    or into the central directory.
    """
    spans: list[tuple[int, int, str]] = []
    with source.open("rb") as raw:
        for info in archive.infolist():
            raw.seek(info.header_offset)
            header = raw.read(_LOCAL_HEADER.size)
            if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
                raise PackagingError("corrupt_archive", f"entry {info.orig_filename!r} has no local header")
            _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
            end = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length + info.compress_size
            spans.append((info.header_offset, end, info.orig_filename))
    spans.sort()
    for (_, end, name), (start, _, other) in itertools.pairwise(spans):
        if end > start:
            raise PackagingError("overlapping_entries", f"entries {name!r} and {other!r} overlap")
    if spans and spans[-1][1] > archive.start_dir:
        raise PackagingError("overlapping_entries", f"entry {spans[-1][2]!r} overlaps the central directory")


def _check_folded_names(kept: list[Entry]) -> None:
    """One name per file once case and Unicode normalisation are ignored, and never file and folder."""
    seen: dict[tuple[str, ...], tuple[tuple[str, ...], bool]] = {}
    for entry in kept:
        for depth in range(1, len(entry.parts) + 1):
            parts = entry.parts[:depth]
            is_dir = depth < len(entry.parts) or entry.is_dir
            key = fold(parts)
            previous = seen.setdefault(key, (parts, is_dir))
            if previous[0] != parts:
                raise PackagingError(
                    "duplicate_entry",
                    f"{'/'.join(previous[0])!r} and {'/'.join(parts)!r} are the same name on many filesystems",
                )
            if previous[1] != is_dir:
                raise PackagingError("duplicate_entry", f"{'/'.join(parts)!r} is both a file and a folder")


_DISTIGNORE_BYTES = 64 * 1024


def _read_distignore(archive: zipfile.ZipFile, entries: list[Entry]) -> ExclusionRules:
    """DEFAULT_EXCLUSIONS plus the plugin folder's own ``.distignore`` (its first 64 KiB), if any."""
    for entry in entries:
        if entry.parts == (".distignore",) and not entry.is_dir:
            with archive.open(entry.info) as distignore:
                text = distignore.read(_DISTIGNORE_BYTES).decode("utf-8", "replace")
            return DEFAULT_EXCLUSIONS.with_distignore(text)
    return DEFAULT_EXCLUSIONS


def _check_declared_sizes(kept: list[Entry], limits: Limits) -> None:
    """Fast refusals before inflating anything; the real measurements happen while streaming."""
    for entry in kept:
        info = entry.info
        if is_nested_archive(entry.parts) and info.file_size > limits.max_nested_archive_bytes:
            raise PackagingError(
                "nested_archive",
                f"{'/'.join(entry.parts)!r} is an archive of {info.file_size} bytes "
                f"(limit {limits.max_nested_archive_bytes})",
            )
        if info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_compression_ratio * max(
            info.compress_size, 1
        ):
            raise PackagingError(
                "compression_ratio", f"{'/'.join(entry.parts)!r} claims a ratio over the limit"
            )
    declared = sum(e.info.file_size for e in kept)
    if declared > limits.max_total_bytes:
        raise PackagingError("too_large", f"{declared} bytes uncompressed (limit {limits.max_total_bytes})")


def plugin_entries(archive: zipfile.ZipFile, limits: Limits) -> list[Entry]:
    """The entries that ship, with paths relative to the plugin folder; every entry is vetted first."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise PackagingError("too_many_entries", f"{len(infos)} entries (limit {limits.max_entries})")
    entries = [_checked_entry(info) for info in infos]
    seen: set[tuple[str, ...]] = set()
    for entry in entries:
        if entry.parts in seen:
            raise PackagingError("duplicate_entry", f"{'/'.join(entry.parts)!r} appears more than once")
        seen.add(entry.parts)

    wrapper = _wrapper_folder(entries)
    if wrapper is not None:
        entries = [
            replace(e, parts=e.parts[1:]) for e in entries if len(e.parts) > 1 and e.parts[0] == wrapper
        ]
    rules = _read_distignore(archive, entries)
    kept = [e for e in entries if not rules.excludes(e.parts, e.is_dir)]

    if not any(not e.is_dir for e in kept):
        raise PackagingError("empty_archive", "the archive contains no plugin files")
    _check_folded_names(kept)
    _check_declared_sizes(kept, limits)
    return kept


def _wrapper_folder(entries: list[Entry]) -> str | None:
    """The single folder a "Download ZIP" wraps everything in, ignoring root-level junk beside it."""
    relevant = [e for e in entries if not DEFAULT_EXCLUSIONS.excludes(e.parts[:1])]
    if any(len(e.parts) == 1 and not e.is_dir for e in relevant):
        return None
    tops = {e.parts[0] for e in relevant}
    return tops.pop() if len(tops) == 1 else None


class Budget:
    """Counts bytes as they are inflated, because the sizes in an archive's headers can lie."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0

    def spend(self, size: int) -> None:
        self._used += size
        if self._used > self._limit:
            raise PackagingError("too_large", f"more than {self._limit} bytes uncompressed")


def _check_streamed(name: str, inflated: int, compressed: int, limits: Limits) -> None:
    """Ratio and nested-archive limits on what was actually inflated so far, whatever headers say."""
    if inflated > limits.ratio_min_bytes and inflated > limits.max_compression_ratio * max(compressed, 1):
        raise PackagingError(
            "compression_ratio",
            f"{name!r} inflates more than {limits.max_compression_ratio}:1",
        )
    if inflated > limits.max_nested_archive_bytes and is_nested_archive((name,)):
        raise PackagingError(
            "nested_archive", f"{name!r} is an archive over {limits.max_nested_archive_bytes} bytes"
        )


def inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, limits: Limits
) -> Iterator[bytes]:
    # zipfile never reads more than compress_size bytes of an entry, so that bounds its input.
    inflated = 0
    with archive.open(info) as source:
        while chunk := source.read(CHUNK):
            budget.spend(len(chunk))
            inflated += len(chunk)
            _check_streamed(info.orig_filename, inflated, info.compress_size, limits)
            yield chunk


# What zipfile raises for archives that open but whose contents are damaged or unsupported.
BROKEN_ARCHIVE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError)


# --- .tar.gz sources ---------------------------------------------------------------------------

GZIP_MAGIC = b"\x1f\x8b"
# What tarfile and its gzip stream raise for damaged input.
BROKEN_TAR = (tarfile.TarError, zlib.error, EOFError, UnicodeDecodeError)


def _tar_name(member: tarfile.TarInfo) -> str | None:
    """The member's ZIP name ('/' ends a folder); a leading './' (``tar -C dir .``) is dropped."""
    name = member.name
    while name.startswith("./"):
        name = name[2:]
    if name in ("", "."):
        return None
    return name + "/" if member.isdir() else name


def _check_tar_member(member: tarfile.TarInfo, name: str) -> None:
    check_entry_name(name)
    if member.issym() or member.islnk():
        kind = "symbolic" if member.issym() else "hard"
        raise PackagingError("symlink", f"entry {name!r} is a {kind} link")
    if not (member.isreg() or member.isdir()):
        raise PackagingError("special_file", f"entry {name!r} is not a regular file or a folder")


def _copy_tar_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    *,
    name: str,
    raw: IO[bytes],
    out: zipfile.ZipFile,
    budget: Budget,
    limits: Limits,
) -> None:
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - regular members always have a file object
        raise PackagingError("corrupt_archive", f"entry {name!r} cannot be read")
    # Compressed bytes consumed while this member is inflated: the gzip stream's read-ahead makes
    # it approximate, always in the member's favour.
    start = raw.tell()
    inflated = 0
    with source, out.open(name, "w") as target:
        while chunk := source.read(CHUNK):
            budget.spend(len(chunk))
            inflated += len(chunk)
            _check_streamed(name, inflated, raw.tell() - start, limits)
            target.write(chunk)


def tar_to_zip(source: Path, scratch: Path, limits: Limits) -> None:
    """Stream the tar once into a scratch ZIP, refusing what a ZIP source would be refused for.

    Everything in a tar must be inflated to get past it, so every member counts toward the limits.
    """
    budget = Budget(limits.max_total_bytes)
    names: set[tuple[str, ...]] = set()
    with (
        source.open("rb") as raw,
        tarfile.open(fileobj=raw, mode="r|gz") as tar,
        zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for count, member in enumerate(tar, start=1):
            if count > limits.max_entries:
                raise PackagingError("too_many_entries", f"more than {limits.max_entries} entries")
            name = _tar_name(member)
            if name is None:
                continue
            _check_tar_member(member, name)
            parts = tuple(name.removesuffix("/").split("/"))
            if parts in names:
                raise PackagingError("duplicate_entry", f"{'/'.join(parts)!r} appears more than once")
            names.add(parts)
            if member.isdir():
                out.mkdir(name)
            else:
                _copy_tar_member(tar, member, name=name, raw=raw, out=out, budget=budget, limits=limits)
