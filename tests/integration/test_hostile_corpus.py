"""A corpus of hostile archives uploaded through S3, as an attacker holding an admin's upload path
would: each is refused with its reason, and neither packages/ nor the released version changes."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from tests.integration.conftest import BRIDGE, Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
MAIN = (BRIDGE / f"{SLUG}.php").read_bytes()
README = (BRIDGE / "readme.txt").read_bytes()


def _zip(*entries: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    """A plugin zip (main file and readme) plus the given entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{SLUG}.php", MAIN)
        archive.writestr("readme.txt", README)
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _info(name: str, *, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _encrypted() -> bytes:
    """An entry flagged encrypted (bit 0) in both its local and central headers; zipfile would
    clear the flag on writing, so the bytes are set directly."""
    data = bytearray(_zip(("secret.php", b"<?php")))
    entry = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("secret.php")
    data[entry.header_offset + 6] |= 0x1
    central = data.rindex(b"PK\x01\x02\x14", 0, len(data))  # written last: this entry's record
    data[central + 8] |= 0x1
    return bytes(data)


def _tar_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in ((f"{SLUG}.php", MAIN), ("readme.txt", README)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("config.php")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    return buffer.getvalue()


def _two_plugins() -> bytes:
    return _zip(("second.php", b"<?php\n/*\n * Plugin Name: Another plugin\n */\n"))


CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    "path-traversal": (lambda: _zip(("../../wp-config.php", b"<?php evil();")), "unsafe_path"),
    "absolute-path": (lambda: _zip(("/etc/cron.d/evil", b"* * * * * root evil")), "unsafe_path"),
    "backslash": (lambda: _zip(("..\\..\\evil.php", b"<?php")), "unsafe_path"),
    "drive-letter": (lambda: _zip(("C:/evil.php", b"<?php")), "unsafe_path"),
    "control-character": (lambda: _zip(("evil\x07.php", b"<?php")), "unsafe_path"),
    "symlink": (lambda: _zip((_info("link.php", mode=0o120777), b"/etc/passwd")), "symlink"),
    "fifo": (lambda: _zip((_info("pipe", mode=0o010644), b"")), "special_file"),
    "encrypted": (_encrypted, "encrypted"),
    "case-duplicate": (
        lambda: _zip(("Includes/a.php", b"<?php"), ("includes/A.php", b"<?php")),
        "duplicate_entry",
    ),
    "compression-bomb": (lambda: _zip(("assets/zeros.bin", bytes(4 * 1024 * 1024))), "compression_ratio"),
    "nested-archive": (lambda: _zip(("vendor/payload.zip", os.urandom(2 * 1024 * 1024))), "nested_archive"),
    "tar-symlink": (_tar_with_symlink, "symlink"),
    "not-an-archive": (lambda: b"MZ\x90\x00 an executable, not a plugin", "not_a_zip"),
    "no-plugin-header": (
        lambda: source_zip(replace={f"{SLUG}.php": "<?php // nothing here\n"}),
        "no_plugin_header",
    ),
    "two-plugin-headers": (_two_plugins, "multiple_plugin_headers"),
}


class World:
    def __init__(self, client: Client, outputs: dict[str, str]) -> None:
        self.client = client
        self.bucket = outputs["ArtifactsBucketName"]
        self.packager = Packager(client, outputs)
        self.s3 = boto3.client("s3", region_name="us-east-1")

    def packages(self) -> dict[str, str]:
        listing = self.s3.list_object_versions(Bucket=self.bucket, Prefix="packages/").get("Versions", [])
        return {v["Key"] + "@" + v["VersionId"]: v["ETag"] for v in listing}

    def offer(self) -> dict[str, Any]:
        return dict(self.client.http.get(f"/plugins/{SLUG}/check-update?current_version=0.1").json_body)

    def versions(self) -> dict[str, dict[str, Any]]:
        body = self.client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body
        return {v["version"]: v for v in body["versions"]}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with deployed() as (client, outputs):
        world = World(client, outputs)
        upload(world.bucket, f"sources/wordpress/{SLUG}/1.0.0/good.zip", source_zip())
        world.packager.run()
        released = client.http.post(f"/admin/plugins/{SLUG}/versions/1.0.0/release", headers=admin_headers())
        assert released.status_code == 200
        yield world


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_hostile_archive_is_refused_and_changes_nothing_released(world: World, name: str) -> None:
    build, code = CORPUS[name]
    version = f"6.6.{sorted(CORPUS).index(name)}"
    packages, offer = world.packages(), world.offer()

    upload(world.bucket, f"sources/wordpress/{SLUG}/{version}/{name}.zip", build())
    outcomes = world.packager.run()

    # Refused for good: handled once (no retry), nothing left in either queue.
    assert [outcome["ok"] for outcome in outcomes if "Records" in outcome["body"]] == [True]
    assert (world.packager.queued(), world.packager.dead_letters()) == (0, 0)
    failed = world.versions()[version]
    assert (failed["status"], failed["failure_code"]) == ("failed", code), failed["failure_reason"]
    assert failed["failure_reason"]
    assert world.packages() == packages
    assert world.offer() == offer
    assert world.client.http.get(f"/plugins/{SLUG}/download?version={version}").status_code == 404


def test_the_corpus_left_the_released_package_byte_for_byte(world: World) -> None:
    offer = world.offer()
    key = f"packages/wordpress/{SLUG}/{SLUG}-v1.0.0.zip"
    data = world.s3.get_object(Bucket=world.bucket, Key=key)["Body"].read()

    assert offer["latest_version"] == "1.0.0"
    assert hashlib.sha256(data).hexdigest() == offer["sha256"]
