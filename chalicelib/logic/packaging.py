"""Turn an uploaded plugin *source* archive into the exact ZIP that WordPress sites install.

Thousands of sites download these bytes and check them against the SHA-256 (and the signature
made over it), so the package must be a pure function of the source: the same upload always
gives the same bytes, whatever the clock, umask or machine. The source itself is untrusted (an
admin's laptop, a CI artifact, a GitHub "Download ZIP"), so every entry is checked before any of
it is read, and sizes are counted as bytes are inflated rather than taken from the headers.

The module works on local files only and uses the standard library only: the caller moves bytes
to and from S3, so the same code runs in the Lambda, in the local stack and in unit tests.
The source is copied entry by entry straight into the output ZIP (nothing is extracted to disk);
only the files that are stamped or parsed (PHP files, ``readme.txt``) are held in memory, one at
a time. A ``.tar.gz`` source (recognised by its gzip magic bytes, whatever its name) is streamed
once into a scratch ZIP inside ``workdir``, vetted on the way, and then follows the same path, so
a tar and a zip of the same files give byte-identical packages.

Two kinds of plugin share that whole pipeline and differ only in the file that carries the
version (a :class:`_Flavour`): WordPress plugins (:func:`build_wordpress_package`: the PHP plugin
header, ``*_VERSION`` constants and ``readme.txt``) and ``custom``/``shopify`` packages
(:func:`build_generic_package`: the top-level ``version`` of ``package.json`` or ``manifest.json``).

Every refusal is a :class:`PackagingError` whose ``code`` is one of :data:`REASON_CODES`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import os
import re
import stat
import struct
import tarfile
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

__all__ = [
    "DEFAULT_EXCLUSIONS",
    "DEFAULT_LIMITS",
    "REASON_CODES",
    "BuiltPackage",
    "ExclusionRules",
    "Limits",
    "PackagingError",
    "PluginHeader",
    "Readme",
    "build_generic_package",
    "build_wordpress_package",
    "parse_readme",
    "read_header",
]


# Every code a PackagingError can carry, with what it means for the admin who uploaded the source.
# The codes are stable: they are stored on failed version records and listed in the README.
REASON_CODES: dict[str, str] = {
    "invalid_slug": "the plugin slug is not [a-z0-9][a-z0-9_-]{0,99}",
    "invalid_version": "the version is not a plain version string (no quotes, slashes or spaces)",
    "not_a_zip": "the source is neither a ZIP nor a gzip-compressed tar archive",
    "corrupt_archive": "the archive is damaged or cannot be read",
    "too_large": "the archive file, or its contents once uncompressed, exceed the size limit",
    "too_many_entries": "the archive has more entries than the limit",
    "unsafe_path": "an entry name is absolute, has a drive letter, '\\', NUL or another control "
    "character, or an empty, '.' or '..' segment",
    "invalid_name": "an entry name is not valid UTF-8 (or contains U+FFFD or lone surrogates)",
    "name_too_long": "an entry name has a segment over 255 bytes or is over 1024 bytes in UTF-8",
    "duplicate_entry": "two entries have the same name (also after Unicode NFC normalisation and "
    "case-folding), or a name is both a file and a folder",
    "symlink": "an entry is a symbolic link (or, in a tar, a hard link)",
    "special_file": "an entry is neither a regular file nor a folder (FIFO, device, socket...)",
    "encrypted": "an entry is encrypted",
    "unsupported_compression": "an entry uses a compression method other than stored or deflate",
    "compression_ratio": "an entry over 1 MiB inflates more than the ratio limit (200:1 by default)",
    "overlapping_entries": "entries of the ZIP share or overlap their bytes (a zip-bomb trick)",
    "nested_archive": "the plugin ships an archive (.zip, .phar, .tar, .gz, .tgz, .7z, .rar) over "
    "the nested-archive limit (1 MiB by default)",
    "empty_archive": "nothing is left to ship once excluded files are dropped",
    "no_plugin_header": "no top-level .php file has a 'Plugin Name:' header",
    "multiple_plugin_headers": "more than one top-level .php file has a 'Plugin Name:' header",
    "no_version": "no version was given and the plugin header (or package manifest) has none",
    "version_not_stamped": "the version could not be written into the plugin header (or package manifest)",
    "no_manifest": "a custom or Shopify source has neither package.json nor manifest.json at the top",
    "invalid_manifest": 'the package manifest is not a UTF-8 JSON object with a string "name"',
}


class PackagingError(Exception):
    """A source archive we refuse to package; the reason is recorded on the failed version.

    ``code`` is stable and machine-readable (it ends up in the version record and the admin API);
    ``message`` is for the admin who has to fix the upload.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    """Ceilings that stop a hostile or mistaken upload from exhausting the packager's disk and memory."""

    max_total_bytes: int = 200 * 1024 * 1024
    max_entries: int = 20_000
    # The uploaded file itself, checked before it is opened.
    max_archive_bytes: int = 100 * 1024 * 1024
    # Inflated/compressed, measured while streaming, for entries that inflate past ratio_min_bytes.
    max_compression_ratio: int = 200
    ratio_min_bytes: int = 1024 * 1024
    # Archives shipped inside the plugin (.zip, .phar, .tar, .gz, .tgz, .7z, .rar), each.
    max_nested_archive_bytes: int = 1024 * 1024


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class IgnorePattern:
    """One ``.distignore`` line: fnmatch globs per path segment.

    ``anchored`` (the line had a '/') matches from the plugin folder down; otherwise the single
    segment matches at any depth. ``dir_only`` (a trailing '/') matches folders only.
    """

    segments: tuple[str, ...]
    anchored: bool
    dir_only: bool

    def matches(self, parts: tuple[str, ...], is_dir: bool) -> bool:
        # Every prefix of the path is a candidate; all but the whole path are folders.
        for depth in range(1, len(parts) + 1):
            if self.dir_only and depth == len(parts) and not is_dir:
                continue
            if self.anchored:
                if depth == len(self.segments) and all(
                    fnmatch.fnmatchcase(part, glob) for part, glob in zip(parts, self.segments, strict=False)
                ):
                    return True
            elif fnmatch.fnmatchcase(parts[depth - 1], self.segments[0]):
                return True
        return False


