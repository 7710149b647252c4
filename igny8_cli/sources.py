"""Turning a plugin source on disk into an object under ``sources/`` that the packager picks up.

The CLI asks the admin API for the key (``upload_request``: what it asks, checked first) and puts
the archive (``source_archive``) at the presigned URL it gets, so the upload is the admin's. A
direct S3 upload (``source_key``, ``upload_source``: the local stack's seed) names its own key,
``sources/{platform}/{slug}/[{version}/]{upload_id}.zip``. Either way every upload is a new object,
so re-uploading the same bytes is a new packaging run and the CLI recognises *its* result by key.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from chalicelib.logic.grammar import SLUG_RULE, is_slug, version_fault
from chalicelib.logic.model import CHANNELS, Platform
from chalicelib.logic.packaging import DEFAULT_LIMITS, PackagingError
from chalicelib.logic.packaging.archive import plugin_entries
from chalicelib.logic.packaging.flavours import Generic, WordPress
from igny8_cli.errors import CliError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PLATFORMS = tuple(platform.value for platform in Platform)

#: S3 allows 2 KB of user metadata (keys + values, UTF-8); the margin covers what S3 counts
#: differently from us, so the upload fails here with a clear message and not halfway.
MAX_METADATA_BYTES = 1800

# "my-plugin-v1.2.3" / "my-plugin-1.2.3-beta1" -> "my-plugin": release archives carry the version.
_VERSION_SUFFIX = re.compile(r"-v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.]+)?$")


def derive_slug(path: Path) -> str:
    if path.is_dir():
        return path.resolve().name
    return _VERSION_SUFFIX.sub("", path.stem)


def new_upload_id() -> str:
    """Sortable by time for humans browsing the bucket, unique thanks to the random part."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def check_slug(slug: str) -> str:
    if not is_slug(slug):
        raise CliError("invalid_slug", f"slug {slug!r} is not {SLUG_RULE}")
    return slug


def source_key(platform: str, slug: str, version: str | None, upload_id: str) -> str:
    """The key of a new upload; a slug or version the server would refuse is refused here first."""
    segments = [check_slug(slug)]
    if version is not None:
        fault = version_fault(version)
        if fault is not None:
            raise CliError("invalid_version", fault)
        segments.append(version)
    return "/".join(["sources", platform, *segments, f"{upload_id}.zip"])


def upload_request(version: str | None, changelog: str | None, channel: str | None) -> dict[str, str]:
    """The admin API's upload body, refused here first for what the server or S3 would refuse.

    The API hands the changelog, channel and version to S3 as percent-encoded object metadata,
    which S3 limits to 2 KB: an overlong changelog fails here, not halfway through the upload."""
    if version is not None and (fault := version_fault(version)) is not None:
        raise CliError("invalid_version", fault)
    if channel is not None and channel not in CHANNELS:
        raise CliError("invalid_channel", f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    body = {
        name: value for name, value in (("changelog", changelog), ("channel", channel)) if value is not None
    }
    size = sum(len(name) + len(quote(value, safe="")) for name, value in body.items())
    if size > MAX_METADATA_BYTES:
        raise CliError(
            "metadata_too_large",
            f"the changelog is too long for S3 metadata ({size} bytes once percent-encoded, at most "
            f"{MAX_METADATA_BYTES}); shorten it or put it in readme.txt",
        )
    return body


def declared_version(archive: Path, platform: str) -> str:
    """The version the source says it is (a WordPress header's ``Version:``, a manifest's
    ``"version"``): what the packager would release when given none, read the packager's way."""
    flavour = WordPress() if platform == Platform.WORDPRESS.value else Generic()
    try:
        with zipfile.ZipFile(archive) as bundle:
            found = flavour.find(bundle, plugin_entries(bundle, DEFAULT_LIMITS))
    except PackagingError as exc:
        raise CliError(exc.code, exc.message) from exc
    if found.version is None:
        raise CliError("no_version", f"{flavour.no_version(found)}; pass --version")
    if (fault := version_fault(found.version)) is not None:
        raise CliError("invalid_version", f"{'/'.join(found.main)}: {fault}")
    return found.version


@contextmanager
def source_archive(path: Path) -> Iterator[Path]:
    """Yield a zip of ``path``: the archive itself, or a temporary zip of a directory's contents."""
    if path.is_dir():
        with tempfile.TemporaryDirectory(prefix="igny8-upload-") as scratch:
            archive = Path(scratch) / f"{path.resolve().name}.zip"
            _zip_directory(path, archive)
            yield archive
    elif zipfile.is_zipfile(path):
        yield path
    else:
        raise CliError("not_an_archive", f"{path} is neither a directory nor a zip archive")


def upload_source(
    s3: S3Client,
    archive: Path,
    *,
    bucket: str,
    key: str,
    metadata: dict[str, str],
    progress: Callable[[int], None] | None,
) -> None:
    # Imported here, beside the one S3 call that raises them: boto3 is 0.15 s of a CLI start.
    from boto3.exceptions import Boto3Error  # noqa: PLC0415
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        s3.upload_file(str(archive), bucket, key, ExtraArgs={"Metadata": metadata}, Callback=progress)
    except (Boto3Error, BotoCoreError, ClientError) as exc:
        raise CliError("upload_failed", f"could not upload to s3://{bucket}/{key}: {exc}") from exc


def _zip_directory(root: Path, archive: Path) -> None:
    """Files go at the zip root in a stable order; cleaning (tests, .git, ...) is the packager's job."""
    files = sorted(
        Path(folder, name).relative_to(root).as_posix()
        for folder, _, names in os.walk(root)
        for name in names
    )
    if not files:
        raise CliError("empty_source", f"{root} contains no files")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in files:
            bundle.write(root / name, name)
