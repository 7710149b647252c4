"""Seed §5's post-release checklist as code: what a site would get, checked against the record.

Each check is one row (``ok``, ``FAIL`` or ``info``); an API error inside a check fails that check
only, so one run reports everything that is wrong at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chalicelib.logic.model import DEFAULT_CHANNEL
from chalicelib.logic.packaging.header import HEADER_BYTES, parse_header
from igny8_cli.admin import OFFERED, find_version, get_plugin, latest_on
from igny8_cli.errors import CliError

if TYPE_CHECKING:
    from igny8_cli.client import AdminApi, PublicApi

#: The version check-update is asked about: below every real version.
FIRST_VERSION = "0.0.0"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    #: An ok row that only tells something (a check that does not apply), shown as "info".
    info: bool = False

    @property
    def outcome(self) -> str:
        return "FAIL" if not self.ok else "info" if self.info else "ok"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Report:
    slug: str
    version: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        checks = [check.as_json() for check in self.checks]
        return {"slug": self.slug, "version": self.version, "ok": self.ok, "checks": checks}


def passed(name: str, detail: str) -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str) -> Check:
    return Check(name, False, detail)


def noted(name: str, detail: str) -> Check:
    return Check(name, True, detail, info=True)


def verify(admin: AdminApi, public: PublicApi, slug: str, version: str) -> Report:
    document = get_plugin(admin, slug)
    record = find_version(document, version)
    if document is None or record is None:
        return Report(slug, version, [failed("status", f"{slug} has no version {version}")])
    package, download = _download(public, slug, version)
    bundle = _open_zip(package)
    platform = str(document.get("plugin", {}).get("platform") or "wordpress")
    excuse = _not_announced_because(document, record, version)
    channel = str(record.get("channel") or DEFAULT_CHANNEL)
    info_excuse = excuse or (
        None if channel == DEFAULT_CHANNEL else f"info shows {DEFAULT_CHANNEL}, not {channel}"
    )
    checks = [
        _status(record),
        download,
        _with_package("sha256", package, lambda p: _sha256(record, p)),
        _with_package("size", package, lambda p: _size(record, p)),
        _with_package("zip_layout", package, lambda _: _layout(slug, bundle)),
        _with_package("version_header", package, lambda _: _header(slug, version, record, bundle, platform)),
        _guarded(
            "check_update",
            lambda: _announces(
                "check_update", check_update(public, slug, FIRST_VERSION, channel), version, excuse
            ),
        ),
        _guarded("info", lambda: _announces("info", info(public, slug), version, info_excuse, key="version")),
        _guarded("signature", lambda: _signature(public, record, package)),
    ]
    return Report(slug, version, checks)


def check_update(public: PublicApi, slug: str, current: str, channel: str) -> dict[str, Any]:
    """What a site on ``current`` (and ``channel``) is told."""
    params = {"current_version": current}
    if channel != DEFAULT_CHANNEL:
        params["channel"] = channel
    return public.get(f"{_public_path(slug)}/check-update/", params)


def info(public: PublicApi, slug: str) -> dict[str, Any]:
    return public.get(f"{_public_path(slug)}/info/")


def _public_path(slug: str) -> str:
    return f"/plugins/{quote(slug, safe='')}"


def _status(record: Mapping[str, Any]) -> Check:
    status = record.get("status")
    if status in OFFERED:
        return passed("status", str(status))
    return failed("status", f"status is {status}, not {' or '.join(sorted(OFFERED))}")


def _download(public: PublicApi, slug: str, version: str) -> tuple[bytes | None, Check]:
    try:
        status, location = public.redirect(f"{_public_path(slug)}/download/", {"version": version})
        if status != 302 or not location:
            return None, failed("download", f"answered {status} instead of a 302 redirect")
        package = public.fetch(location)
    except CliError as error:
        return None, failed("download", _reason(error))
    return package, passed("download", f"302 to {urlsplit(location).netloc}, {len(package):,} bytes")


def _with_package(name: str, package: bytes | None, check: Callable[[bytes], Check]) -> Check:
    return failed(name, "not checked: no package downloaded") if package is None else check(package)


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except CliError as error:
        return failed(name, _reason(error))


def _sha256(record: Mapping[str, Any], package: bytes) -> Check:
    actual, expected = hashlib.sha256(package).hexdigest(), record.get("sha256")
    if actual == expected:
        return passed("sha256", actual)
    return failed("sha256", f"package has {actual}, record says {expected}")


def _size(record: Mapping[str, Any], package: bytes) -> Check:
    expected = record.get("file_size")
    if len(package) == expected:
        return passed("size", f"{len(package):,} bytes")
    return failed("size", f"package has {len(package):,} bytes, record says {expected}")


def _open_zip(package: bytes | None) -> zipfile.ZipFile | None:
    try:
        return None if package is None else zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile:
        return None


def _layout(slug: str, bundle: zipfile.ZipFile | None) -> Check:
    if bundle is None:
        return failed("zip_layout", "the package is not a zip archive")
    tops = sorted({name.split("/", 1)[0] + ("/" if "/" in name else "") for name in bundle.namelist()})
    if tops == [f"{slug}/"]:
        return passed("zip_layout", f"one top folder {slug}/")
    return failed("zip_layout", f"expected one top folder {slug}/, found {', '.join(tops) or 'nothing'}")


def _header(
    slug: str, version: str, record: Mapping[str, Any], bundle: zipfile.ZipFile | None, platform: str
) -> Check:
    if platform != "wordpress":
        return noted("version_header", f"not checked for {platform} plugins")
    if bundle is None:
        return failed("version_header", "not checked: the package is not a zip archive")
    main = f"{slug}/{record.get('main_file') or slug + '.php'}"
    try:
        header = parse_header(bundle.open(main).read(HEADER_BYTES))  # as the packager and WordPress read it
    except KeyError:
        return failed("version_header", f"{main} is not in the package")
    found = header.version if header else None
    if found == version:
        return passed("version_header", f"{main}: Version: {found}")
    return failed("version_header", f"{main}: Version: {found or '(none)'}, expected {version}")


def _not_announced_because(
    document: Mapping[str, Any], record: Mapping[str, Any], version: str
) -> str | None:
    """Why sites asking from 0.0.0 are not expected to be offered ``version``; None if they are."""
    channel = str(record.get("channel") or DEFAULT_CHANNEL)
    latest = latest_on(document, channel)
    if latest != version:
        return f"not latest: {channel} latest is {latest or 'none'}"
    if record.get("offer_above"):
        return f"offered only above {record['offer_above']}"
    percent = record.get("rollout_percent")
    if percent is not None and percent < 100:
        return f"rolling out to {percent}% of sites"
    return None


def _announces(
    name: str, answer: Mapping[str, Any], version: str, excuse: str | None, key: str = "latest_version"
) -> Check:
    announced = answer.get(key)
    if announced == version:
        return passed(name, f"announces {version}")
    if excuse:
        return noted(name, f"{excuse}; announces {announced}")
    return failed(name, f"announces {announced}, expected {version}")


def _signature(public: PublicApi, record: Mapping[str, Any], package: bytes | None) -> Check:
    signature, key_id = record.get("signature"), record.get("signature_key_id")
    if not signature:
        return noted("signature", "the version is unsigned")
    if package is None:
        return failed("signature", "not checked: no package downloaded")
    try:
        keys = public.get("/keys/").get("keys", [])
    except CliError as error:
        if error.status == 404:
            return noted("signature", "the API publishes no GET /keys/; not checked")
        raise
    key = next((k for k in keys if isinstance(k, dict) and k.get("key_id") == key_id), None)
    if key is None:
        return failed("signature", f"key {key_id} is not published at /keys/")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        public_key.verify(base64.b64decode(signature), hashlib.sha384(package).digest())
    except (InvalidSignature, ValueError, binascii.Error, KeyError, TypeError):
        return failed("signature", f"does not verify with key {key_id}")
    return passed("signature", f"Ed25519 over SHA-384 verifies with key {key_id}")


def _reason(error: CliError) -> str:
    return f"{error.message} ({error.code})"