def parse_distignore(text: str) -> tuple[IgnorePattern, ...]:
    """WordPress' ``.distignore`` (as ``wp dist-archive`` reads it): one pattern a line, '#' comments.

    Negated ('!') lines are not supported and are skipped: they could only ever add files back.
    """
    patterns: list[IgnorePattern] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        dir_only = line.endswith("/")
        body = line.strip("/")
        segments = tuple(part for part in body.split("/") if part not in ("", "."))
        if segments:
            patterns.append(
                IgnorePattern(segments, anchored="/" in body or line.startswith("/"), dir_only=dir_only)
            )
    return tuple(patterns)


@dataclass(frozen=True)
class ExclusionRules:
    """Everything that must never reach a site, as data, so `.distignore` patterns can join it."""

    segments: frozenset[str]
    basenames: tuple[str, ...]
    patterns: tuple[IgnorePattern, ...] = ()

    def excludes(self, parts: tuple[str, ...], is_dir: bool = False) -> bool:
        """Segments match anywhere in the path (a ``tests`` folder at any depth); globs the last name."""
        if any(part in self.segments for part in parts):
            return True
        if any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in self.basenames):
            return True
        return any(pattern.matches(parts, is_dir) for pattern in self.patterns)

    def with_distignore(self, text: str) -> ExclusionRules:
        return replace(self, patterns=(*self.patterns, *parse_distignore(text)))


DEFAULT_EXCLUSIONS = ExclusionRules(
    segments=frozenset(
        {
            "tests",
            "test",
            ".git",
            ".svn",
            ".hg",
            "__pycache__",
            "node_modules",
            ".github",
            ".idea",
            ".vscode",
            "__MACOSX",
        }
    ),
    basenames=(
        "*.bak",
        "*.orig",
        "*.swp",
        "*~",
        ".DS_Store",
        "Thumbs.db",
        "phpunit.xml*",
        ".gitignore",
        ".gitattributes",
        ".editorconfig",
        ".distignore",
    ),
)


@dataclass(frozen=True)
class PluginHeader:
    """The plugin's metadata exactly as WordPress' ``get_file_data()`` would read it on a site."""

    name: str
    version: str | None
    description: str | None
    author: str | None
    author_uri: str | None
    plugin_uri: str | None
    requires: str | None
    requires_php: str | None
    text_domain: str | None
    update_uri: str | None


@dataclass(frozen=True)
class Readme:
    """What the "View details" modal and the update offer need from a WordPress.org ``readme.txt``."""

    stable_tag: str | None
    requires: str | None
    tested: str | None
    requires_php: str | None
    sections: dict[str, str]


@dataclass(frozen=True)
class BuiltPackage:
    """The artifact plus everything the registry records about it, so nobody re-opens the ZIP."""

    path: Path
    slug: str
    version: str
    sha256: str
    # WordPress verifies package signatures over the raw SHA-384 digest; this is its hex form.
    sha384: str
    size: int
    main_file: str
    header: PluginHeader
    readme: Readme | None
    stamped: tuple[str, ...]


# --- validation of names and archive entries ---------------------------------------------------

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
# The version ends up in a file name and inside PHP string literals: no quotes, slashes or spaces.
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")
_DRIVE = re.compile(r"[A-Za-z]:")


def _check_slug(slug: str) -> None:
    if not _SLUG.fullmatch(slug):
        raise PackagingError("invalid_slug", f"{slug!r} is not a valid plugin slug")


def _check_version(version: str) -> None:
    if not _VERSION.fullmatch(version):
        raise PackagingError("invalid_version", f"{version!r} is not a usable version string")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MAX_SEGMENT_BYTES = 255  # NAME_MAX on every filesystem a site runs on
_MAX_NAME_BYTES = 1024  # PATH_MAX on macOS, the smallest of the lot
_NESTED_ARCHIVES = (".zip", ".phar", ".tar", ".gz", ".tgz", ".7z", ".rar")


def _check_entry_name(name: str) -> tuple[str, ...]:
    """Reject any name that could land outside the plugin folder when a site unzips the package.

    WordPress and ``unzip`` on every platform must agree on where an entry goes, so anything
    ambiguous (Windows separators, drive letters, empty or dot segments, control characters) is
    refused as well, and so is a name no filesystem could hold.
    """
    if "\ufffd" in name or _SURROGATE.search(name):
        raise PackagingError("invalid_name", f"entry name {name!r} is not valid UTF-8")
    if not name or _CONTROL.search(name) or "\\" in name:
        raise PackagingError(
            "unsafe_path", f"entry name {name!r} is empty or contains a control character or '\\'"
        )
    if name.startswith("/") or _DRIVE.match(name):
        raise PackagingError("unsafe_path", f"entry name {name!r} is absolute")
    parts = tuple(name.removesuffix("/").split("/"))
    if any(part in ("", ".", "..") for part in parts):
        raise PackagingError("unsafe_path", f"entry name {name!r} has an empty, '.' or '..' segment")
    if len(name.encode()) > _MAX_NAME_BYTES or any(len(part.encode()) > _MAX_SEGMENT_BYTES for part in parts):
        raise PackagingError(
            "name_too_long",
            f"entry name {name[:80]!r}... is over {_MAX_NAME_BYTES} bytes or has a segment over {_MAX_SEGMENT_BYTES}",
        )
    return parts


