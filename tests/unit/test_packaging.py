"""The packager, judged by what a WordPress site and an admin would notice in the built ZIP."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import pytest

from chalicelib.logic import packaging
from chalicelib.logic.packaging import (
    DEFAULT_EXCLUSIONS,
    DEFAULT_LIMITS,
    REASON_CODES,
    BuiltPackage,
    Limits,
    PackagingError,
    build_wordpress_package,
    read_header,
)
from chalicelib.logic.readme import parse_readme

BRIDGE = Path(__file__).resolve().parents[2] / "plugins" / "wordpress" / "source" / "igny8-wp-bridge"
SLUG = "igny8-wp-bridge"

PLUGIN_PHP = """<?php
/**
 * Plugin Name: Demo
 * Version:     1.0
 */
define( 'DEMO_VERSION', '1.0' );
"""


# --- helpers ---------------------------------------------------------------------------------------


Stamp = tuple[int, int, int, int, int, int]


def make_zip(
    path: Path, files: dict[str, bytes | str], *, date: Stamp = (2024, 5, 6, 7, 8, 10), deflate: bool = False
) -> Path:
    """A source archive as an admin's zip tool would make it (own timestamps, own order)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=date)
            info.external_attr = (0o40775 if name.endswith("/") else 0o100664) << 16
            if deflate and not name.endswith("/"):
                info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return path


def make_tar(
    path: Path,
    files: dict[str, bytes | str],
    *,
    extra: tuple[tarfile.TarInfo, ...] = (),
    dirs: bool = True,
) -> Path:
    """The same files as a .tar.gz, with folder members as ``tar czf`` writes them."""
    with tarfile.open(path, "w:gz") as archive:
        if dirs:
            folders = {"/".join(n.split("/")[:d]) for n in files for d in range(1, n.count("/") + 1)}
            for folder in sorted(folders):
                info = tarfile.TarInfo(folder)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o775, 1_700_000_000
                archive.addfile(info)
        for name, data in files.items():
            raw = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(raw), 0o664, 1_700_000_000
            archive.addfile(info, io.BytesIO(raw))
        for info in extra:
            archive.addfile(info)
    return path


