"""The packaging pipeline: vet the source, find the version, stamp it, write the package, hash it.

The work is on local files only: the caller moves bytes to and from S3, so the same code runs in
the Lambda, in the local stack and in unit tests. Nothing but the finished package is left in
``workdir``, and nothing is ever written outside it.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from chalicelib.logic.grammar import SLUG_RULE, is_slug, version_fault
from chalicelib.logic.packaging.archive import (
    BROKEN_ARCHIVE,
    BROKEN_TAR,
    GZIP_MAGIC,
    Budget,
    check_layout,
    plugin_entries,
    tar_to_zip,
)
from chalicelib.logic.packaging.errors import PackagingError
from chalicelib.logic.packaging.flavours import Flavour, Generic, WordPress
from chalicelib.logic.packaging.header import PluginHeader
from chalicelib.logic.packaging.limits import DEFAULT_LIMITS, Limits
from chalicelib.logic.packaging.writer import digest, write_package
from chalicelib.logic.readme import Readme, parse_readme


@dataclass(frozen=True)
class BuiltPackage:
    """The artifact plus everything the registry records about it, so nobody re-opens the ZIP."""

    path: Path
    slug: str
    version: str
    sha256: str
    # WordPress verifies package signatures over the raw SHA-384 digest; this is its hex form.
    sha384: str
    size: int
    main_file: str
    header: PluginHeader
    readme: Readme | None
    stamped: tuple[str, ...]


def _check_slug(slug: str) -> None:
    if not is_slug(slug):
        raise PackagingError("invalid_slug", f"{slug!r} is not a valid plugin slug ({SLUG_RULE})")


def _check_version(version: str) -> None:
    """The version ends up in a file name and inside PHP string literals, so it is checked here too."""
    fault = version_fault(version)
    if fault is not None:
        raise PackagingError("invalid_version", fault)


def _readme_parts(files: Iterable[tuple[str, ...]]) -> tuple[str, ...] | None:
    candidates = sorted(p for p in files if len(p) == 1 and p[0].lower() == "readme.txt")
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class _Job:
    """One build: what to call the package, where to write it, within which limits, how."""

    slug: str
    version: str | None
    workdir: Path
    limits: Limits
    flavour: Flavour
    trust_anchor: bytes | None


def _build(archive: zipfile.ZipFile, job: _Job) -> BuiltPackage:
    slug, version, workdir, limits, flavour = job.slug, job.version, job.workdir, job.limits, job.flavour
    entries = plugin_entries(archive, limits)
    found = flavour.find(archive, entries)
    final_version = version if version is not None else found.version
    if final_version is None:
        raise PackagingError("no_version", flavour.no_version(found))
    _check_version(final_version)
    readme = _readme_parts(e.parts for e in entries if not e.is_dir)
    stamper = flavour.stamper(found, version, readme) if version is not None else None

    path = workdir / f"{slug}-v{final_version}.zip"
    handle, temporary = tempfile.mkstemp(prefix=f".{slug}-", suffix=".zip.part", dir=workdir)
    partial = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as target:
            output = write_package(
                archive,
                target,
                entries=entries,
                slug=slug,
                main=found.main,
                readme=readme,
                stamper=stamper,
                trust_anchor=job.trust_anchor,
                budget=Budget(limits.max_total_bytes),
                limits=limits,
            )
        header = flavour.header(found, output.main, final_version)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)

    sha256, sha384, size = digest(path)
    return BuiltPackage(
        path=path,
        slug=slug,
        version=final_version,
        sha256=sha256,
        sha384=sha384,
        size=size,
        main_file=found.main[0],
        header=header,
        readme=parse_readme(output.readme.decode("utf-8", "replace")) if output.readme is not None else None,
        stamped=stamper.stamped if stamper is not None else (),
    )


def _build_from_tar(source: Path, job: _Job) -> BuiltPackage:
    handle, temporary = tempfile.mkstemp(prefix=f".{job.slug}-", suffix=".source.zip.part", dir=job.workdir)
    os.close(handle)
    scratch = Path(temporary)
    try:
        try:
            tar_to_zip(source, scratch, job.limits)
        except BROKEN_TAR as exc:
            raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
        # The ratio was measured on the gzip stream; the scratch ZIP's own deflate says nothing.
        scratch_limits = replace(job.limits, max_compression_ratio=2**62)
        with zipfile.ZipFile(scratch) as archive:
            return _build(archive, replace(job, limits=scratch_limits))
    finally:
        scratch.unlink(missing_ok=True)


def build_wordpress_package(
    source: Path,
    slug: str,
    version: str | None,
    workdir: Path,
    limits: Limits = DEFAULT_LIMITS,
    *,
    trust_anchor: bytes | None = None,
) -> BuiltPackage:
    """Package ``source`` (a .zip or .tar.gz) as ``{workdir}/{slug}-v{version}.zip``.

    Nothing but that file is left behind, and nothing is ever written outside ``workdir``.
    ``version`` None means "release what the header says" and leaves every file untouched.
    Raises PackagingError (``code`` in REASON_CODES) for any archive that must not reach a site.
    A top-level ``igny8-trust.json`` in the source is replaced by ``trust_anchor`` when given.
    """
    return _package(source, _Job(slug, version, workdir, limits, WordPress(), trust_anchor))


def build_generic_package(
    source: Path,
    slug: str,
    version: str | None,
    workdir: Path,
    limits: Limits = DEFAULT_LIMITS,
    *,
    trust_anchor: bytes | None = None,
) -> BuiltPackage:
    """Package a ``custom`` (site SDK) or ``shopify`` source as ``{workdir}/{slug}-v{version}.zip``.

    The same archive checks, exclusions and deterministic layout as build_wordpress_package; the
    version lives in the top-level ``package.json`` (else ``manifest.json``) and is written into
    its top-level "version" (only that value's text changes). ``version`` None releases what the
    manifest says and leaves every file untouched.
    """
    return _package(source, _Job(slug, version, workdir, limits, Generic(), trust_anchor))


def _package(source: Path, job: _Job) -> BuiltPackage:
    """The pipeline every kind of plugin goes through: vet, open (zip or .tar.gz), build."""
    _check_slug(job.slug)
    if job.version is not None:
        _check_version(job.version)
    size = source.stat().st_size
    if size > job.limits.max_archive_bytes:
        raise PackagingError(
            "too_large", f"{source.name} is {size} bytes (limit {job.limits.max_archive_bytes})"
        )
    with source.open("rb") as raw:
        magic = raw.read(len(GZIP_MAGIC))
    if magic == GZIP_MAGIC:
        return _build_from_tar(source, job)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise PackagingError("not_a_zip", f"{source.name} is not a ZIP archive (nor a .tar.gz)") from exc
    except UnicodeDecodeError as exc:
        # Names flagged as UTF-8 are decoded when the central directory is read.
        raise PackagingError("invalid_name", f"{source.name} has an entry name that is not UTF-8") from exc
    except BROKEN_ARCHIVE as exc:
        raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
    with archive:
        try:
            check_layout(source, archive)
            return _build(archive, job)
        except BROKEN_ARCHIVE as exc:
            raise PackagingError("corrupt_archive", f"{source.name} cannot be read: {exc}") from exc