def _fold(parts: tuple[str, ...]) -> tuple[str, ...]:
    """The key under which two names land on the same file of a case-insensitive, normalising FS."""
    return tuple(
        unicodedata.normalize("NFC", unicodedata.normalize("NFC", part).casefold()) for part in parts
    )


def _is_nested_archive(parts: tuple[str, ...]) -> bool:
    return parts[-1].lower().endswith(_NESTED_ARCHIVES)


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


def _check_file_type(name: str, mode: int) -> None:
    """Unix type bits from the ZIP's external attributes; 0 (MS-DOS tools) means a plain entry."""
    if stat.S_ISLNK(mode):
        raise PackagingError("symlink", f"entry {name!r} is a symbolic link")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise PackagingError("special_file", f"entry {name!r} is not a regular file or a folder")


def _checked_entry(info: zipfile.ZipInfo) -> _Entry:
    # orig_filename still holds what zipfile silently truncates at a NUL byte.
    parts = _check_entry_name(info.orig_filename)
    _check_file_type(info.orig_filename, info.external_attr >> 16)
    if info.flag_bits & 0x1:
        raise PackagingError("encrypted", f"entry {info.orig_filename!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise PackagingError(
            "unsupported_compression",
            f"entry {info.orig_filename!r} uses compression method {info.compress_type}; use deflate",
        )
    return _Entry(info, parts, info.orig_filename.endswith("/"))


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"


def _check_layout(source: Path, archive: zipfile.ZipFile) -> None:
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


def _check_folded_names(kept: list[_Entry]) -> None:
    """One name per file once case and Unicode normalisation are ignored, and never file and folder."""
    seen: dict[tuple[str, ...], tuple[tuple[str, ...], bool]] = {}
    for entry in kept:
        for depth in range(1, len(entry.parts) + 1):
            parts = entry.parts[:depth]
            is_dir = depth < len(entry.parts) or entry.is_dir
            key = _fold(parts)
            previous = seen.setdefault(key, (parts, is_dir))
            if previous[0] != parts:
                raise PackagingError(
                    "duplicate_entry",
                    f"{'/'.join(previous[0])!r} and {'/'.join(parts)!r} are the same name on many filesystems",
                )
            if previous[1] != is_dir:
                raise PackagingError("duplicate_entry", f"{'/'.join(parts)!r} is both a file and a folder")


_DISTIGNORE_BYTES = 64 * 1024


def _read_distignore(archive: zipfile.ZipFile, entries: list[_Entry]) -> ExclusionRules:
    """DEFAULT_EXCLUSIONS plus the plugin folder's own ``.distignore`` (its first 64 KiB), if any."""
    for entry in entries:
        if entry.parts == (".distignore",) and not entry.is_dir:
            with archive.open(entry.info) as distignore:
                text = distignore.read(_DISTIGNORE_BYTES).decode("utf-8", "replace")
            return DEFAULT_EXCLUSIONS.with_distignore(text)
    return DEFAULT_EXCLUSIONS


def _check_declared_sizes(kept: list[_Entry], limits: Limits) -> None:
    """Fast refusals before inflating anything; the real measurements happen while streaming."""
    for entry in kept:
        info = entry.info
        if _is_nested_archive(entry.parts) and info.file_size > limits.max_nested_archive_bytes:
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


def _plugin_entries(archive: zipfile.ZipFile, limits: Limits) -> list[_Entry]:
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


def _wrapper_folder(entries: list[_Entry]) -> str | None:
    """The single folder a "Download ZIP" wraps everything in, ignoring root-level junk beside it."""
    relevant = [e for e in entries if not DEFAULT_EXCLUSIONS.excludes(e.parts[:1])]
    if any(len(e.parts) == 1 and not e.is_dir for e in relevant):
        return None
    tops = {e.parts[0] for e in relevant}
    return tops.pop() if len(tops) == 1 else None