def source_code(tmp_path: Path, source: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    with pytest.raises(PackagingError) as caught:
        build_wordpress_package(source, SLUG, None, workdir, limits)
    assert list(workdir.iterdir()) == []
    return caught.value.code


def patched(path: Path, old: bytes, new: bytes) -> Path:
    data = path.read_bytes()
    assert data.count(old) == 2  # the local header and the central directory
    path.write_bytes(data.replace(old, new))
    return path


def bridge_files(prefix: str = "") -> dict[str, bytes | str]:
    files: dict[str, bytes | str] = {}
    for file in sorted(BRIDGE.rglob("*")):
        if file.is_file():
            files[prefix + file.relative_to(BRIDGE).as_posix()] = file.read_bytes()
    return files


def shipped_names() -> list[str]:
    """What a site receives of the bundled bridge: its source less .distignore's development files."""
    names = {""}
    for file in BRIDGE.rglob("*"):
        parts = file.relative_to(BRIDGE).parts
        if not file.is_file() or parts[0] in ("tests", ".distignore"):
            continue
        names.update("/".join(parts[:depth]) + "/" for depth in range(1, len(parts)))
        names.add("/".join(parts))
    return sorted(names)


def build(
    tmp_path: Path,
    files: dict[str, bytes | str],
    version: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    deflate: bool = False,
) -> BuiltPackage:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    source = make_zip(tmp_path / "source.zip", files, deflate=deflate)
    return build_wordpress_package(source, SLUG, version, workdir, limits)


def entries(package: BuiltPackage) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(package.path) as archive:
        return archive.infolist()


def content(package: BuiltPackage, name: str) -> bytes:
    with zipfile.ZipFile(package.path) as archive:
        return archive.read(f"{SLUG}/{name}")


def error_code(
    tmp_path: Path, files: dict[str, bytes | str], version: str | None = "2.0.0", *, deflate: bool = False
) -> str:
    with pytest.raises(PackagingError) as caught:
        build(tmp_path, files, version, deflate=deflate)
    return caught.value.code


# --- the bundled plugin ----------------------------------------------------------------------------


def test_bundled_plugin_packages_as_is_from_a_root_level_source(tmp_path: Path) -> None:
    package = build(tmp_path, bridge_files())

    names = [info.filename for info in entries(package)]
    assert {name.split("/")[0] for name in names} == {SLUG}
    assert names == sorted(names)
    assert names == [f"{SLUG}/{name}" for name in shipped_names()]
    assert f"{SLUG}/includes/class-igny8-bridge.php" in names
    assert package.path == tmp_path / "work" / "igny8-wp-bridge-v1.0.0.zip"
    assert package.version == "1.0.0"
    assert package.stamped == ()
    assert package.main_file == "igny8-wp-bridge.php"
    assert package.header.name == "IGNY8 WordPress Bridge"
    assert package.header.update_uri == "https://api.igny8.com/api/plugins/igny8-wp-bridge/"
    assert (package.header.requires, package.header.requires_php) == ("5.8", "7.4")
    assert package.readme is not None
    assert (package.readme.stable_tag, package.readme.tested) == ("1.0.0", "6.6")
    assert {"description", "installation", "faq", "changelog", "upgrade_notice"} <= set(
        package.readme.sections
    )
    assert content(package, "igny8-wp-bridge.php") == (BRIDGE / "igny8-wp-bridge.php").read_bytes()


def test_wrapped_source_gets_the_slug_folder_and_the_version_stamped_everywhere(tmp_path: Path) -> None:
    package = build(tmp_path, bridge_files("igny8-wp-bridge-main/"), version="1.2.3")

    assert {info.filename.split("/")[0] for info in entries(package)} == {SLUG}
    assert package.path.name == "igny8-wp-bridge-v1.2.3.zip"
    assert package.stamped == (
        "header:igny8-wp-bridge.php",
        "constant:IGNY8_BRIDGE_VERSION",
        "readme:Stable tag",
    )
    main = content(package, "igny8-wp-bridge.php").decode()
    assert " * Version:           1.2.3\n" in main
    assert "define( 'IGNY8_BRIDGE_VERSION', '1.2.3' );" in main
    assert "1.0.0" not in main
    assert "Stable tag: 1.2.3\n" in content(package, "readme.txt").decode()
    assert package.header.version == "1.2.3"
    assert package.readme is not None
    assert package.readme.stable_tag == "1.2.3"
    # The changelog keeps its history: only the header field is stamped.
    assert "= 1.0.0 =" in package.readme.sections["changelog"]


# --- cleaning and stamping -------------------------------------------------------------------------


def test_junk_is_dropped_at_any_depth_and_beside_the_wrapper(tmp_path: Path) -> None:
    kept = ["demo.php", "includes/a.php", "assets/logo.png", "languages/"]
    junk = [
        "tests/bootstrap.php",
        "includes/test/x.php",
        ".git/config",
        "node_modules/x/index.js",
        "includes/__pycache__/x.pyc",
        ".github/workflows/ci.yml",
        ".idea/x.xml",
        ".vscode/settings.json",
        ".svn/entries",
        ".hg/store",
        "includes/a.php.bak",
        "a.orig",
        ".a.swp",
        "a.php~",
        "assets/.DS_Store",
        "Thumbs.db",
        "phpunit.xml.dist",
        ".gitignore",
        ".gitattributes",
        ".editorconfig",
        ".distignore",
    ]
    files: dict[str, bytes | str] = {f"demo-main/{name}": "x" for name in kept + junk}
    files["demo-main/demo.php"] = PLUGIN_PHP
    files["__MACOSX/demo-main/._demo.php"] = "resource fork"
    files[".DS_Store"] = "finder"

    package = build(tmp_path, files)

    assert [info.filename for info in entries(package)] == [
        f"{SLUG}/",
        f"{SLUG}/assets/",
        f"{SLUG}/assets/logo.png",
        f"{SLUG}/demo.php",
        f"{SLUG}/includes/",
        f"{SLUG}/includes/a.php",
        f"{SLUG}/languages/",
    ]


def test_every_constant_with_the_old_version_is_stamped_and_nothing_else(tmp_path: Path) -> None:
    main = (
        "<?php\n/*\nPlugin Name: Demo\nVersion: 1.0\n*/\n"
        'define("DEMO_VERSION","1.0");\n'
        "define ( 'DEMO_ASSETS' , \"1.0\" );\n"
        "define( 'DEMO_DB_SCHEMA', '7' );\n"
        "$registry->define( 'NOT_A_CONSTANT', '1.0' );\n"
        "$const = '1.0';\n"
    )
    klass = "<?php\nclass Demo {\n\tconst VERSION = '1.0';\n\tpublic const OTHER = '1.0.1';\n}\n"
    binary = bytes(range(256)) + b"1.0 define('X', '1.0');"
    latin1_readme = "=== Demo ===\nStable tag:   1.0  \r\nContributors: J\xf6rg\r\n\r\nCaf\xe9.\r\n".encode(
        "latin-1"
    )
    files: dict[str, bytes | str] = {
        "demo.php": main,
        "includes/class-demo.php": klass,
        "assets/blob.bin": binary,
        "readme.txt": latin1_readme,
    }

    package = build(tmp_path, files, version="1.1")

    assert package.stamped == (
        "header:demo.php",
        "constant:DEMO_VERSION",
        "constant:DEMO_ASSETS",
        "constant:VERSION",
        "readme:Stable tag",
    )
    assert content(package, "demo.php").decode() == main.replace("Version: 1.0", "Version: 1.1").replace(
        'define("DEMO_VERSION","1.0")', 'define("DEMO_VERSION","1.1")'
    ).replace("'DEMO_ASSETS' , \"1.0\"", "'DEMO_ASSETS' , \"1.1\"")
    assert content(package, "includes/class-demo.php").decode() == klass.replace(
        "VERSION = '1.0'", "VERSION = '1.1'"
    )
    assert content(package, "assets/blob.bin") == binary
    assert content(package, "readme.txt") == latin1_readme.replace(b"   1.0  \r\n", b"   1.1  \r\n")


def test_a_header_without_version_gets_one_when_a_version_is_given(tmp_path: Path) -> None:
    main = "<?php\r\n/**\r\n * Plugin Name: Demo\r\n * Author: Me\r\n */\r\n"

    package = build(tmp_path, {"demo.php": main}, version="3.0.0")

    assert content(package, "demo.php").decode() == main.replace(
        " * Plugin Name: Demo\r\n", " * Plugin Name: Demo\r\n * Version: 3.0.0\r\n"
    )
    assert package.header.version == "3.0.0"
    assert package.stamped == ("header:demo.php",)
    assert package.readme is None


def test_a_version_that_cannot_be_written_into_the_header_is_refused(tmp_path: Path) -> None:
    assert error_code(tmp_path, {"demo.php": "<?php /* Plugin Name: Demo */"}) == "version_not_stamped"
    assert list((tmp_path / "work").iterdir()) == []


def test_without_a_version_the_header_decides_and_files_stay_untouched(tmp_path: Path) -> None:
    package = build(tmp_path, {"demo.php": PLUGIN_PHP, "readme.txt": "=== Demo ===\nStable tag: 0.9\n"})

    assert package.version == "1.0"
    assert package.path.name == "igny8-wp-bridge-v1.0.zip"
    assert package.stamped == ()
    assert content(package, "demo.php") == PLUGIN_PHP.encode()
    assert package.readme is not None
    assert package.readme.stable_tag == "0.9"


# --- the bytes sites receive -----------------------------------------------------------------------


def test_the_same_source_gives_byte_identical_packages(tmp_path: Path) -> None:
    files = bridge_files("x/")
    first = make_zip(tmp_path / "a.zip", files)
    # Same files, other order and other timestamps: a re-zip of the same checkout.
    second = make_zip(tmp_path / "b.zip", dict(reversed(files.items())), date=(2031, 1, 2, 3, 4, 6))
    (tmp_path / "w1").mkdir()
    (tmp_path / "w2").mkdir()

    one = build_wordpress_package(first, SLUG, "2.0.0", tmp_path / "w1")
    two = build_wordpress_package(second, SLUG, "2.0.0", tmp_path / "w2")
    again = build_wordpress_package(first, SLUG, "2.0.0", tmp_path / "w2")

    assert one.path.read_bytes() == two.path.read_bytes() == again.path.read_bytes()
    assert one.sha256 == two.sha256 == again.sha256


def test_sha256_sha384_and_size_describe_the_written_file(tmp_path: Path) -> None:
    package = build(tmp_path, bridge_files(), version="1.0.1")

    data = package.path.read_bytes()
    assert package.size == len(data) == package.path.stat().st_size
    assert package.sha256 == hashlib.sha256(data).hexdigest()
    assert package.sha384 == hashlib.sha384(data).hexdigest()


def test_the_package_is_read_back_once_for_all_digests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    original = Path.open

    def counting_open(self: Path, *args: object, **kwargs: object) -> object:
        opened.append(self)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", counting_open)
    package = build(tmp_path, {"demo.php": PLUGIN_PHP}, version="1.0.1")

    assert opened.count(package.path) == 1


def test_entries_carry_fixed_timestamps_modes_and_no_extras(tmp_path: Path) -> None:
    package = build(tmp_path, bridge_files())

    with zipfile.ZipFile(package.path) as archive:
        assert archive.comment == b""
        infos = archive.infolist()
    for info in infos:
        mode = info.external_attr >> 16
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.create_system == 3
        assert (info.extra, info.comment) == (b"", b"")
        if info.is_dir():
            assert (stat.S_ISDIR(mode), stat.S_IMODE(mode)) == (True, 0o755)
        else:
            assert (stat.S_ISREG(mode), stat.S_IMODE(mode)) == (True, 0o644)
            assert info.compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.skipif(not Path("/usr/bin/unzip").exists(), reason="needs /usr/bin/unzip")
def test_unzip_accepts_the_package(tmp_path: Path) -> None:
    package = build(tmp_path, bridge_files(), version="1.0.1")

    result = subprocess.run(
        ["/usr/bin/unzip", "-t", str(package.path)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_nothing_is_written_outside_the_workdir(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", bridge_files("wrapped/"))
    workdir = tmp_path / "work"
    workdir.mkdir()
    before = sorted(tmp_path.rglob("*"))

    package = build_wordpress_package(source, SLUG, "1.0.1", workdir)

    assert sorted(tmp_path.rglob("*")) == sorted([*before, package.path])
    assert package.path.parent == workdir


# --- refusals --------------------------------------------------------------------------------------


def test_not_a_zip(tmp_path: Path) -> None:
    source = tmp_path / "source.zip"
    source.write_bytes(b"PK but not really a zip archive")
    (tmp_path / "work").mkdir()

    with pytest.raises(PackagingError) as caught:
        build_wordpress_package(source, SLUG, None, tmp_path / "work")

    assert caught.value.code == "not_a_zip"


@pytest.mark.parametrize(
    "name",
    ["../evil.php", "demo/../../evil.php", "/etc/evil.php", "includes\\evil.php", "C:/evil.php", "a//b.php"],
)
def test_unsafe_entry_names_are_refused(tmp_path: Path, name: str) -> None:
    assert error_code(tmp_path, {"demo.php": PLUGIN_PHP, name: "<?php"}) == "unsafe_path"


def test_a_nul_byte_in_a_name_is_refused(tmp_path: Path) -> None:
    # zipfile cuts names at NUL when writing, so the byte is put in afterwards.
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP, "evilX.php": "<?php"})
    source.write_bytes(source.read_bytes().replace(b"evilX.php", b"evil\x00.php"))
    (tmp_path / "work").mkdir()

    with pytest.raises(PackagingError) as caught:
        build_wordpress_package(source, SLUG, None, tmp_path / "work")

    assert caught.value.code == "unsafe_path"


def test_a_symlink_entry_is_refused(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP})
    with zipfile.ZipFile(source, "a") as archive:
        link = zipfile.ZipInfo("includes/config.php")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    (tmp_path / "work").mkdir()

    with pytest.raises(PackagingError) as caught:
        build_wordpress_package(source, SLUG, None, tmp_path / "work")

    assert caught.value.code == "symlink"


def test_an_encrypted_entry_is_refused(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP})
    data = bytearray(source.read_bytes())
    # zipfile cannot write encrypted entries: set the flag in the local and the central header.
    central = data.index(b"PK\x01\x02")
    data[6] |= 0x1
    data[central + 8] |= 0x1
    source.write_bytes(bytes(data))
    (tmp_path / "work").mkdir()

    with pytest.raises(PackagingError) as caught:
        build_wordpress_package(source, SLUG, None, tmp_path / "work")

    assert caught.value.code == "encrypted"


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"demo.php": "<?php echo 1;", "readme.txt": "x"}, "no_plugin_header"),
        ({"includes/demo.php": PLUGIN_PHP, "index.php": "<?php"}, "no_plugin_header"),
        ({"demo.php": PLUGIN_PHP, "other.php": "<?php\n// Plugin Name: Other\n"}, "multiple_plugin_headers"),
        ({"tests/a.php": "x", ".gitignore": "x"}, "empty_archive"),
        ({}, "empty_archive"),
        ({"demo.php": PLUGIN_PHP, "includes/": "", "includes": "x"}, "duplicate_entry"),
    ],
)
def test_archives_that_are_not_one_plugin_are_refused(
    tmp_path: Path, files: dict[str, bytes | str], code: str
) -> None:
    assert error_code(tmp_path, files) == code


