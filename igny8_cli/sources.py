"""Turning a plugin source on disk into an object under ``sources/`` that the packager picks up.

The S3 key is the contract with the packager: ``sources/{platform}/{slug}/[{version}/]{upload_id}.zip``.
The upload id makes every upload a new object, so re-uploading the same bytes is a new packaging
run and the CLI can recognise *its* result by ``source_key``.
"""

from __future__ import annotations

import getpass
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

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.logic.grammar import SLUG_RULE, is_slug, version_fault
from chalicelib.logic.model import CHANNELS, Platform
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


def source_key(platform: str, slug: str, version: str | None, upload_id: str) -> str:
    """The key of a new upload; a slug or version the server would refuse is refused here first."""
    if not is_slug(slug):
        raise CliError("invalid_slug", f"slug {slug!r} is not {SLUG_RULE}")
    segments = [slug]
    if version is not None:
        fault = version_fault(version)
        if fault is not None:
            raise CliError("invalid_version", fault)
        segments.append(version)
    return "/".join(["sources", platform, *segments, f"{upload_id}.zip"])


def source_metadata(version: str | None, changelog: str | None, channel: str | None = None) -> dict[str, str]:
    """S3 metadata is ASCII-only, so free text travels percent-encoded (the packager unquotes it)."""
    metadata = {"uploaded-by": quote(_current_user())}
    if version is not None:
        metadata["version"] = version
    if changelog is not None:
        metadata["changelog"] = quote(changelog)
    if channel is not None:
        if channel not in CHANNELS:
            raise CliError("invalid_channel", f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
        metadata["channel"] = channel
    size = sum(len(key.encode()) + len(value.encode()) for key, value in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise CliError(
            "metadata_too_large",
            f"the changelog is too long for S3 metadata ({size} bytes once percent-encoded, at most "
            f"{MAX_METADATA_BYTES}); shorten it or put it in readme.txt",
        )
    return metadata


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


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "unknown"
