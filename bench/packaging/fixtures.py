"""Synthetic WordPress plugin sources, generated from fixed seeds so every run packages the same
bytes: code-like text that deflates like real source, and incompressible binary assets."""

from __future__ import annotations

import math
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.packaging import KB, MB, OLD_VERSION, SLUG

_SOURCE_EPOCH = (2024, 1, 1, 0, 0, 0)

_SYLLABLES = [
    "get",
    "post",
    "meta",
    "igny8",
    "bridge",
    "option",
    "render",
    "field",
    "user",
    "cache",
    "update",
    "plugin",
    "admin",
    "settings",
    "api",
    "request",
    "response",
    "item",
    "list",
    "value",
    "key",
    "data",
    "html",
    "style",
    "script",
    "query",
    "term",
    "nonce",
    "ajax",
    "sanitize",
    "escape",
    "filter",
    "action",
    "hook",
    "widget",
    "block",
    "editor",
    "page",
    "site",
    "network",
    "remote",
    "token",
    "sync",
]


def _identifiers(rng: random.Random, count: int) -> list[str]:
    return ["_".join(rng.choices(_SYLLABLES, k=rng.randint(1, 3))) for _ in range(count)]


def _php_line(rng: random.Random, ids: list[str]) -> str:
    a, b, c = rng.choice(ids), rng.choice(ids), rng.choice(ids)
    templates = (
        f"\t${a} = {b}( ${c}, '{a}' );\n",
        f"function {a}_{b}( ${c} ) {{\n",
        f"\treturn ${a}->{b}( ${c} );\n}}\n",
        f"\t// {a.replace('_', ' ')} before {b.replace('_', ' ')}.\n",
        f"\tif ( ! empty( ${a}['{b}'] ) ) {{\n\t\t${c}[] = esc_html( ${a}['{b}'] );\n\t}}\n",
        f"\tadd_action( '{a}', array( $this, '{b}' ), {rng.randint(1, 99)} );\n",
        f"\t${a} = get_option( '{b}_{c}', array() );\n",
    )
    return rng.choice(templates)


def _js_line(rng: random.Random, ids: list[str]) -> str:
    a, b, c = rng.choice(ids), rng.choice(ids), rng.choice(ids)
    templates = (
        f"  const {a} = {b}.{c}({rng.randint(0, 999)});\n",
        f"  document.querySelectorAll('.{a}').forEach(({b}) => {b}.classList.add('{c}'));\n",
        f"function {a}({b}, {c}) {{\n  return {b} ? {c}.{a} : null;\n}}\n",
        f"  // {a.replace('_', ' ')}: {b.replace('_', ' ')}\n",
        f"  fetch(`/wp-json/{a}/{b}`).then((r) => r.json()).then({c});\n",
    )
    return rng.choice(templates)


def _css_line(rng: random.Random, ids: list[str]) -> str:
    a, b = rng.choice(ids), rng.choice(ids)
    templates = (
        f".{a} .{b} {{ margin: {rng.randint(0, 40)}px {rng.randint(0, 40)}px; }}\n",
        f".{a}:hover {{ color: #{rng.randrange(16**6):06x}; }}\n",
        f"#{a}-{b} {{ display: flex; gap: {rng.randint(1, 24)}px; }}\n",
    )
    return rng.choice(templates)


_LINE_MAKERS: dict[str, Callable[[random.Random, list[str]], str]] = {
    "php": _php_line,
    "js": _js_line,
    "css": _css_line,
}
_TEXT_DIRS = {"php": ("includes", "admin", "public"), "js": ("assets/js",), "css": ("assets/css",)}
_BINARY_KINDS = (("assets/img", "png"), ("assets/img", "jpg"), ("assets/fonts", "woff2"))