class _Budget:
    """Counts bytes as they are inflated, because the sizes in an archive's headers can lie."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0

    def spend(self, size: int) -> None:
        self._used += size
        if self._used > self._limit:
            raise PackagingError("too_large", f"more than {self._limit} bytes uncompressed")


_CHUNK = 1024 * 1024


def _check_streamed(name: str, inflated: int, compressed: int, limits: Limits) -> None:
    """Ratio and nested-archive limits on what was actually inflated so far, whatever headers say."""
    if inflated > limits.ratio_min_bytes and inflated > limits.max_compression_ratio * max(compressed, 1):
        raise PackagingError(
            "compression_ratio",
            f"{name!r} inflates more than {limits.max_compression_ratio}:1",
        )
    if inflated > limits.max_nested_archive_bytes and _is_nested_archive((name,)):
        raise PackagingError(
            "nested_archive", f"{name!r} is an archive over {limits.max_nested_archive_bytes} bytes"
        )


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, limits: Limits
) -> Iterator[bytes]:
    # zipfile never reads more than compress_size bytes of an entry, so that bounds its input.
    inflated = 0
    with archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            budget.spend(len(chunk))
            inflated += len(chunk)
            _check_streamed(info.orig_filename, inflated, info.compress_size, limits)
            yield chunk


# --- the plugin header (WordPress get_file_data) -----------------------------------------------

_HEADER_BYTES = 8 * 1024
_HEADER_LABELS = {
    "name": b"Plugin Name",
    "plugin_uri": b"Plugin URI",
    "version": b"Version",
    "description": b"Description",
    "author": b"Author",
    "author_uri": b"Author URI",
    "text_domain": b"Text Domain",
    "requires": b"Requires at least",
    "requires_php": b"Requires PHP",
    "update_uri": b"Update URI",
}
# Same pattern as get_file_data(); groups: 1 an opening '<?php', 2 the comment prefix, 3 the raw value.
_HEADER_PATTERNS = {
    field: re.compile(rb"^([ \t]*<\?php)?([ \t/*#@]*)" + re.escape(label) + rb":(.*)$", re.M | re.I)
    for field, label in _HEADER_LABELS.items()
}
_COMMENT_CLOSE = re.compile(rb"\s*(?:\*/|\?>)")  # _cleanup_header_comment() cuts from here
_PHP_TRIM = b" \t\n\r\0\x0b"
_EOL = re.compile(rb"\r\n|\n|\r")


def _header_matches(data: bytes) -> dict[str, re.Match[bytes]]:
    """Byte offsets into ``data`` itself: '\\r' becomes '\\n' one for one, as get_file_data() does."""
    head = data[:_HEADER_BYTES].replace(b"\r", b"\n")
    found = {field: pattern.search(head) for field, pattern in _HEADER_PATTERNS.items()}
    return {field: match for field, match in found.items() if match is not None}


def _value_span(match: re.Match[bytes]) -> tuple[int, int]:
    """Where the value WordPress keeps sits, so stamping can replace exactly that and nothing else."""
    raw = match.group(3)
    closer = _COMMENT_CLOSE.search(raw)
    kept = raw[: closer.start()] if closer else raw
    value = kept.lstrip(_PHP_TRIM)
    start = match.start(3) + len(kept) - len(value)
    return start, start + len(value.rstrip(_PHP_TRIM))


def _header_value(match: re.Match[bytes] | None) -> str | None:
    # get_file_data() tests the raw capture for PHP truthiness, so "0" counts as absent.
    if match is None or match.group(3) in (b"", b"0"):
        return None
    start, end = _value_span(match)
    return match.string[start:end].decode("utf-8", "replace") or None


def _parse_header(data: bytes) -> PluginHeader | None:
    matches = _header_matches(data)
    name = _header_value(matches.get("name"))
    if name in (None, "0"):  # get_plugins() skips a file whose Name is PHP-empty(), and "0" is
        return None
    return PluginHeader(
        name=name,
        version=_header_value(matches.get("version")),
        description=_header_value(matches.get("description")),
        author=_header_value(matches.get("author")),
        author_uri=_header_value(matches.get("author_uri")),
        plugin_uri=_header_value(matches.get("plugin_uri")),
        requires=_header_value(matches.get("requires")),
        requires_php=_header_value(matches.get("requires_php")),
        text_domain=_header_value(matches.get("text_domain")),
        update_uri=_header_value(matches.get("update_uri")),
    )


def read_header(php_text: str) -> PluginHeader | None:
    """Parse like WordPress does, so what we register is what sites will see; None if not a plugin."""
    return _parse_header(php_text.encode("utf-8", "surrogateescape"))


# --- readme.txt (WordPress.org format) ---------------------------------------------------------

_README_HEADERS = {
    "stable tag": "stable_tag",
    "requires at least": "requires",
    "requires": "requires",
    "tested up to": "tested",
    "tested": "tested",
    "requires php": "requires_php",
}
_SECTION_ALIASES = {
    "frequently_asked_questions": "faq",
    "change_log": "changelog",
    "screenshot": "screenshots",
}
_SECTION = re.compile(r"[ \t]*==(?!=)[ \t]*(.+?)[ \t]*==[ \t]*|##(?!#)[ \t]*(.+?)[ \t#]*")


def _section_name(line: str) -> str | None:
    match = _SECTION.fullmatch(line.rstrip("\r\n"))
    if match is None:
        return None
    name = (match.group(1) or match.group(2)).lower().replace(" ", "_")
    return _SECTION_ALIASES.get(name, name)


def _readme_header_lines(lines: list[str]) -> range:
    """The 'Key: value' block: after the title, up to the first blank line (the wordpress.org rule)."""
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index < len(lines) and lines[index].lstrip().startswith(("=", "#")):
        index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    end = index
    while end < len(lines) and lines[end].strip() and _section_name(lines[end]) is None:
        end += 1
    return range(index, end)


def _readme_field(line: str) -> tuple[str, str] | None:
    key, colon, value = line.rstrip("\r\n").partition(":")
    field = _README_HEADERS.get(key.strip(" \t*-").lower()) if colon else None
    return (field, value) if field else None


def version_entry(section: str, version: str) -> str:
    """One version's paragraph of a readme section laid out as ``= 1.2.0 =`` headings
    (Changelog, Upgrade Notice); empty when the section has none for it."""
    match = re.search(rf"^=+\s*v?{re.escape(version)}\s*=+\s*$(.*?)(?=^=|\Z)", section, re.M | re.S)
    return match.group(1).strip() if match else ""


def parse_readme(text: str) -> Readme:
    """Read the fields and sections the update offer and the "View details" modal show."""
    lines = text.splitlines(keepends=True)
    header = _readme_header_lines(lines)
    fields: dict[str, str | None] = {}
    for index in header:
        found = _readme_field(lines[index])
        if found is not None:
            fields[found[0]] = found[1].strip() or None  # later lines win, as on wordpress.org

    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines[header.stop :]:
        name = _section_name(line)
        if name is not None:
            current = sections.setdefault(name, [])
            if current:
                current.append("")
        elif current is not None:
            current.append(line.rstrip("\r\n"))
    return Readme(
        stable_tag=fields.get("stable_tag"),
        requires=fields.get("requires"),
        tested=fields.get("tested"),
        requires_php=fields.get("requires_php"),
        sections={name: "\n".join(body).strip() for name, body in sections.items()},
    )


# --- version stamping --------------------------------------------------------------------------


def _constant_patterns(old: bytes) -> tuple[re.Pattern[bytes], ...]:
    """``define('X', 'OLD')`` and ``const X = 'OLD'`` in any spacing and quoting, never ``$x->define``."""
    value = rb"(?P<q>['\"])(?P<value>" + re.escape(old) + rb")(?P=q)"
    return (
        re.compile(
            rb"(?<![\w$>:])(?i:define)\s*\(\s*(?P<nq>['\"])(?P<name>[A-Za-z_][\w\\]*)(?P=nq)\s*,\s*"
            + value
            + rb"\s*[,)]"
        ),
        re.compile(
            rb"(?<![\w$>:])(?i:const)\s+(?:\??[A-Za-z_\\][\w\\|]*\s+)?(?P<name>[A-Za-z_]\w*)\s*=\s*"
            + value
            + rb"\s*[;,]"
        ),
    )


class _Stamper:
    """Writes one version into every place a site or a human reads it, and remembers where."""

    def __init__(
        self, version: str, old_version: str | None, main: tuple[str, ...], readme: tuple[str, ...] | None
    ) -> None:
        self.version = version
        self._main = main
        self._readme_file = readme
        self._new = version.encode()
        self._old = old_version.encode() if old_version is not None else b""
        self._constants = _constant_patterns(self._old) if old_version is not None else ()
        self._header: list[str] = []
        self._constant_names: dict[str, None] = {}
        self._readme: list[str] = []

    @property
    def stamped(self) -> tuple[str, ...]:
        return (*self._header, *(f"constant:{name}" for name in self._constant_names), *self._readme)

    def holds(self, parts: tuple[str, ...]) -> bool:
        return _is_php(parts)

    def stamp(self, parts: tuple[str, ...], data: bytes) -> bytes:
        data = self.header(data, parts[0]) if parts == self._main else data
        data = self.constants(data) if _is_php(parts) else data
        return self.readme(data) if parts == self._readme_file else data

    def header(self, data: bytes, main_file: str) -> bytes:
        matches = _header_matches(data)
        self._header.append(f"header:{main_file}")
        version = matches.get("version")
        if version is None:
            return self._insert_version_line(data, matches["name"])
        start, end = _value_span(version)
        return data[:start] + self._new + data[end:]

    def _insert_version_line(self, data: bytes, name: re.Match[bytes]) -> bytes:
        """Sites compare updates against the header Version, so a header without one gets a line.

        Only where a copy of the 'Plugin Name' line's prefix is certainly still inside the same
        comment; elsewhere the data is left alone and the caller's check reports it.
        """
        eol = _EOL.match(data, name.end())
        if name.group(1) or b"/*" in name.group(2) or _COMMENT_CLOSE.search(name.group(3)) or eol is None:
            return data
        line = name.group(2) + b"Version: " + self._new + eol.group()
        return data[: eol.end()] + line + data[eol.end() :]

    def constants(self, data: bytes) -> bytes:
        def stamp(match: re.Match[bytes]) -> bytes:
            self._constant_names[match.group("name").decode("utf-8", "replace")] = None
            start, end = match.start("value") - match.start(), match.end("value") - match.start()
            return match.group()[:start] + self._new + match.group()[end:]

        # Both patterns need the old version's exact bytes; most files lack them, and the patterns'
        # leading look-behind makes re try every offset (measured: the packager's hot spot).
        if not self._constants or self._old not in data:
            return data
        for pattern in self._constants:
            data = pattern.sub(stamp, data)
        return data

    def readme(self, data: bytes) -> bytes:
        # surrogateescape round-trips any byte, so a readme in another encoding passes unchanged.
        lines = data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        for index in _readme_header_lines(lines):
            found = _readme_field(lines[index])
            if found is None or found[0] != "stable_tag":
                continue
            line = lines[index]
            body = line.rstrip("\r\n")
            key, value = body[: len(body) - len(found[1])], found[1]
            core = value.strip(" \t")
            lead = value[: len(value) - len(value.lstrip(" \t"))]
            lines[index] = key + lead + self.version + value[len(lead) + len(core) :] + line[len(body) :]
            if not self._readme:
                self._readme.append("readme:Stable tag")
        return "".join(lines).encode("utf-8", "surrogateescape")


# --- writing the deterministic ZIP -------------------------------------------------------------

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


class _Stamping(Protocol):
    """Writes the version into the files that carry it; one per build, remembering what it touched."""

    @property
    def stamped(self) -> tuple[str, ...]: ...

    def holds(self, parts: tuple[str, ...]) -> bool:
        """Whether a file other than the main file and readme.txt must be read whole to be stamped."""
        ...

    def stamp(self, parts: tuple[str, ...], data: bytes) -> bytes: ...


@dataclass
class _Output:
    """What the write pass learns on the way, to fill BuiltPackage without re-reading the ZIP."""

    main: bytes = b""
    readme: bytes | None = None


def _is_php(parts: tuple[str, ...]) -> bool:
    return parts[-1].lower().endswith(".php")


def _readme_parts(files: Iterable[tuple[str, ...]]) -> tuple[str, ...] | None:
    candidates = sorted(p for p in files if len(p) == 1 and p[0].lower() == "readme.txt")
    return candidates[0] if candidates else None


#: A top-level file the packager overwrites with the stage's trust anchor (its root public keys),
#: so a client that verifies packages pins the keys of the service that built it.
TRUST_FILE = ("igny8-trust.json",)


def _write_package(
    archive: zipfile.ZipFile,
    target: zipfile.ZipFile,
    *,
    entries: list[_Entry],
    slug: str,
    main: tuple[str, ...],
    readme: tuple[str, ...] | None,
    stamper: _Stamping | None,
    trust_anchor: bytes | None,
    budget: _Budget,
    limits: Limits,
) -> _Output:
    files = {e.parts: e.info for e in entries if not e.is_dir}
    folders = {e.parts for e in entries if e.is_dir}
    folders.update(parts[:depth] for parts in files for depth in range(1, len(parts)))
    names: dict[str, tuple[str, ...] | None] = {slug + "/": None}
    names.update({"/".join((slug, *parts)) + "/": None for parts in folders})
    names.update({"/".join((slug, *parts)): parts for parts in files})
    output = _Output()

    for name in sorted(names):
        parts = names[name]
        if parts is None:
            target.mkdir(_zip_info(name, is_dir=True))
            continue
        chunks = _inflate(archive, files[parts], budget, limits)
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


def _digest(path: Path) -> tuple[str, str, int]:
    """SHA-256, SHA-384 (hex) and size of ``path``, in one chunked read."""
    sha256 = hashlib.sha256()
    sha384 = hashlib.sha384()
    size = 0
    with path.open("rb") as package:
        while chunk := package.read(_CHUNK):
            sha256.update(chunk)
            sha384.update(chunk)
            size += len(chunk)
    return sha256.hexdigest(), sha384.hexdigest(), size


# --- the packager ------------------------------------------------------------------------------

# What zipfile raises for archives that open but whose contents are damaged or unsupported.
_BROKEN_ARCHIVE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError)


def _find_main_file(archive: zipfile.ZipFile, entries: list[_Entry]) -> tuple[tuple[str, ...], PluginHeader]:
    """WordPress treats a top-level PHP file with a 'Plugin Name:' header as the plugin; we need one."""
    found: list[tuple[tuple[str, ...], PluginHeader]] = []
    for entry in sorted(entries, key=lambda e: e.parts):
        if entry.is_dir or len(entry.parts) != 1 or not _is_php(entry.parts):
            continue
        with archive.open(entry.info) as php:
            header = _parse_header(php.read(_HEADER_BYTES))
        if header is not None:
            found.append((entry.parts, header))
    if not found:
        raise PackagingError("no_plugin_header", "no top-level .php file has a 'Plugin Name:' header")
    if len(found) > 1:
        names = ", ".join(parts[0] for parts, _ in found)
        raise PackagingError("multiple_plugin_headers", f"more than one file has a plugin header: {names}")
    return found[0]


@dataclass(frozen=True)
class _Found:
    """The file that carries the plugin's version (main file or manifest), and the version it holds."""

    main: tuple[str, ...]
    version: str | None


