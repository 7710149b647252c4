"""One slug grammar and one version grammar: the API, the packager and the CLI agree on each."""

from __future__ import annotations

import zipfile
from contextlib import nullcontext
from pathlib import Path

import pytest

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.grammar import is_slug, version_fault
from chalicelib.logic.model import check_slug, check_version
from chalicelib.logic.packaging import PackagingError, build_wordpress_package
from igny8_cli.errors import CliError
from igny8_cli.sources import source_key

SLUGS = {
    "igny8-wp-bridge": True,
    "my_plugin": True,  # the README's rule: '_' is allowed
    "a": True,
    "plugin-": True,
    "a" * 64: True,
    "a" * 65: False,
    "": False,
    "My_Plugin": False,
    "-leading-dash": False,
    "_leading": False,
    "two words": False,
    "../up": False,
}

VERSIONS = {
    "1.0": True,
    "1.2.3-beta1": True,
    "2.0.0+build_7": True,
    "1" * 18: True,
    "1" * 19: False,  # PHP's strtol() would saturate it
    "1." + "0" * 63: False,  # over 64 characters
    "v1.0": False,
    "1..0": False,
    "1.0'": False,
    "1.0/..": False,
    "": False,
}


def plugin_zip(tmp_path: Path, version: str = "1.0") -> Path:
    source = tmp_path / "source.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("demo.php", f"<?php\n/**\n * Plugin Name: Demo\n * Version: {version}\n */\n")
    return source


def packager_code(tmp_path: Path, slug: str, version: str | None, header_version: str = "1.0") -> str | None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    try:
        build_wordpress_package(plugin_zip(tmp_path, header_version), slug, version, workdir)
    except PackagingError as exc:
        return exc.code
    return None


def cli_code(slug: str, version: str | None) -> str | None:
    try:
        source_key("wordpress", slug, version, "upload")
    except CliError as exc:
        return exc.code
    return None


@pytest.mark.parametrize(("slug", "valid"), SLUGS.items(), ids=[s[:20] or "empty" for s in SLUGS])
def test_api_packager_and_cli_agree_on_every_slug(tmp_path: Path, slug: str, valid: bool) -> None:
    assert is_slug(slug) is valid
    with pytest.raises(InvalidInput) if not valid else nullcontext():
        check_slug(slug)
    expected = None if valid else "invalid_slug"
    assert packager_code(tmp_path, slug, "1.0") == expected
    assert cli_code(slug, "1.0") == expected


@pytest.mark.parametrize(("version", "valid"), VERSIONS.items(), ids=[v[:20] or "empty" for v in VERSIONS])
def test_api_packager_and_cli_agree_on_every_version(tmp_path: Path, version: str, valid: bool) -> None:
    assert (version_fault(version) is None) is valid
    with pytest.raises(InvalidInput) if not valid else nullcontext():
        check_version(version)
    expected = None if valid else "invalid_version"
    assert packager_code(tmp_path, "demo", version) == expected
    assert cli_code("demo", version) == expected


def test_a_header_version_outside_the_grammar_is_refused_by_the_packager(tmp_path: Path) -> None:
    assert packager_code(tmp_path, "demo", None, header_version="v2.0") == "invalid_version"


def test_surrounding_whitespace_is_stripped_by_the_api_but_never_reaches_a_name(tmp_path: Path) -> None:
    assert check_version(" 1.0 ") == "1.0"
    assert version_fault(" 1.0") is not None
    assert packager_code(tmp_path, "demo", " 1.0") == "invalid_version"
    assert cli_code("demo", " 1.0") == "invalid_version"