def test_no_version_anywhere_is_refused(tmp_path: Path) -> None:
    assert (
        error_code(tmp_path, {"demo.php": "<?php\n/* Plugin Name: Demo\n */"}, version=None) == "no_version"
    )


def test_limits_are_enforced(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {"demo.php": PLUGIN_PHP, "big.txt": "x" * 5000}
    with pytest.raises(PackagingError) as caught:
        build(tmp_path, files, limits=Limits(max_total_bytes=4096))
    assert caught.value.code == "too_large"
    with pytest.raises(PackagingError) as caught:
        build(tmp_path, files, limits=Limits(max_entries=1))
    assert caught.value.code == "too_many_entries"


@pytest.mark.parametrize(
    ("slug", "version"), [("Bad Slug", None), ("../up", None), (SLUG, "1.0'; evil"), (SLUG, "")]
)
def test_unusable_slugs_and_versions_are_refused(tmp_path: Path, slug: str, version: str | None) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP})

    with pytest.raises(PackagingError) as caught:
        build_wordpress_package(source, slug, version, tmp_path)

    assert caught.value.code in {"invalid_slug", "invalid_version"}


def test_a_failed_build_leaves_the_workdir_empty(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {"demo.php": PLUGIN_PHP, "includes/big.txt": "x" * 5000}
    with pytest.raises(PackagingError):
        build(tmp_path, files, version="1.1", limits=Limits(max_total_bytes=4096))
    assert list((tmp_path / "work").iterdir()) == []


# --- header and readme parsing ---------------------------------------------------------------------


def test_read_header_follows_wordpress_get_file_data() -> None:
    header = read_header(
        "<?php\n"
        "# plugin name:   Hash Style   \n"
        "// Version: 2.1 */\n"
        "/* Description: One line */\n"
        " * Author URI: https://example.com ?> trailing\n"
        "@Text Domain: demo\n"
        "Update URI: false\n"
    )
    assert header is not None
    assert header.name == "Hash Style"
    assert header.version == "2.1"
    assert header.description == "One line"
    assert header.author_uri == "https://example.com"
    assert header.author is None
    assert header.text_domain == "demo"
    assert header.update_uri == "false"


def test_read_header_reads_only_the_first_8_kib_and_needs_a_plugin_name() -> None:
    assert read_header("<?php\n" + "/" * 8192 + "\n/* Plugin Name: Too late */") is None
    assert read_header("<?php\n// Theme Name: Not a plugin\n") is None
    assert read_header("<?php\n// Plugin Name: 0\n") is None
    late_version = read_header("<?php\n// Plugin Name: Demo\n" + " " * 8192 + "\n// Version: 1.0\n")
    assert late_version is not None
    assert late_version.version is None


def test_parse_readme() -> None:
    readme = parse_readme(
        "\n=== Demo ===\r\n"
        "Contributors: me\r\n"
        "Requires at least: 6.0\r\n"
        "Tested up to: 6.6\r\n"
        "Requires PHP: 8.0\r\n"
        "Stable tag: trunk\r\n"
        "\r\n"
        "Short description.\r\n"
        "\r\n"
        "== Description ==\r\n"
        "\r\n"
        "Long text.\r\n"
        "\r\n"
        "== Frequently Asked Questions ==\r\n"
        "= Q? =\r\nA.\r\n"
        "## Upgrade Notice\r\n"
        "= 1.0 =\r\nUpgrade.\r\n"
    )
    assert (readme.requires, readme.tested, readme.requires_php, readme.stable_tag) == (
        "6.0",
        "6.6",
        "8.0",
        "trunk",
    )
    assert readme.sections == {
        "description": "Long text.",
        "faq": "= Q? =\nA.",
        "upgrade_notice": "= 1.0 =\nUpgrade.",
    }


def test_parse_readme_without_fields() -> None:
    readme = parse_readme("Just some text.\n")
    assert readme == type(readme)(None, None, None, None, {})


def test_bundled_plugin_is_valid_php() -> None:
    php = shutil.which("php")
    if php is None:
        pytest.skip("php is not installed")
    for file in sorted(BRIDGE.rglob("*.php")):
        result = subprocess.run([php, "-l", str(file)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


# --- hardening: names ------------------------------------------------------------------------------


def test_every_refusal_code_is_documented() -> None:
    source = "".join(module.read_text() for module in Path(packaging.__file__).parent.glob("*.py"))
    raised = set(re.findall(r'PackagingError\(\s*"([a-z_]+)"', source))
    assert raised == set(REASON_CODES)


@pytest.mark.parametrize(
    "name", ["a\x01b.php", "a\x7f.php", "\x1b[31m.php", "inc/tab\t.php", "new\nline.php"]
)
def test_control_characters_in_names_are_refused(tmp_path: Path, name: str) -> None:
    assert error_code(tmp_path, {"demo.php": PLUGIN_PHP, name: "<?php"}) == "unsafe_path"


def test_a_name_flagged_utf8_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    # zipfile sets the UTF-8 flag for non-ASCII names; the bytes are broken afterwards.
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP, "evil\u00e9.php": "<?php"})
    patched(source, "evil\u00e9".encode(), b"evil\xff\xfe")

    assert source_code(tmp_path, source) == "invalid_name"


def test_a_replacement_character_in_a_name_is_refused(tmp_path: Path) -> None:
    assert error_code(tmp_path, {"demo.php": PLUGIN_PHP, "bad\ufffd.php": "<?php"}) == "invalid_name"


def test_a_name_without_the_utf8_flag_is_read_as_cp437(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP, "cafX.php": "<?php"})
    patched(source, b"cafX.php", b"caf\x82.php")  # 0x82 is 'é' in cp437
    (tmp_path / "work").mkdir()

    package = build_wordpress_package(source, SLUG, None, tmp_path / "work")

    assert f"{SLUG}/caf\u00e9.php" in [info.filename for info in entries(package)]


