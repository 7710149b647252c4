"""The packager, judged by what a WordPress site and an admin would notice in the built ZIP."""

from __future__ import annotations

import hashlib
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from chalicelib.logic.packaging import (
    DEFAULT_LIMITS,
    BuiltPackage,
    Limits,
    PackagingError,
    build_wordpress_package,
    parse_readme,
    read_header,
)

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


def make_zip(path: Path, files: dict[str, bytes | str], *, date: Stamp = (2024, 5, 6, 7, 8, 10)) -> Path:
    """A source archive as an admin's zip tool would make it (own timestamps, own order)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=date)
            info.external_attr = (0o40775 if name.endswith("/") else 0o100664) << 16
            archive.writestr(info, content)
    return path


def bridge_files(prefix: str = "") -> dict[str, bytes | str]:
    files: dict[str, bytes | str] = {}
    for file in sorted(BRIDGE.rglob("*")):
        if file.is_file():
            files[prefix + file.relative_to(BRIDGE).as_posix()] = file.read_bytes()
    return files


def build(
    tmp_path: Path, files: dict[str, bytes | str], version: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> BuiltPackage:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    source = make_zip(tmp_path / "source.zip", files)
    return build_wordpress_package(source, SLUG, version, workdir, limits)


def entries(package: BuiltPackage) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(package.path) as archive:
        return archive.infolist()


def content(package: BuiltPackage, name: str) -> bytes:
    with zipfile.ZipFile(package.path) as archive:
        return archive.read(f"{SLUG}/{name}")


def error_code(tmp_path: Path, files: dict[str, bytes | str], version: str | None = "2.0.0") -> str:
    with pytest.raises(PackagingError) as caught:
        build(tmp_path, files, version)
    return caught.value.code


# --- the bundled plugin ----------------------------------------------------------------------------


def test_bundled_plugin_packages_as_is_from_a_root_level_source(tmp_path: Path) -> None:
    package = build(tmp_path, bridge_files())

    names = [info.filename for info in entries(package)]
    assert {name.split("/")[0] for name in names} == {SLUG}
    assert names == sorted(names)
    assert names == [
        f"{SLUG}/",
        f"{SLUG}/igny8-wp-bridge.php",
        f"{SLUG}/includes/",
        f"{SLUG}/includes/class-igny8-bridge.php",
        f"{SLUG}/readme.txt",
        f"{SLUG}/uninstall.php",
    ]
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


def test_sha256_and_size_describe_the_written_file(tmp_path: Path) -> None:
    package = build(tmp_path, bridge_files(), version="1.0.1")

    data = package.path.read_bytes()
    assert package.size == len(data) == package.path.stat().st_size
    assert package.sha256 == hashlib.sha256(data).hexdigest()


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
