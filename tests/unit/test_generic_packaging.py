"""The packager for ``custom`` (site SDK) and ``shopify`` sources: a package.json/manifest.json plugin."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from chalicelib.logic.packaging import (
    REASON_CODES,
    BuiltPackage,
    PackagingError,
    build_generic_package,
)
from chalicelib.logic.packaging import manifest as manifest_module
from chalicelib.logic.packaging.manifest import MANIFEST_BYTES
from tests.unit.test_packaging import make_tar, make_zip

SLUG = "shop-widget"

# Deliberately unusual layout: 4-space indent, spaces before colons, a nested "version", CRLF-free.
PACKAGE_JSON = """{
    "name" : "@igny8/shop-widget",
    "description": "Adds the IGNY8 widget to a storefront",
    "version":   "1.0.0",
    "engines": {"version": "1.0.0", "node": ">=18"},
    "author": {"name": "IGNY8", "url": "https://igny8.com"},
    "homepage": "https://igny8.com/widget",
    "scripts": {
        "build": "echo 1.0.0"
    }
}
"""

FILES: dict[str, bytes | str] = {
    "package.json": PACKAGE_JSON,
    "dist/widget.js": "export const VERSION = '1.0.0';\n",
    "README.md": "# Shop widget\n",
}


def build(
    tmp_path: Path, files: dict[str, bytes | str], version: str | None = None, *, name: str = "source.zip"
) -> BuiltPackage:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    source = make_zip(tmp_path / name, files)
    return build_generic_package(source, SLUG, version, workdir)


def subdir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def read(package: BuiltPackage, name: str) -> str:
    with zipfile.ZipFile(package.path) as archive:
        return archive.read(f"{SLUG}/{name}").decode()


def names(package: BuiltPackage) -> list[str]:
    with zipfile.ZipFile(package.path) as archive:
        return archive.namelist()


def error_code(tmp_path: Path, files: dict[str, bytes | str], version: str | None = "2.0.0") -> str:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    source = make_zip(tmp_path / "source.zip", files)
    with pytest.raises(PackagingError) as caught:
        build_generic_package(source, SLUG, version, workdir)
    assert list(workdir.iterdir()) == []
    assert caught.value.code in REASON_CODES
    return caught.value.code


# --- stamping --------------------------------------------------------------------------------------


def test_stamping_changes_only_the_top_level_version_line(tmp_path: Path) -> None:
    package = build(tmp_path, FILES, "2.0.0")

    stamped = read(package, "package.json")
    before, after = PACKAGE_JSON.splitlines(keepends=True), stamped.splitlines(keepends=True)
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [('    "version":   "1.0.0",\n', '    "version":   "2.0.0",\n')]
    assert package.version == package.header.version == "2.0.0"
    assert package.stamped == ("manifest:package.json",)
    assert package.main_file == "package.json"
    assert package.path.name == f"{SLUG}-v2.0.0.zip"
    # Nothing but the manifest is touched, whatever else mentions the old version.
    assert read(package, "dist/widget.js") == FILES["dist/widget.js"]


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ('{"name":"w","private":true}', '{"name":"w","version":"2.0.0","private":true}'),
        (
            '{\n  "private": true,\n  "name": "w"\n}\n',
            '{\n  "private": true,\n  "name": "w",\n  "version": "2.0.0"\n}\n',
        ),
        (
            '{\n\t"name" : "w",\n\t"deps": {"version": "1"}\n}',
            '{\n\t"name" : "w",\n\t"version" : "2.0.0",\n\t"deps": {"version": "1"}\n}',
        ),
    ],
)
def test_a_missing_version_is_inserted_after_name(tmp_path: Path, manifest: str, expected: str) -> None:
    package = build(tmp_path, {"package.json": manifest}, "2.0.0")

    assert read(package, "package.json") == expected
    keys = list(json.loads(expected))
    assert keys.index("version") == keys.index("name") + 1
    assert package.header.version == "2.0.0"


def test_every_top_level_version_and_non_string_versions_are_replaced(tmp_path: Path) -> None:
    manifest = '{"version": 1, "name": "w", "version": null}'
    package = build(tmp_path, {"package.json": manifest}, "2.0.0")

    assert read(package, "package.json") == '{"version": "2.0.0", "name": "w", "version": "2.0.0"}'


def test_a_byte_order_mark_is_kept(tmp_path: Path) -> None:
    manifest = '\ufeff{"name": "w", "version": "1.0.0"}'
    package = build(tmp_path, {"manifest.json": manifest.encode()}, "2.0.0")

    assert read(package, "manifest.json") == '\ufeff{"name": "w", "version": "2.0.0"}'


def test_without_a_version_the_manifest_decides_and_files_stay_untouched(tmp_path: Path) -> None:
    package = build(tmp_path, FILES)

    assert package.version == package.header.version == "1.0.0"
    assert package.stamped == ()
    assert read(package, "package.json") == PACKAGE_JSON


def test_no_version_anywhere_is_refused(tmp_path: Path) -> None:
    assert error_code(tmp_path, {"package.json": '{"name": "w"}'}, None) == "no_version"
    assert error_code(tmp_path, {"package.json": '{"name": "w", "version": 3}'}, None) == "no_version"
    assert (
        error_code(tmp_path, {"package.json": '{"name": "w", "version": "1 0"}'}, None) == "invalid_version"
    )


def test_a_stamp_that_would_change_anything_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest_module, "_stamp_manifest_text", lambda text, version: text.replace("w", "x"))
    manifest = '{"name": "w", "version": "1.0.0"}'
    assert error_code(tmp_path, {"package.json": manifest}) == "version_not_stamped"


# --- the manifest ----------------------------------------------------------------------------------


def test_metadata_comes_from_the_manifest(tmp_path: Path) -> None:
    package = build(tmp_path, FILES, "2.0.0")

    header = package.header
    assert header.name == "@igny8/shop-widget"
    assert header.description == "Adds the IGNY8 widget to a storefront"
    assert (header.author, header.author_uri) == ("IGNY8", "https://igny8.com")
    assert header.plugin_uri == "https://igny8.com/widget"
    assert (header.requires, header.requires_php, header.text_domain, header.update_uri) == (None,) * 4
    assert package.readme is None  # README.md is shipped but not parsed


def test_display_name_string_author_and_readme_txt(tmp_path: Path) -> None:
    manifest = {"name": "w", "displayName": "Shop Widget", "version": "1.0.0", "author": "Jane <j@x.io>"}
    readme = "=== Shop Widget ===\nStable tag: 1.0.0\n\n== Changelog ==\n= 1.0.0 =\n* First.\n"
    package = build(tmp_path, {"manifest.json": json.dumps(manifest), "readme.txt": readme})

    assert package.header.name == "Shop Widget"
    assert (package.header.author, package.header.author_uri) == ("Jane <j@x.io>", None)
    assert package.readme is not None
    assert package.readme.stable_tag == "1.0.0"
    assert "First." in package.readme.sections["changelog"]


def test_manifest_json_is_the_fallback_and_package_json_wins(tmp_path: Path) -> None:
    fallback = build(tmp_path, {"manifest.json": '{"name": "m", "version": "1.0.0"}'}, "2.0.0")
    assert fallback.main_file == "manifest.json"
    assert fallback.stamped == ("manifest:manifest.json",)

    both = {"manifest.json": '{"name": "m", "version": "1.0.0"}', "package.json": '{"name": "p"}'}
    package = build(subdir(tmp_path, "both"), both, "2.0.0")
    assert package.main_file == "package.json"
    assert package.header.name == "p"
    assert read(package, "manifest.json") == both["manifest.json"]


@pytest.mark.parametrize(
    "files",
    [
        {"index.js": "x"},
        {"src/package.json": '{"name": "w", "version": "1.0.0"}', "index.js": "x"},
        {"package.json/": b"", "index.js": "x"},
        {"Package.JSON": '{"name": "w", "version": "1.0.0"}'},
    ],
)
def test_no_manifest_at_the_top_is_refused(tmp_path: Path, files: dict[str, bytes | str]) -> None:
    assert error_code(tmp_path, files) == "no_manifest"


@pytest.mark.parametrize(
    "manifest",
    [
        b'{"name": "w", ',  # invalid JSON
        b"{'name': 'w'}",
        b'{"name": "w", "n": NaN}',
        b'["name", "w"]',  # not an object
        b'"w"',
        b"null",
        b'{"version": "1.0.0"}',  # no name
        b'{"name": 7}',
        b'{"name": "caf\xe9"}',  # not UTF-8
    ],
)
def test_an_invalid_manifest_is_refused(tmp_path: Path, manifest: bytes) -> None:
    assert error_code(tmp_path, {"package.json": manifest}) == "invalid_manifest"
    assert error_code(tmp_path, {"package.json": manifest}, None) == "invalid_manifest"


def test_an_oversized_manifest_is_refused(tmp_path: Path) -> None:
    manifest = json.dumps({"name": "w", "pad": "x" * MANIFEST_BYTES})
    assert error_code(tmp_path, {"package.json": manifest}) == "invalid_manifest"


# --- the shared pipeline ---------------------------------------------------------------------------


def test_a_wrapper_folder_is_replaced_by_the_slug(tmp_path: Path) -> None:
    wrapped = {f"shop-widget-main/{name}": data for name, data in FILES.items()}
    wrapped["__MACOSX/._package.json"] = "junk"
    package = build(tmp_path, wrapped, "2.0.0")

    assert {name.split("/")[0] for name in names(package)} == {SLUG}
    assert f"{SLUG}/package.json" in names(package)
    assert package.main_file == "package.json"


def test_the_same_source_gives_byte_identical_packages(tmp_path: Path) -> None:
    one = build(subdir(tmp_path, "one"), FILES, "2.0.0")
    # Another machine's zip tool: other timestamps, other entry order.
    source = make_zip(tmp_path / "other.zip", dict(reversed(FILES.items())), date=(2031, 12, 31, 23, 59, 58))
    two = build_generic_package(source, SLUG, "2.0.0", subdir(tmp_path, "two"))

    data = one.path.read_bytes()
    assert data == two.path.read_bytes()
    assert one.sha256 == two.sha256 == hashlib.sha256(data).hexdigest()
    assert one.sha384 == two.sha384 == hashlib.sha384(data).hexdigest()
    assert one.size == len(data)
    with zipfile.ZipFile(one.path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_tar_source_gives_the_same_bytes_as_a_zip(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    wrapped = {f"widget-1.0.0/{name}": data for name, data in FILES.items()}
    tar = build_generic_package(make_tar(tmp_path / "s.tgz", wrapped), SLUG, "2.0.0", workdir)
    tar_bytes = tar.path.read_bytes()
    tar.path.unlink()
    zipped = build_generic_package(make_zip(tmp_path / "s.zip", FILES), SLUG, "2.0.0", workdir)

    assert tar_bytes == zipped.path.read_bytes()
    assert tar.stamped == zipped.stamped == ("manifest:package.json",)
    assert sorted(p.name for p in workdir.iterdir()) == [f"{SLUG}-v2.0.0.zip"]


def test_exclusions_and_distignore_apply(tmp_path: Path) -> None:
    files = {
        **FILES,
        "node_modules/left-pad/index.js": "x",
        "tests/widget.test.js": "x",
        ".distignore": "/src/\n*.map\n",
        "src/widget.ts": "x",
        "dist/widget.js.map": "x",
    }
    package = build(tmp_path, files, "2.0.0")

    assert sorted(names(package)) == [
        f"{SLUG}/",
        f"{SLUG}/README.md",
        f"{SLUG}/dist/",
        f"{SLUG}/dist/widget.js",
        f"{SLUG}/package.json",
    ]


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"../evil.js": "x"}, "unsafe_path"),
        ({"/etc/passwd": "x"}, "unsafe_path"),
        ({"dist/Widget.js": "x"}, "duplicate_entry"),
        ({"payload.zip": b"\0" * (2 * 1024 * 1024)}, "nested_archive"),
    ],
)
def test_hostile_archives_are_refused_as_for_wordpress(
    tmp_path: Path, extra: dict[str, bytes | str], code: str
) -> None:
    assert error_code(tmp_path, {**FILES, **extra}) == code


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    source = make_zip(tmp_path / "s.zip", FILES)
    with zipfile.ZipFile(source, "a") as archive:
        info = zipfile.ZipInfo("dist/link.js")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(PackagingError) as caught:
        build_generic_package(source, SLUG, "2.0.0", workdir)
    assert caught.value.code == "symlink"
    assert list(workdir.iterdir()) == []


def test_slug_and_version_are_checked(tmp_path: Path) -> None:
    with pytest.raises(PackagingError) as caught:
        build_generic_package(make_zip(tmp_path / "s.zip", FILES), "Bad Slug", "2.0.0", tmp_path)
    assert caught.value.code == "invalid_slug"
    assert error_code(tmp_path, FILES, "2.0.0'") == "invalid_version"
