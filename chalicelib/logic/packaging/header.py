"""The WordPress plugin header, read exactly as ``get_file_data()`` reads it on a site.

Stamping reuses :func:`header_matches` and :func:`value_span` so that it replaces exactly the
bytes WordPress would read as the value, and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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


# --- the plugin header (WordPress get_file_data) -----------------------------------------------

HEADER_BYTES = 8 * 1024
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
COMMENT_CLOSE = re.compile(rb"\s*(?:\*/|\?>)")  # _cleanup_header_comment() cuts from here
_PHP_TRIM = b" \t\n\r\0\x0b"


def header_matches(data: bytes) -> dict[str, re.Match[bytes]]:
    """Byte offsets into ``data`` itself: '\\r' becomes '\\n' one for one, as get_file_data() does."""
    head = data[:HEADER_BYTES].replace(b"\r", b"\n")
    found = {field: pattern.search(head) for field, pattern in _HEADER_PATTERNS.items()}
    return {field: match for field, match in found.items() if match is not None}


def value_span(match: re.Match[bytes]) -> tuple[int, int]:
    """Where the value WordPress keeps sits, so stamping can replace exactly that and nothing else."""
    raw = match.group(3)
    closer = COMMENT_CLOSE.search(raw)
    kept = raw[: closer.start()] if closer else raw
    value = kept.lstrip(_PHP_TRIM)
    start = match.start(3) + len(kept) - len(value)
    return start, start + len(value.rstrip(_PHP_TRIM))


def _header_value(match: re.Match[bytes] | None) -> str | None:
    # get_file_data() tests the raw capture for PHP truthiness, so "0" counts as absent.
    if match is None or match.group(3) in (b"", b"0"):
        return None
    start, end = value_span(match)
    return match.string[start:end].decode("utf-8", "replace") or None


def parse_header(data: bytes) -> PluginHeader | None:
    matches = header_matches(data)
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
    return parse_header(php_text.encode("utf-8", "surrogateescape"))
