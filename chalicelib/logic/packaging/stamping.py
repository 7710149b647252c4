"""Writing the release's version into a WordPress plugin: header, ``*_VERSION`` constants, readme."""

from __future__ import annotations

import re
from typing import Protocol

from chalicelib.logic.packaging.header import COMMENT_CLOSE, header_matches, value_span
from chalicelib.logic.packaging.names import is_php
from chalicelib.logic.readme import readme_field, readme_header_lines

_EOL = re.compile(rb"\r\n|\n|\r")


class Stamping(Protocol):
    """Writes the version into the files that carry it; one per build, remembering what it touched."""

    @property
    def stamped(self) -> tuple[str, ...]: ...

    def holds(self, parts: tuple[str, ...]) -> bool:
        """Whether a file other than the main file and readme.txt must be read whole to be stamped."""
        ...

    def stamp(self, parts: tuple[str, ...], data: bytes) -> bytes: ...


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


class WordPressStamper:
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
        return is_php(parts)

    def stamp(self, parts: tuple[str, ...], data: bytes) -> bytes:
        data = self.header(data, parts[0]) if parts == self._main else data
        data = self.constants(data) if is_php(parts) else data
        return self.readme(data) if parts == self._readme_file else data

    def header(self, data: bytes, main_file: str) -> bytes:
        matches = header_matches(data)
        self._header.append(f"header:{main_file}")
        version = matches.get("version")
        if version is None:
            return self._insert_version_line(data, matches["name"])
        start, end = value_span(version)
        return data[:start] + self._new + data[end:]

    def _insert_version_line(self, data: bytes, name: re.Match[bytes]) -> bytes:
        """Sites compare updates against the header Version, so a header without one gets a line.

        Only where a copy of the 'Plugin Name' line's prefix is certainly still inside the same
        comment; elsewhere the data is left alone and the caller's check reports it.
        """
        eol = _EOL.match(data, name.end())
        if name.group(1) or b"/*" in name.group(2) or COMMENT_CLOSE.search(name.group(3)) or eol is None:
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
        for index in readme_header_lines(lines):
            found = readme_field(lines[index])
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
