"""Custom (site SDK) and Shopify sources: the JSON package manifest that carries their version.

The version is written by editing the text of the top-level ``"version"`` value only, so the
manifest keeps its author's layout and every other member byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.logic.packaging.errors import PackagingError
from chalicelib.logic.packaging.header import PluginHeader

# --- custom / Shopify sources: a JSON package manifest ----------------------------------------

MANIFESTS = ("package.json", "manifest.json")  # in order of preference
MANIFEST_BYTES = 1024 * 1024
_BOM = "\ufeff"
_JSON_SPACE = frozenset(" \t\n\r")


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in _JSON_SPACE:
        index += 1
    return index


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and every other manifest reader) does not.
    raise ValueError(f"{name} is not JSON")


def load_manifest(text: str, file: str) -> dict[str, Any]:
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


def manifest_text(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackagingError("invalid_manifest", f"{file} is not UTF-8") from exc


def string_value(value: object) -> str | None:
    return value if isinstance(value, str) else None


def manifest_header(manifest: dict[str, Any]) -> PluginHeader:
    """The manifest's metadata in the fields the registry records for every kind of plugin."""
    author = manifest.get("author")
    person = author if isinstance(author, dict) else {}
    return PluginHeader(
        name=string_value(manifest.get("displayName")) or manifest["name"],
        version=string_value(manifest.get("version")),
        description=string_value(manifest.get("description")),
        author=string_value(author) or string_value(person.get("name")),
        author_uri=string_value(person.get("url")),
        plugin_uri=string_value(manifest.get("homepage")),
        requires=None,
        requires_php=None,
        text_domain=None,
        update_uri=None,
    )


def _without_version(manifest: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(key, value) for key, value in manifest.items() if key != "version"]


class ManifestStamper:
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
        text = manifest_text(data, file)
        original = load_manifest(text, file)
        try:
            stamped = _stamp_manifest_text(text, self._version)
            result = load_manifest(stamped, file)
        except (PackagingError, ValueError, IndexError) as exc:  # pragma: no cover - defensive
            raise PackagingError("version_not_stamped", f"could not write the version into {file}") from exc
        if result.get("version") != self._version or _without_version(result) != _without_version(original):
            raise PackagingError(
                "version_not_stamped",
                f"writing {self._version} into {file} would change more than its version",
            )
        self.stamped = (f"manifest:{file}",)
        return stamped.encode("utf-8")