class _TextSource:
    """Code-like text: lines drawn from a per-language pool, so it deflates like real source (~4-6:1)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        ids = _identifiers(rng, 800)
        self._pools = {ext: [make(rng, ids) for _ in range(3000)] for ext, make in _LINE_MAKERS.items()}

    def text(self, ext: str, size: int) -> bytes:
        pool = self._pools[ext]
        out: list[str] = []
        total = 0
        while total < size:
            batch = self._rng.choices(pool, k=max(16, (size - total) // 40))
            out.extend(batch)
            total += sum(len(line) for line in batch)
        return "".join(out).encode()[:size]


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _main_file(text: _TextSource, body_bytes: int) -> bytes:
    header = (
        "<?php\n/**\n"
        " * Plugin Name:       Bench Plugin\n"
        " * Plugin URI:        https://example.com/bench-plugin\n"
        " * Description:       A synthetic plugin for the packaging benchmark.\n"
        f" * Version:           {OLD_VERSION}\n"
        " * Requires at least: 5.8\n"
        " * Requires PHP:      7.4\n"
        " * Author:            IGNY8\n"
        " * Text Domain:       bench-plugin\n"
        " */\n\n"
        "defined( 'ABSPATH' ) || exit;\n\n"
        f"define( 'BENCH_PLUGIN_VERSION', '{OLD_VERSION}' );\n\n"
    ).encode()
    return header + text.text("php", body_bytes)


def _readme(text: _TextSource) -> bytes:
    head = (
        "=== Bench Plugin ===\n"
        "Contributors: igny8\n"
        "Requires at least: 5.8\n"
        "Tested up to: 6.6\n"
        "Requires PHP: 7.4\n"
        f"Stable tag: {OLD_VERSION}\n"
        "License: GPLv2 or later\n\n"
        "A synthetic plugin for the packaging benchmark.\n\n"
        "== Description ==\n\n"
    ).encode()
    changelog = f"\n\n== Changelog ==\n\n= {OLD_VERSION} =\n* First release.\n".encode()
    return head + text.text("css", 1500).replace(b"{", b"(").replace(b"}", b")") + changelog


@dataclass(frozen=True)
class Recipe:
    """What to generate: bytes of text and of random binary, and one big binary asset (0 = none)."""

    label: str
    text_bytes: int
    binary_bytes: int
    text_file_range: tuple[int, int]
    binary_file_range: tuple[int, int]
    big_asset_bytes: int = 0


def _plugin_files(recipe: Recipe) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(f"packaging-bench/{recipe.label}")
    text = _TextSource(rng)
    main = _main_file(text, min(4 * KB, recipe.text_bytes // 4))
    readme = _readme(text)
    yield f"{SLUG}.php", main
    yield "readme.txt", readme
    left = recipe.text_bytes - len(main) - len(readme)
    index = 0
    while left > 0:
        ext = rng.choice(("php", "php", "js", "css"))
        size = min(left, _log_uniform(rng, *recipe.text_file_range))
        folder = rng.choice(_TEXT_DIRS[ext])
        yield f"{folder}/file-{index:04d}.{ext}", text.text(ext, size)
        left -= size
        index += 1
    if recipe.big_asset_bytes:
        yield "assets/media/intro.mp4", rng.randbytes(recipe.big_asset_bytes)
    left = recipe.binary_bytes - recipe.big_asset_bytes
    while left > 0:
        folder, ext = rng.choice(_BINARY_KINDS)
        size = min(left, _log_uniform(rng, *recipe.binary_file_range))
        yield f"{folder}/asset-{index:04d}.{ext}", rng.randbytes(size)
        left -= size
        index += 1


@dataclass(frozen=True)
class Source:
    recipe: Recipe
    path: Path
    files: int
    uncompressed: int
    largest_entry: int
    archive_bytes: int


def make_source(recipe: Recipe, directory: Path) -> Source:
    """Zip the plugin (in a wrapper folder, like a GitHub "Download ZIP"), deterministically."""
    path = directory / f"{recipe.label}.zip"
    files = uncompressed = largest = 0
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in _plugin_files(recipe):
            info = zipfile.ZipInfo(f"{SLUG}/{name}", date_time=_SOURCE_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
            files += 1
            uncompressed += len(data)
            largest = max(largest, len(data))
    return Source(recipe, path, files, uncompressed, largest, path.stat().st_size)


SMALL = Recipe("small-200KB", 200 * KB, 0, (1 * KB, 12 * KB), (1, 2))
LARGE = Recipe("large-50MB", 30 * MB, 20 * MB, (4 * KB, 512 * KB), (16 * KB, 2 * MB))


def memory_recipe(size_mb: int) -> Recipe:
    """10% text, 90% random bytes, one asset a fifth of the plugin."""
    total = size_mb * MB
    return Recipe(
        f"memory-{size_mb}MB",
        total // 10,
        total - total // 10,
        (4 * KB, 512 * KB),
        (16 * KB, 2 * MB),
        big_asset_bytes=total // 5,
    )