def test_a_surrogate_from_a_tar_name_is_refused(tmp_path: Path) -> None:
    source = make_tar(tmp_path / "source.tgz", {"demo.php": PLUGIN_PHP, "evil\udcff.php": "<?php"})
    assert source_code(tmp_path, source) == "invalid_name"


@pytest.mark.parametrize(
    "name",
    ["a" * 252 + ".php", "\u00e9" * 128, "/".join(["d" * 100] * 11) + "/x.php"],
)
def test_names_no_filesystem_can_hold_are_refused(tmp_path: Path, name: str) -> None:
    assert error_code(tmp_path, {"demo.php": PLUGIN_PHP, name: "x"}) == "name_too_long"


def test_a_segment_of_exactly_255_bytes_is_fine(tmp_path: Path) -> None:
    package = build(tmp_path, {"demo.php": PLUGIN_PHP, "a" * 251 + ".txt": "x"})
    assert f"{SLUG}/{'a' * 251}.txt" in [info.filename for info in entries(package)]


@pytest.mark.parametrize(
    "names",
    [
        ("Readme.txt", "README.txt"),
        (unicodedata.normalize("NFC", "caf\u00e9.php"), unicodedata.normalize("NFD", "caf\u00e9.php")),
        ("Includes/a.php", "includes/b.php"),
        ("assets/Logo.PNG", "assets/logo.png"),
        ("stra\u00dfe.txt", "STRASSE.txt"),
        ("lib/", "LIB"),
    ],
)
def test_names_that_collide_on_a_case_insensitive_filesystem_are_refused(
    tmp_path: Path, names: tuple[str, str]
) -> None:
    files: dict[str, bytes | str] = {"demo.php": PLUGIN_PHP, names[0]: "", names[1]: "x"}
    assert error_code(tmp_path, files) == "duplicate_entry"


