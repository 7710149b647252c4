"""The kinds of plugin the packager knows, and the one thing that differs between them.

Every kind goes through the same pipeline (``build``); a :class:`Flavour` only says which file
carries the version, how to stamp it and how to read the metadata back.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import Protocol

from chalicelib.logic.packaging.archive import Entry
from chalicelib.logic.packaging.errors import PackagingError
from chalicelib.logic.packaging.header import HEADER_BYTES, PluginHeader, parse_header
from chalicelib.logic.packaging.manifest import (
    MANIFEST_BYTES,
    MANIFESTS,
    ManifestStamper,
    load_manifest,
    manifest_header,
    manifest_text,
    string_value,
)
from chalicelib.logic.packaging.names import is_php
from chalicelib.logic.packaging.stamping import Stamping, WordPressStamper


def find_main_file(archive: zipfile.ZipFile, entries: list[Entry]) -> tuple[tuple[str, ...], PluginHeader]:
    """WordPress treats a top-level PHP file with a 'Plugin Name:' header as the plugin; we need one."""
    found: list[tuple[tuple[str, ...], PluginHeader]] = []
    for entry in sorted(entries, key=lambda e: e.parts):
        if entry.is_dir or len(entry.parts) != 1 or not is_php(entry.parts):
            continue
        with archive.open(entry.info) as php:
            header = parse_header(php.read(HEADER_BYTES))
        if header is not None:
            found.append((entry.parts, header))
    if not found:
        raise PackagingError("no_plugin_header", "no top-level .php file has a 'Plugin Name:' header")
    if len(found) > 1:
        names = ", ".join(parts[0] for parts, _ in found)
        raise PackagingError("multiple_plugin_headers", f"more than one file has a plugin header: {names}")
    return found[0]


@dataclass(frozen=True)
class Found:
    """The file that carries the plugin's version (main file or manifest), and the version it holds."""

    main: tuple[str, ...]
    version: str | None


class Flavour(Protocol):
    """What differs between kinds of plugin: everything else is the shared pipeline in ``build``."""

    def find(self, archive: zipfile.ZipFile, entries: list[Entry]) -> Found:
        """The main file of the vetted plugin folder; PackagingError if there is none."""
        ...

    def no_version(self, found: Found) -> str:
        """The message for a build given no version when the main file has none either."""
        ...

    def stamper(self, found: Found, version: str, readme: tuple[str, ...] | None) -> Stamping: ...

    def header(self, found: Found, main: bytes, version: str) -> PluginHeader:
        """Metadata read back from the main file as written; 'version_not_stamped' if it disagrees."""
        ...


class WordPress:
    """A WordPress plugin: a top-level PHP file with a plugin header, constants and readme.txt."""

    def find(self, archive: zipfile.ZipFile, entries: list[Entry]) -> Found:
        main, header = find_main_file(archive, entries)
        return Found(main, header.version)

    def no_version(self, found: Found) -> str:
        return f"no version was given and {found.main[0]} has no 'Version:' header"

    def stamper(self, found: Found, version: str, readme: tuple[str, ...] | None) -> Stamping:
        return WordPressStamper(version, found.version, found.main, readme)

    def header(self, found: Found, main: bytes, version: str) -> PluginHeader:
        header = parse_header(main)
        if header is None or header.version != version:
            raise PackagingError(
                "version_not_stamped",
                f"could not write {version} into the header of {found.main[0]}; add a 'Version:' line",
            )
        return header


class Generic:
    """A custom (site SDK) or Shopify package: a folder with a package.json or manifest.json."""

    def find(self, archive: zipfile.ZipFile, entries: list[Entry]) -> Found:
        files = {e.parts: e.info for e in entries if not e.is_dir}
        file = next((name for name in MANIFESTS if (name,) in files), None)
        if file is None:
            raise PackagingError("no_manifest", "no package.json or manifest.json at the top of the package")
        info = files[(file,)]
        if info.file_size > MANIFEST_BYTES:
            raise PackagingError("invalid_manifest", f"{file} is over {MANIFEST_BYTES} bytes")
        with archive.open(info) as manifest_file:
            data = manifest_file.read(MANIFEST_BYTES + 1)
        if len(data) > MANIFEST_BYTES:
            raise PackagingError("invalid_manifest", f"{file} is over {MANIFEST_BYTES} bytes")
        manifest = load_manifest(manifest_text(data, file), file)
        return Found((file,), string_value(manifest.get("version")))

    def no_version(self, found: Found) -> str:
        return f'no version was given and {found.main[0]} has no string "version"'

    def stamper(self, found: Found, version: str, readme: tuple[str, ...] | None) -> Stamping:
        return ManifestStamper(version, found.main)

    def header(self, found: Found, main: bytes, version: str) -> PluginHeader:
        header = manifest_header(load_manifest(manifest_text(main, found.main[0]), found.main[0]))
        if header.version != version:
            raise PackagingError("version_not_stamped", f"{found.main[0]} does not say version {version}")
        return header
