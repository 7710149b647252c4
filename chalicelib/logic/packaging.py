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
a time.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = [
    "DEFAULT_EXCLUSIONS",
    "DEFAULT_LIMITS",
    "BuiltPackage",
    "ExclusionRules",
    "Limits",
    "PackagingError",
    "PluginHeader",
    "Readme",
    "build_wordpress_package",
    "parse_readme",
    "read_header",
]


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


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class ExclusionRules:
    """Everything that must never reach a site, as data, so `.distignore` patterns can join it later."""

    segments: frozenset[str]
    basenames: tuple[str, ...]

    def excludes(self, parts: tuple[str, ...]) -> bool:
        """Segments match anywhere in the path (a ``tests`` folder at any depth); globs the last name."""
        if any(part in self.segments for part in parts):
            return True
        return any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in self.basenames)


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


def _check_entry_name(name: str) -> tuple[str, ...]:
    """Reject any name that could land outside the plugin folder when a site unzips the package.

    WordPress and ``unzip`` on every platform must agree on where an entry goes, so anything
    ambiguous (Windows separators, drive letters, empty or dot segments) is refused as well.
    """
    if not name or "\x00" in name or "\\" in name:
        raise PackagingError("unsafe_path", f"entry name {name!r} is empty or contains NUL or '\\'")
    if name.startswith("/") or _DRIVE.match(name):
        raise PackagingError("unsafe_path", f"entry name {name!r} is absolute")
    parts = tuple(name.removesuffix("/").split("/"))
    if any(part in ("", ".", "..") for part in parts):
        raise PackagingError("unsafe_path", f"entry name {name!r} has an empty, '.' or '..' segment")
    return parts


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


def _checked_entry(info: zipfile.ZipInfo) -> _Entry:
    # orig_filename still holds what zipfile silently truncates at a NUL byte.
    parts = _check_entry_name(info.orig_filename)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise PackagingError("symlink", f"entry {info.orig_filename!r} is a symbolic link")
    if info.flag_bits & 0x1:
        raise PackagingError("encrypted", f"entry {info.orig_filename!r} is encrypted")
    return _Entry(info, parts, info.orig_filename.endswith("/"))


def _wrapper_folder(entries: list[_Entry]) -> str | None:
    """The single folder a "Download ZIP" wraps everything in, ignoring root-level junk beside it."""
    relevant = [e for e in entries if not DEFAULT_EXCLUSIONS.excludes(e.parts[:1])]
    if any(len(e.parts) == 1 and not e.is_dir for e in relevant):
        return None
    tops = {e.parts[0] for e in relevant}
    return tops.pop() if len(tops) == 1 else None


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
    kept = [e for e in entries if not DEFAULT_EXCLUSIONS.excludes(e.parts)]

    files = {e.parts for e in kept if not e.is_dir}
    if not files:
        raise PackagingError("empty_archive", "the archive contains no plugin files")
    folders = {e.parts[:depth] for e in kept for depth in range(1, len(e.parts))}
    clashes = sorted(files & folders)
    if clashes:
        raise PackagingError("duplicate_entry", f"{'/'.join(clashes[0])!r} is both a file and a folder")
    # A fast refusal before inflating anything; the real measurement happens while streaming.
    declared = sum(e.info.file_size for e in kept)
    if declared > limits.max_total_bytes:
        raise PackagingError("too_large", f"{declared} bytes uncompressed (limit {limits.max_total_bytes})")
    return kept


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


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    with archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            budget.spend(len(chunk))
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

    def __init__(self, version: str, old_version: str | None) -> None:
        self.version = version
        self._new = version.encode()
        self._constants = _constant_patterns(old_version.encode()) if old_version is not None else ()
        self._header: list[str] = []
        self._constant_names: dict[str, None] = {}
        self._readme: list[str] = []

    @property
    def stamped(self) -> tuple[str, ...]:
        return (*self._header, *(f"constant:{name}" for name in self._constant_names), *self._readme)

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


def _write_package(
    archive: zipfile.ZipFile,
    target: zipfile.ZipFile,
    *,
    entries: list[_Entry],
    slug: str,
    main: tuple[str, ...],
    stamper: _Stamper | None,
    budget: _Budget,
) -> _Output:
    files = {e.parts: e.info for e in entries if not e.is_dir}
    folders = {e.parts for e in entries if e.is_dir}
    folders.update(parts[:depth] for parts in files for depth in range(1, len(parts)))
    readme = _readme_parts(files)
    names: dict[str, tuple[str, ...] | None] = {slug + "/": None}
    names.update({"/".join((slug, *parts)) + "/": None for parts in folders})
    names.update({"/".join((slug, *parts)): parts for parts in files})
    output = _Output()

    for name in sorted(names):
        parts = names[name]
        if parts is None:
            target.mkdir(_zip_info(name, is_dir=True))
            continue
        chunks = _inflate(archive, files[parts], budget)
        if parts not in (main, readme) and (stamper is None or not _is_php(parts)):
            _write_file(target, name, chunks)
            continue
        data = b"".join(chunks)
        if stamper is not None:
            data = stamper.header(data, parts[0]) if parts == main else data
            data = stamper.constants(data) if _is_php(parts) else data
            data = stamper.readme(data) if parts == readme else data
        if parts == main:
            output.main = data
        if parts == readme:
            output.readme = data
        _write_file(target, name, (data,))
    return output


def _digest(path: Path) -> tuple[str, int]:
    sha256 = hashlib.sha256()
    size = 0
    with path.open("rb") as package:
        while chunk := package.read(_CHUNK):
            sha256.update(chunk)
            size += len(chunk)
    return sha256.hexdigest(), size


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


def _build(
    archive: zipfile.ZipFile, slug: str, version: str | None, workdir: Path, limits: Limits
) -> BuiltPackage:
    entries = _plugin_entries(archive, limits)
    main, header = _find_main_file(archive, entries)
    final_version = version if version is not None else header.version
    if final_version is None:
        raise PackagingError("no_version", f"no version was given and {main[0]} has no 'Version:' header")
    _check_version(final_version)
    stamper = _Stamper(version, header.version) if version is not None else None

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
                main=main,
                stamper=stamper,
                budget=_Budget(limits.max_total_bytes),
            )
        stamped_header = _parse_header(output.main)
        if stamped_header is None or stamped_header.version != final_version:
            raise PackagingError(
                "version_not_stamped",
                f"could not write {final_version} into the header of {main[0]}; add a 'Version:' line",
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)

    sha256, size = _digest(path)
    return BuiltPackage(
        path=path,
        slug=slug,
        version=final_version,
        sha256=sha256,
        size=size,
        main_file=main[0],
        header=stamped_header,
        readme=parse_readme(output.readme.decode("utf-8", "replace")) if output.readme is not None else None,
        stamped=stamper.stamped if stamper is not None else (),
    )


def build_wordpress_package(
    source: Path, slug: str, version: str | None, workdir: Path, limits: Limits = DEFAULT_LIMITS
) -> BuiltPackage:
    """Package ``source`` (a .zip) as ``{workdir}/{slug}-v{version}.zip``; nothing else is written.

    ``version`` None means "release what the header says" and leaves every file untouched.
    Raises PackagingError for any archive that must not reach a site.
    """
    _check_slug(slug)
    if version is not None:
        _check_version(version)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise PackagingError("not_a_zip", f"{source.name} is not a ZIP archive") from exc
    except _BROKEN_ARCHIVE as exc:
        raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
    with archive:
        try:
            return _build(archive, slug, version, workdir, limits)
        except _BROKEN_ARCHIVE as exc:
            raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