# --- hardening: entries ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK])
def test_special_file_entries_are_refused(tmp_path: Path, kind: int) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP})
    with zipfile.ZipFile(source, "a") as archive:
        node = zipfile.ZipInfo("includes/node")
        node.external_attr = (kind | 0o644) << 16
        archive.writestr(node, "")

    assert source_code(tmp_path, source) == "special_file"


def test_msdos_attributes_without_unix_mode_are_fine(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP})
    with zipfile.ZipFile(source, "a") as archive:
        info = zipfile.ZipInfo("notes.txt")
        info.create_system, info.external_attr = 0, 0x20  # MS-DOS "archive" bit only
        archive.writestr(info, "x")
    (tmp_path / "work").mkdir()

    package = build_wordpress_package(source, SLUG, None, tmp_path / "work")

    assert content(package, "notes.txt") == b"x"


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_other_than_stored_or_deflate_is_refused(tmp_path: Path, method: int) -> None:
    source = tmp_path / "source.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("demo.php", PLUGIN_PHP)
        archive.writestr("data.txt", "x" * 100, compress_type=method)

    assert source_code(tmp_path, source) == "unsupported_compression"


def test_an_unknown_compression_method_is_refused_not_reported_as_corrupt(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP})
    data = bytearray(source.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[8:10] = data[central + 10 : central + 12] = (99).to_bytes(2, "little")  # AES
    source.write_bytes(bytes(data))

    assert source_code(tmp_path, source) == "unsupported_compression"


def test_a_highly_compressed_entry_is_refused_while_streaming(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {"demo.php": PLUGIN_PHP, "bomb.txt": b"\0" * (3 * 1024 * 1024)}
    assert error_code(tmp_path, files, deflate=True) == "compression_ratio"
    # Stored, the same bytes are no bomb.
    assert build(tmp_path, files).size > 0


def test_a_lying_size_header_does_not_hide_the_ratio(tmp_path: Path) -> None:
    bomb = b"\0" * (3 * 1024 * 1024)
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP, "bomb.txt": bomb}, deflate=True)
    # Claim 1 KiB uncompressed in both headers: only the streaming measurement can catch it.
    real = len(bomb).to_bytes(4, "little")
    data = source.read_bytes()
    assert data.count(real) == 2
    source.write_bytes(data.replace(real, (1024).to_bytes(4, "little")))

    assert source_code(tmp_path, source) in {"compression_ratio", "corrupt_archive"}
    ratio_only = Limits(max_total_bytes=10**9)
    assert source_code(tmp_path, source, ratio_only) in {"compression_ratio", "corrupt_archive"}


