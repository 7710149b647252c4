"""What never ships: the default exclusions plus the WordPress ``.distignore`` convention."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace


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
