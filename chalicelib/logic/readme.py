"""WordPress.org ``readme.txt``: the header fields and the sections a site shows.

Shared by the packager (which reads and stamps ``Stable tag``) and the update API (which serves
the sections and one version's changelog entry), so it depends on neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Readme:
    """What the "View details" modal and the update offer need from a WordPress.org ``readme.txt``."""

    stable_tag: str | None
    requires: str | None
    tested: str | None
    requires_php: str | None
    sections: dict[str, str]


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


def readme_header_lines(lines: list[str]) -> range:
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


def readme_field(line: str) -> tuple[str, str] | None:
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
    header = readme_header_lines(lines)
    fields: dict[str, str | None] = {}
    for index in header:
        found = readme_field(lines[index])
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