def test_small_or_incompressible_entries_pass_the_ratio_check(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {
        "demo.php": PLUGIN_PHP,
        "zeros.bin": b"\0" * (512 * 1024),  # very compressible but under 1 MiB
        "noise.bin": os.urandom(2 * 1024 * 1024),
    }
    package = build(tmp_path, files, deflate=True)
    assert content(package, "noise.bin") == files["noise.bin"]
    with pytest.raises(PackagingError) as caught:
        build(tmp_path, files, limits=Limits(ratio_min_bytes=1024), deflate=True)
    assert caught.value.code == "compression_ratio"


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP, "b.txt": "b" * 100})
    data = bytearray(source.read_bytes())
    # Point the second central-directory entry at the first local header (the zip-bomb overlap).
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    data[second + 42 : second + 46] = (0).to_bytes(4, "little")
    source.write_bytes(bytes(data))

    assert source_code(tmp_path, source) == "overlapping_entries"


def test_an_entry_reaching_into_the_central_directory_is_refused(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "source.zip", {"demo.php": PLUGIN_PHP})
    data = bytearray(source.read_bytes())
    central = data.index(b"PK\x01\x02")
    size = int.from_bytes(data[central + 20 : central + 24], "little")
    data[central + 20 : central + 24] = (size + 40).to_bytes(4, "little")
    source.write_bytes(bytes(data))

    assert source_code(tmp_path, source) == "overlapping_entries"


@pytest.mark.parametrize(
    "name", ["vendor/lib.zip", "bin/tool.phar", "a.tar", "b.tar.gz", "c.tgz", "d.7z", "E.RAR"]
)
def test_large_nested_archives_are_refused(tmp_path: Path, name: str) -> None:
    files: dict[str, bytes | str] = {"demo.php": PLUGIN_PHP, name: os.urandom(1024 * 1024 + 1)}
    assert error_code(tmp_path, files) == "nested_archive"


def test_small_nested_archives_ship(tmp_path: Path) -> None:
    package = build(tmp_path, {"demo.php": PLUGIN_PHP, "assets/fonts.zip": os.urandom(1000)})
    assert len(content(package, "assets/fonts.zip")) == 1000