class _Flavour(Protocol):
    """What differs between kinds of plugin: everything else is the shared pipeline in _build."""

    def find(self, archive: zipfile.ZipFile, entries: list[_Entry]) -> _Found:
        """The main file of the vetted plugin folder; PackagingError if there is none."""
        ...

    def no_version(self, found: _Found) -> str:
        """The message for a build given no version when the main file has none either."""
        ...

    def stamper(self, found: _Found, version: str, readme: tuple[str, ...] | None) -> _Stamping: ...

    def header(self, found: _Found, main: bytes, version: str) -> PluginHeader:
        """Metadata read back from the main file as written; 'version_not_stamped' if it disagrees."""
        ...


class _WordPress:
    """A WordPress plugin: a top-level PHP file with a plugin header, constants and readme.txt."""

    def find(self, archive: zipfile.ZipFile, entries: list[_Entry]) -> _Found:
        main, header = _find_main_file(archive, entries)
        return _Found(main, header.version)

    def no_version(self, found: _Found) -> str:
        return f"no version was given and {found.main[0]} has no 'Version:' header"

    def stamper(self, found: _Found, version: str, readme: tuple[str, ...] | None) -> _Stamping:
        return _Stamper(version, found.version, found.main, readme)

    def header(self, found: _Found, main: bytes, version: str) -> PluginHeader:
        header = _parse_header(main)
        if header is None or header.version != version:
            raise PackagingError(
                "version_not_stamped",
                f"could not write {version} into the header of {found.main[0]}; add a 'Version:' line",
            )
        return header


