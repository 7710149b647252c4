"""Checks on entry names: where an entry would land on a site, and what kind of file it names."""

from __future__ import annotations

import re
import unicodedata

from chalicelib.logic.packaging.errors import PackagingError

_DRIVE = re.compile(r"[A-Za-z]:")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MAX_SEGMENT_BYTES = 255  # NAME_MAX on every filesystem a site runs on
_MAX_NAME_BYTES = 1024  # PATH_MAX on macOS, the smallest of the lot
_NESTED_ARCHIVES = (".zip", ".phar", ".tar", ".gz", ".tgz", ".7z", ".rar")


def check_entry_name(name: str) -> tuple[str, ...]:
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


def fold(parts: tuple[str, ...]) -> tuple[str, ...]:
    """The key under which two names land on the same file of a case-insensitive, normalising FS."""
    return tuple(
        unicodedata.normalize("NFC", unicodedata.normalize("NFC", part).casefold()) for part in parts
    )


def is_nested_archive(parts: tuple[str, ...]) -> bool:
    return parts[-1].lower().endswith(_NESTED_ARCHIVES)


def is_php(parts: tuple[str, ...]) -> bool:
    return parts[-1].lower().endswith(".php")