def test_a_nested_archive_with_a_lying_size_never_ships(tmp_path: Path) -> None:
    blob = os.urandom(2 * 1024 * 1024)
    source = tmp_path / "source.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("demo.php", PLUGIN_PHP)
        archive.writestr("lib.zip", blob)
    real = len(blob).to_bytes(4, "little")
    data = source.read_bytes()
    # Only the uncompressed size lies (stored: the compressed size is the same number, once each).
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    patched_data = bytearray(data)
    patched_data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    assert data[central + 24 : central + 28] == real
    source.write_bytes(bytes(patched_data))

    # zipfile stops at the declared size and the CRC then fails: the extra bytes never ship.
    assert source_code(tmp_path, source) in {"nested_archive", "corrupt_archive"}


# --- hardening: the source file --------------------------------------------------------------------


def test_an_oversized_source_file_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    source = tmp_path / "source.zip"
    source.write_bytes(b"\0" * 2048)  # not even a ZIP: the size check comes first

    assert source_code(tmp_path, source, Limits(max_archive_bytes=1024)) == "too_large"
    assert DEFAULT_LIMITS.max_archive_bytes == 100 * 1024 * 1024


# --- .distignore -----------------------------------------------------------------------------------


def test_the_bundled_distignore_is_applied(tmp_path: Path) -> None:
    files = bridge_files("igny8-wp-bridge-main/")
    assert "igny8-wp-bridge-main/.distignore" in files
    assert "igny8-wp-bridge-main/tests/run-tests.php" in files
    rules = DEFAULT_EXCLUSIONS.with_distignore((BRIDGE / ".distignore").read_text())
    assert rules.excludes(("tests",), is_dir=True)
    assert rules.excludes(("tests", "run-tests.php"))
    assert not rules.excludes(("includes", "class-igny8-bridge.php"))

    package = build(tmp_path, files)

    names = [info.filename.removeprefix(f"{SLUG}/") for info in entries(package)]
    assert names == shipped_names()
    assert not any(name.startswith("tests") for name in names)


def test_a_distignore_adds_anchored_unanchored_and_folder_patterns(tmp_path: Path) -> None:
    distignore = (
        "# build inputs\n\n/src\nassets/scss/\n*.map\ncache/\n  composer.*  \n/docs/*.md\n!keep.map\n"
    )
    files: dict[str, bytes | str] = {
        name: "x"
        for name in [
            "src/index.js",  # anchored
            "includes/src/keep.php",  # '/src' is anchored: kept
            "assets/scss/a.scss",  # anchored folder
            "assets/css/a.css.map",  # any depth
            "keep.map",  # negations are not supported: still dropped
            "cache/x.txt",  # folder anywhere
            "includes/cache/y.txt",  # folder anywhere
            "includes/cache",  # a *file* named cache: 'cache/' is folders only
            "composer.json",
            "docs/readme.md",  # anchored glob
            "docs/guide/deep.md",  # '/docs/*.md' does not reach deeper
            "assets/css/a.css",
        ]
    }
    files.update({"demo.php": PLUGIN_PHP, ".distignore": distignore, "includes/cache": "file"})
    files.pop("includes/cache/y.txt")  # a file and a folder of the same name would be refused
    files["lib/cache/y.txt"] = "x"

    package = build(tmp_path, {f"demo-1.0/{name}": data for name, data in files.items()})

    assert [info.filename.removeprefix(f"{SLUG}/") for info in entries(package) if not info.is_dir()] == [
        "assets/css/a.css",
        "demo.php",
        "docs/guide/deep.md",
        "includes/cache",
        "includes/src/keep.php",
    ]


def test_a_distignore_below_the_plugin_folder_is_not_read(tmp_path: Path) -> None:
    package = build(
        tmp_path, {"demo.php": PLUGIN_PHP, "includes/.distignore": "*.php\n", "includes/a.php": "x"}
    )
    assert content(package, "includes/a.php") == b"x"


# --- .tar.gz sources -------------------------------------------------------------------------------


def test_a_tar_and_a_zip_of_the_same_files_give_byte_identical_packages(tmp_path: Path) -> None:
    files = bridge_files("igny8-wp-bridge-1.0.0/")
    zipped = make_zip(tmp_path / "a.zip", files)
    tarred = make_tar(tmp_path / "b.tar.gz", dict(reversed(files.items())))
    named_zip = make_tar(tmp_path / "c.zip", files, dirs=False)  # detected by magic, not by name
    for name in ("w1", "w2", "w3"):
        (tmp_path / name).mkdir()

    one = build_wordpress_package(zipped, SLUG, "2.0.0", tmp_path / "w1")
    two = build_wordpress_package(tarred, SLUG, "2.0.0", tmp_path / "w2")
    three = build_wordpress_package(named_zip, SLUG, "2.0.0", tmp_path / "w3")

    assert one.path.read_bytes() == two.path.read_bytes() == three.path.read_bytes()
    assert one.sha256 == two.sha256 == three.sha256
    assert one.stamped == two.stamped
    assert [p.name for p in (tmp_path / "w2").iterdir()] == [two.path.name]