# --- custom / Shopify sources: a JSON package manifest ----------------------------------------

_MANIFESTS = ("package.json", "manifest.json")  # in order of preference
_MANIFEST_BYTES = 1024 * 1024
_BOM = "\ufeff"
_JSON_SPACE = frozenset(" \t\n\r")


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in _JSON_SPACE:
        index += 1
    return index


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and every other manifest reader) does not.
    raise ValueError(f"{name} is not JSON")


def _load_manifest(text: str, file: str) -> dict[str, Any]:
    """The manifest as an object with a string "name", or 'invalid_manifest'."""
    try:
        value = json.loads(text.removeprefix(_BOM), parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError and NaN/Infinity
        raise PackagingError("invalid_manifest", f"{file} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PackagingError("invalid_manifest", f"{file} is not a JSON object")
    if not isinstance(value.get("name"), str):
        raise PackagingError("invalid_manifest", f'{file} has no string "name"')
    return value


@dataclass(frozen=True)
class _Member:
    """Where one top-level member of a JSON object sits in the text (end offsets exclusive)."""

    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int


def _top_level_members(text: str) -> tuple[int, list[_Member]]:
    """The offset of the opening '{' and the top-level members of ``text``.

    Only for text json.loads has already accepted as an object, so the syntax is not re-checked.
    """
    decoder = json.JSONDecoder()
    brace = _skip_space(text, 0)
    members: list[_Member] = []
    index = brace + 1
    while True:
        index = _skip_space(text, index)
        if text[index] == "}":
            return brace, members
        key, key_end = decoder.raw_decode(text, index)  # a JSON string
        value_start = _skip_space(text, _skip_space(text, key_end) + 1)  # past the ':'
        _, value_end = decoder.raw_decode(text, value_start)
        members.append(_Member(key, index, key_end, value_start, value_end))
        index = _skip_space(text, value_end)
        if text[index] == ",":
            index += 1


def _stamp_manifest_text(text: str, version: str) -> str:
    """``text`` with its top-level "version" set to ``version``; only that value's text changes.

    Every top-level "version" is rewritten (parsers disagree on which duplicate wins). Without
    one, a member is added right after "name", indented and spaced like "name" itself.
    """
    bom = _BOM if text.startswith(_BOM) else ""
    body = text.removeprefix(bom)
    brace, members = _top_level_members(body)
    literal = json.dumps(version)
    versions = [m for m in members if m.key == "version"]
    for member in reversed(versions):
        body = body[: member.value_start] + literal + body[member.value_end :]
    if not versions:
        position = max(i for i, m in enumerate(members) if m.key == "name")
        name = members[position]
        after = body.index(",", members[position - 1].value_end) if position else brace
        indent = body[after + 1 : name.key_start]
        colon = body[name.key_end : name.value_start]
        body = body[: name.value_end] + "," + indent + '"version"' + colon + literal + body[name.value_end :]
    return bom + body


def _manifest_text(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackagingError("invalid_manifest", f"{file} is not UTF-8") from exc


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _manifest_header(manifest: dict[str, Any]) -> PluginHeader:
    """The manifest's metadata in the fields the registry records for every kind of plugin."""
    author = manifest.get("author")
    person = author if isinstance(author, dict) else {}
    return PluginHeader(
        name=_string(manifest.get("displayName")) or manifest["name"],
        version=_string(manifest.get("version")),
        description=_string(manifest.get("description")),
        author=_string(author) or _string(person.get("name")),
        author_uri=_string(person.get("url")),
        plugin_uri=_string(manifest.get("homepage")),
        requires=None,
        requires_php=None,
        text_domain=None,
        update_uri=None,
    )


def _without_version(manifest: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(key, value) for key, value in manifest.items() if key != "version"]


class _ManifestStamper:
    """Writes the version into the manifest's top-level "version", and nowhere else."""

    def __init__(self, version: str, main: tuple[str, ...]) -> None:
        self._version = version
        self._main = main
        self.stamped: tuple[str, ...] = ()

    def holds(self, parts: tuple[str, ...]) -> bool:
        return False

    def stamp(self, parts: tuple[str, ...], data: bytes) -> bytes:
        if parts != self._main:
            return data
        file = parts[0]
        text = _manifest_text(data, file)
        original = _load_manifest(text, file)
        try:
            stamped = _stamp_manifest_text(text, self._version)
            result = _load_manifest(stamped, file)
        except (PackagingError, ValueError, IndexError) as exc:  # pragma: no cover - defensive
            raise PackagingError("version_not_stamped", f"could not write the version into {file}") from exc
        if result.get("version") != self._version or _without_version(result) != _without_version(original):
            raise PackagingError(
                "version_not_stamped",
                f"writing {self._version} into {file} would change more than its version",
            )
        self.stamped = (f"manifest:{file}",)
        return stamped.encode("utf-8")


class _Generic:
    """A custom (site SDK) or Shopify package: a folder with a package.json or manifest.json."""

    def find(self, archive: zipfile.ZipFile, entries: list[_Entry]) -> _Found:
        files = {e.parts: e.info for e in entries if not e.is_dir}
        file = next((name for name in _MANIFESTS if (name,) in files), None)
        if file is None:
            raise PackagingError("no_manifest", "no package.json or manifest.json at the top of the package")
        info = files[(file,)]
        if info.file_size > _MANIFEST_BYTES:
            raise PackagingError("invalid_manifest", f"{file} is over {_MANIFEST_BYTES} bytes")
        with archive.open(info) as manifest_file:
            data = manifest_file.read(_MANIFEST_BYTES + 1)
        if len(data) > _MANIFEST_BYTES:
            raise PackagingError("invalid_manifest", f"{file} is over {_MANIFEST_BYTES} bytes")
        manifest = _load_manifest(_manifest_text(data, file), file)
        return _Found((file,), _string(manifest.get("version")))

    def no_version(self, found: _Found) -> str:
        return f'no version was given and {found.main[0]} has no string "version"'

    def stamper(self, found: _Found, version: str, readme: tuple[str, ...] | None) -> _Stamping:
        return _ManifestStamper(version, found.main)

    def header(self, found: _Found, main: bytes, version: str) -> PluginHeader:
        header = _manifest_header(_load_manifest(_manifest_text(main, found.main[0]), found.main[0]))
        if header.version != version:
            raise PackagingError("version_not_stamped", f"{found.main[0]} does not say version {version}")
        return header


@dataclass(frozen=True)
class _Job:
    """One build: what to call the package, where to write it, within which limits, how."""

    slug: str
    version: str | None
    workdir: Path
    limits: Limits
    flavour: _Flavour
    trust_anchor: bytes | None


def _build(archive: zipfile.ZipFile, job: _Job) -> BuiltPackage:
    slug, version, workdir, limits, flavour = job.slug, job.version, job.workdir, job.limits, job.flavour
    entries = _plugin_entries(archive, limits)
    found = flavour.find(archive, entries)
    final_version = version if version is not None else found.version
    if final_version is None:
        raise PackagingError("no_version", flavour.no_version(found))
    _check_version(final_version)
    readme = _readme_parts(e.parts for e in entries if not e.is_dir)
    stamper = flavour.stamper(found, version, readme) if version is not None else None

    path = workdir / f"{slug}-v{final_version}.zip"
    handle, temporary = tempfile.mkstemp(prefix=f".{slug}-", suffix=".zip.part", dir=workdir)
    partial = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as target:
            output = _write_package(
                archive,
                target,
                entries=entries,
                slug=slug,
                main=found.main,
                readme=readme,
                stamper=stamper,
                trust_anchor=job.trust_anchor,
                budget=_Budget(limits.max_total_bytes),
                limits=limits,
            )
        header = flavour.header(found, output.main, final_version)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)

    sha256, sha384, size = _digest(path)
    return BuiltPackage(
        path=path,
        slug=slug,
        version=final_version,
        sha256=sha256,
        sha384=sha384,
        size=size,
        main_file=found.main[0],
        header=header,
        readme=parse_readme(output.readme.decode("utf-8", "replace")) if output.readme is not None else None,
        stamped=stamper.stamped if stamper is not None else (),
    )


# --- .tar.gz sources ---------------------------------------------------------------------------

_GZIP_MAGIC = b"\x1f\x8b"
# What tarfile and its gzip stream raise for damaged input.
_BROKEN_TAR = (tarfile.TarError, zlib.error, EOFError, UnicodeDecodeError)


def _tar_name(member: tarfile.TarInfo) -> str | None:
    """The member's ZIP name ('/' ends a folder); a leading './' (``tar -C dir .``) is dropped."""
    name = member.name
    while name.startswith("./"):
        name = name[2:]
    if name in ("", "."):
        return None
    return name + "/" if member.isdir() else name


def _check_tar_member(member: tarfile.TarInfo, name: str) -> None:
    _check_entry_name(name)
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
    budget: _Budget,
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
        while chunk := source.read(_CHUNK):
            budget.spend(len(chunk))
            inflated += len(chunk)
            _check_streamed(name, inflated, raw.tell() - start, limits)
            target.write(chunk)


def _tar_to_zip(source: Path, scratch: Path, limits: Limits) -> None:
    """Stream the tar once into a scratch ZIP, refusing what a ZIP source would be refused for.

    Everything in a tar must be inflated to get past it, so every member counts toward the limits.
    """
    budget = _Budget(limits.max_total_bytes)
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


def _build_from_tar(source: Path, job: _Job) -> BuiltPackage:
    handle, temporary = tempfile.mkstemp(prefix=f".{job.slug}-", suffix=".source.zip.part", dir=job.workdir)
    os.close(handle)
    scratch = Path(temporary)
    try:
        try:
            _tar_to_zip(source, scratch, job.limits)
        except _BROKEN_TAR as exc:
            raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
        # The ratio was measured on the gzip stream; the scratch ZIP's own deflate says nothing.
        scratch_limits = replace(job.limits, max_compression_ratio=2**62)
        with zipfile.ZipFile(scratch) as archive:
            return _build(archive, replace(job, limits=scratch_limits))
    finally:
        scratch.unlink(missing_ok=True)


def build_wordpress_package(
    source: Path,
    slug: str,
    version: str | None,
    workdir: Path,
    limits: Limits = DEFAULT_LIMITS,
    *,
    trust_anchor: bytes | None = None,
) -> BuiltPackage:
    """Package ``source`` (a .zip or .tar.gz) as ``{workdir}/{slug}-v{version}.zip``.

    Nothing but that file is left behind, and nothing is ever written outside ``workdir``.
    ``version`` None means "release what the header says" and leaves every file untouched.
    Raises PackagingError (``code`` in REASON_CODES) for any archive that must not reach a site.
    A top-level ``igny8-trust.json`` in the source is replaced by ``trust_anchor`` when given.
    """
    return _package(source, _Job(slug, version, workdir, limits, _WordPress(), trust_anchor))


def build_generic_package(
    source: Path,
    slug: str,
    version: str | None,
    workdir: Path,
    limits: Limits = DEFAULT_LIMITS,
    *,
    trust_anchor: bytes | None = None,
) -> BuiltPackage:
    """Package a ``custom`` (site SDK) or ``shopify`` source as ``{workdir}/{slug}-v{version}.zip``.

    The same archive checks, exclusions and deterministic layout as build_wordpress_package; the
    version lives in the top-level ``package.json`` (else ``manifest.json``) and is written into
    its top-level "version" (only that value's text changes). ``version`` None releases what the
    manifest says and leaves every file untouched.
    """
    return _package(source, _Job(slug, version, workdir, limits, _Generic(), trust_anchor))


def _package(source: Path, job: _Job) -> BuiltPackage:
    """The pipeline every kind of plugin goes through: vet, open (zip or .tar.gz), build."""
    _check_slug(job.slug)
    if job.version is not None:
        _check_version(job.version)
    size = source.stat().st_size
    if size > job.limits.max_archive_bytes:
        raise PackagingError(
            "too_large", f"{source.name} is {size} bytes (limit {job.limits.max_archive_bytes})"
        )
    with source.open("rb") as raw:
        magic = raw.read(len(_GZIP_MAGIC))
    if magic == _GZIP_MAGIC:
        return _build_from_tar(source, job)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise PackagingError("not_a_zip", f"{source.name} is not a ZIP archive (nor a .tar.gz)") from exc
    except UnicodeDecodeError as exc:
        # Names flagged as UTF-8 are decoded when the central directory is read.
        raise PackagingError("invalid_name", f"{source.name} has an entry name that is not UTF-8") from exc
    except _BROKEN_ARCHIVE as exc:
        raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
    with archive:
        try:
            _check_layout(source, archive)
            return _build(archive, job)
        except _BROKEN_ARCHIVE as exc:
            raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