def test_a_tar_made_with_dot_prefixes_packages(tmp_path: Path) -> None:
    source = make_tar(tmp_path / "source.tgz", {"./demo.php": PLUGIN_PHP, "./includes/a.php": "x"})
    with tarfile.open(source) as archive:
        assert "./demo.php" in archive.getnames()
    (tmp_path / "work").mkdir()

    package = build_wordpress_package(source, SLUG, None, tmp_path / "work")

    assert content(package, "includes/a.php") == b"x"


def _member(name: str, kind: bytes, **fields: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@pytest.mark.parametrize(
    ("member", "code"),
    [
        (_member("includes/link.php", tarfile.SYMTYPE, linkname="/etc/passwd"), "symlink"),
        (_member("includes/hard.php", tarfile.LNKTYPE, linkname="demo.php"), "symlink"),
        (_member("includes/fifo", tarfile.FIFOTYPE), "special_file"),
        (_member("includes/tty", tarfile.CHRTYPE, devmajor=5, devminor=0), "special_file"),
        (_member("includes/disk", tarfile.BLKTYPE, devmajor=8, devminor=0), "special_file"),
        (_member("/etc/cron.d/evil", tarfile.REGTYPE), "unsafe_path"),
        (_member("../evil.php", tarfile.REGTYPE), "unsafe_path"),
        (_member("includes/../../evil.php", tarfile.REGTYPE), "unsafe_path"),
        (_member("C:/evil.php", tarfile.REGTYPE), "unsafe_path"),
        (_member("evil\x1b.php", tarfile.REGTYPE), "unsafe_path"),
        (_member("demo.php", tarfile.REGTYPE), "duplicate_entry"),
        (_member("x" * 300, tarfile.REGTYPE), "name_too_long"),
    ],
)
def test_tar_members_are_vetted_like_zip_entries(tmp_path: Path, member: tarfile.TarInfo, code: str) -> None:
    source = make_tar(tmp_path / "source.tgz", {"demo.php": PLUGIN_PHP}, extra=(member,))
    assert source_code(tmp_path, source) == code


def test_tar_limits_are_measured_while_streaming(tmp_path: Path) -> None:
    bomb = make_tar(tmp_path / "bomb.tgz", {"demo.php": PLUGIN_PHP, "zeros.bin": b"\0" * (4 * 1024 * 1024)})
    assert source_code(tmp_path, bomb) == "compression_ratio"

    files: dict[str, bytes | str] = {"demo.php": PLUGIN_PHP, "big.bin": os.urandom(5000)}
    source = make_tar(tmp_path / "source.tgz", files)
    assert source_code(tmp_path, source, Limits(max_total_bytes=4096)) == "too_large"
    assert source_code(tmp_path, source, Limits(max_entries=1)) == "too_many_entries"
    assert source_code(tmp_path, source, Limits(max_archive_bytes=100)) == "too_large"
    nested = make_tar(
        tmp_path / "nested.tgz", {"demo.php": PLUGIN_PHP, "lib.zip": os.urandom(1024 * 1024 + 1)}
    )
    assert source_code(tmp_path, nested) == "nested_archive"


def test_a_damaged_or_non_tar_gzip_is_corrupt(tmp_path: Path) -> None:
    good = make_tar(tmp_path / "good.tgz", {"demo.php": PLUGIN_PHP, "noise.bin": os.urandom(50_000)})
    truncated = tmp_path / "truncated.tgz"
    truncated.write_bytes(good.read_bytes()[:20_000])
    assert source_code(tmp_path, truncated) == "corrupt_archive"

    plain = tmp_path / "plain.gz"
    plain.write_bytes(gzip.compress(b"not a tar archive at all" * 100))
    assert source_code(tmp_path, plain) == "corrupt_archive"


def test_a_tar_source_writes_nothing_outside_the_workdir(tmp_path: Path) -> None:
    source = make_tar(tmp_path / "source.tgz", bridge_files("wrapped/"))
    workdir = tmp_path / "work"
    workdir.mkdir()
    before = sorted(tmp_path.rglob("*"))

    package = build_wordpress_package(source, SLUG, "1.0.1", workdir)

    assert sorted(tmp_path.rglob("*")) == sorted([*before, package.path])


def test_the_trust_file_carries_the_stage_anchor_and_nothing_else_changes(tmp_path: Path) -> None:
    anchor = b'{"roots": [{"key_id": "r1", "public_key": "AAAA"}]}\n'
    files = {
        "p.php": "<?php\n/*\n * Plugin Name: P\n * Version: 1.0.0\n */\n",
        "igny8-trust.json": '{"roots": []}',
        "includes/igny8-trust.json": '{"roots": []}',
    }
    workdir = tmp_path / "work"
    workdir.mkdir()
    source = make_zip(tmp_path / "source.zip", files)

    stamped = build_wordpress_package(source, SLUG, "1.1.0", workdir, trust_anchor=anchor)
    assert content(stamped, "igny8-trust.json") == anchor
    assert content(stamped, "includes/igny8-trust.json") == b'{"roots": []}'  # only the top-level file

    (workdir / f"{SLUG}-v1.1.0.zip").unlink()
    untouched = build_wordpress_package(source, SLUG, "1.1.0", workdir)
    assert content(untouched, "igny8-trust.json") == b'{"roots": []}'
