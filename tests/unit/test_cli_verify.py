"""`verify` (seed §5) and `emergency` (seed §8): the public routes are faked, the package is in moto S3."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.unit import test_cli
from tests.unit.test_cli import (
    BUCKET,
    PLUGIN_PATH,
    FakeApi,
    Response,
    plugin_doc,
    run,
    version_doc,
)

# The harness's fixtures, shared by name (the autouse `api` gives every test a fresh fake API).
api = test_cli.api
moto_s3 = test_cli.moto_s3
s3 = test_cli.s3
source_dir = test_cli.source_dir

PUBLIC_PATH = "/api/plugins/my-plugin"
KEYS_PATH = "/api/keys/"
PACKAGE_KEY = "packages/wordpress/my-plugin/my-plugin-v1.2.0.zip"
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY = base64.b64encode(SIGNING_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
MAIN_FILE = "<?php\n/**\n * Plugin Name: My Plugin\n * Version: {version}\n * Requires PHP: 7.4\n */\n"
CHECKS = [
    "status",
    "download",
    "sha256",
    "size",
    "zip_layout",
    "version_header",
    "check_update",
    "info",
    "signature",
]


def package(files: dict[str, str] | None = None, version: str = "1.2.0") -> bytes:
    files = files or {
        "my-plugin/my-plugin.php": MAIN_FILE.format(version=version),
        "my-plugin/readme.txt": "=== My Plugin ===\n",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return buffer.getvalue()


def sign(data: bytes) -> str:
    return base64.b64encode(SIGNING_KEY.sign(hashlib.sha384(data).digest())).decode()


def record(data: bytes, **fields: Any) -> dict[str, Any]:
    """The admin API's record of a good, signed, released 1.2.0 built from ``data``."""
    good = {
        "key": "sources/wordpress/my-plugin/1.2.0/up.zip",
        "status": "released",
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha384": hashlib.sha384(data).hexdigest(),
        "file_size": len(data),
        "main_file": "my-plugin.php",
        "signature": sign(data),
        "signature_key_id": "k1",
        "rollout_percent": 100,
        "offer_above": None,
        "force_update": False,
    }
    return version_doc(**(good | fields))


def latest_doc(versions: list[dict[str, Any]], latest: str = "1.2.0") -> dict[str, Any]:
    document = plugin_doc(versions)
    document["plugin"]["latest"] = {"stable": latest}
    return document


def publish(
    api: FakeApi,
    s3: Any,
    data: bytes,
    *,
    served: bytes | None = None,
    announced: str = "1.2.0",
    latest: str = "1.2.0",
    **fields: Any,
) -> None:
    """Script a healthy release of 1.2.0 (``served`` replaces the bytes behind the download)."""
    s3.put_object(Bucket=BUCKET, Key=PACKAGE_KEY, Body=served if served is not None else data)
    api.on("GET", PLUGIN_PATH, (200, latest_doc([record(data, **fields)], latest)))
    public_routes(api, s3, announced)


def public_routes(api: FakeApi, s3: Any, announced: str = "1.2.0", forced: bool = False) -> None:
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": PACKAGE_KEY}, ExpiresIn=60)
    api.on("GET", f"{PUBLIC_PATH}/download/", (302, None, {"Location": url}))
    update = {"update_available": True, "latest_version": announced, "force_update": forced, "reason": None}
    api.on("GET", f"{PUBLIC_PATH}/check-update/", (200, update))
    api.on("GET", f"{PUBLIC_PATH}/info/", (200, {"version": announced, "sections": {}}))
    api.on("GET", KEYS_PATH, (200, {"keys": [{"key_id": "k1", "public_key": PUBLIC_KEY}]}))


def row(output: str, first: str) -> str:
    """The one table row whose first cell is ``first``."""
    [line] = [line for line in output.splitlines() if line.split()[:1] == [first]]
    return line


def outcome(result: Any) -> dict[str, bool]:
    return {check["name"]: check["ok"] for check in json.loads(result.stdout)["checks"]}


def test_verify_all_ok(api: FakeApi, s3: Any) -> None:
    publish(api, s3, package())

    result = run("--json", "verify", "my-plugin", "1.2.0")
    table = run("verify", "my-plugin", "1.2.0")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["slug"] == "my-plugin"
    assert document["version"] == "1.2.0"
    assert document["ok"] is True
    assert [check["name"] for check in document["checks"]] == CHECKS
    assert all(set(check) == {"name", "ok", "detail"} for check in document["checks"])
    assert all(outcome(result).values())
    public = [r for r in api.requests if not r.path.startswith("/api/admin/")]
    assert [(r.path, r.query) for r in public[:4]] == [
        (f"{PUBLIC_PATH}/download/", {"version": "1.2.0"}),
        (f"{PUBLIC_PATH}/check-update/", {"current_version": "0.0.0"}),
        (f"{PUBLIC_PATH}/info/", {}),
        (KEYS_PATH, {}),
    ]
    assert all("Authorization" not in r.headers for r in public)
    assert table.exit_code == 0, table.output
    assert "all passed" in table.output
    signature_row = row(table.output, "signature")
    assert "ok" in signature_row
    assert "k1" in signature_row


BAD_HEADER = package(version="1.1.9")
TWO_FOLDERS = package(
    {"my-plugin/my-plugin.php": MAIN_FILE.format(version="1.2.0"), "other/x.php": "<?php\n"}
)


@pytest.mark.parametrize(
    ("setup", "failing"),
    [
        ({"sha256": "0" * 64}, {"sha256"}),
        ({"file_size": 1}, {"size"}),
        ({"served": TWO_FOLDERS}, {"sha256", "size", "zip_layout", "signature"}),
        ({"served": BAD_HEADER}, {"sha256", "version_header", "signature"}),  # same size
        ({"served": b"not a zip"}, {"sha256", "size", "zip_layout", "version_header", "signature"}),
        ({"signature": sign(b"other bytes")}, {"signature"}),
        ({"signature_key_id": "retired"}, {"signature"}),
        ({"status": "staged"}, {"status"}),
        ({"announced": "1.1.0"}, {"check_update", "info"}),
        ({"main_file": "bridge.php"}, {"version_header"}),
    ],
)
def test_verify_reports_each_failing_check(
    api: FakeApi, s3: Any, setup: dict[str, Any], failing: set[str]
) -> None:
    publish(api, s3, package(), **setup)

    result = run("--json", "verify", "my-plugin", "1.2.0")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["ok"] is False
    assert {name for name, ok in outcome(result).items() if not ok} == failing


@pytest.mark.parametrize(
    ("data", "failing"),
    [(TWO_FOLDERS, "zip_layout"), (BAD_HEADER, "version_header")],
)
def test_verify_fails_a_package_built_wrong(api: FakeApi, s3: Any, data: bytes, failing: str) -> None:
    """The record matches the bytes (sha, size, signature), but the package itself is wrong."""
    publish(api, s3, data)

    result = run("verify", "my-plugin", "1.2.0")

    assert result.exit_code == 1
    assert f"FAILED: {failing}" in result.output
    failing_row = row(result.output, failing)
    assert "FAIL" in failing_row


def test_verify_a_pulled_version(api: FakeApi, s3: Any) -> None:
    publish(api, s3, package(), status="pulled")
    gone = (410, {"error": {"code": "gone", "message": "my-plugin 1.2.0 was pulled"}})
    api.on("GET", f"{PUBLIC_PATH}/download/", gone)

    result = run("--json", "verify", "my-plugin", "1.2.0")

    assert result.exit_code == 1
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert "status is pulled" in checks["status"]["detail"]
    assert "was pulled (gone)" in checks["download"]["detail"]
    for name in ("sha256", "size", "zip_layout", "version_header", "signature"):
        assert checks[name] == {"name": name, "ok": False, "detail": "not checked: no package downloaded"}


def test_verify_an_older_version_reports_not_latest_as_info(api: FakeApi, s3: Any) -> None:
    publish(api, s3, package(), latest="1.3.0", announced="1.3.0")

    result = run("verify", "my-plugin", "1.2.0")
    as_json = run("--json", "verify", "my-plugin", "1.2.0")

    assert result.exit_code == 0, result.output
    update_row = row(result.output, "check_update")
    assert "info" in update_row
    assert "not latest: stable latest is 1.3.0" in update_row
    assert all(outcome(as_json).values())


def test_verify_asks_check_update_on_the_versions_channel(api: FakeApi, s3: Any) -> None:
    publish(api, s3, package(), channel="beta")

    result = run("--json", "verify", "my-plugin", "1.2.0")

    [check] = [r for r in api.requests if r.path.endswith("/check-update/")]
    assert check.query == {"current_version": "0.0.0", "channel": "beta"}
    # latest is {"stable": "1.2.0"} only: on beta it is not the latest, so nothing fails.
    assert result.exit_code == 0, result.output


def test_verify_without_a_keys_route_skips_the_signature(api: FakeApi, s3: Any) -> None:
    publish(api, s3, package())
    api.on("GET", KEYS_PATH, (404, {"error": {"code": "not_found", "message": "no route"}}))

    result = run("--json", "verify", "my-plugin", "1.2.0")

    assert result.exit_code == 0, result.output
    [signature] = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "signature"]
    assert signature["ok"] is True
    assert "not checked" in signature["detail"]


def test_verify_an_unknown_version(api: FakeApi, s3: Any) -> None:
    publish(api, s3, package())

    result = run("verify", "my-plugin", "9.9.9")

    assert result.exit_code == 1
    assert "my-plugin has no version 9.9.9" in result.output
    assert [r.path for r in api.requests] == [PLUGIN_PATH]


# ---------------------------------------------------------------- emergency


class World:
    """The admin API as the packager and the release calls leave it, step by step."""

    def __init__(self, api: FakeApi, s3: Any, data: bytes) -> None:
        self.api, self.s3, self.data = api, s3, data

    def plugin(self) -> Response:
        older = version_doc("sources/old.zip", version="1.1.0", status="released")
        uploaded = [k["Key"] for k in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        sources = [key for key in uploaded if key.startswith("sources/")]
        if not sources:
            return 200, latest_doc([older], latest="1.1.0")
        posted = [r.path.rsplit("/", 1)[-1] for r in self.api.requests if r.method == "POST"]
        if "push-update" not in posted:
            return 200, latest_doc([version_doc(sources[0], status="draft"), older], latest="1.1.0")
        ready = record(self.data, status="update_ready", force_update=True, key=sources[0])
        return 200, latest_doc([ready, older], latest="1.2.0")


def emergency_world(api: FakeApi, s3: Any, *, forced: bool = True) -> None:
    data = package()
    s3.put_object(Bucket=BUCKET, Key=PACKAGE_KEY, Body=data)
    api.on("GET", PLUGIN_PATH, World(api, s3, data).plugin)
    versions = f"{PLUGIN_PATH}/versions/1.2.0"
    released = {"version": version_doc("k", status="released", force_update=True)}
    api.on("POST", f"{versions}/release", (200, released))
    pushed = {
        "version": version_doc("k", status="update_ready", force_update=True),
        "installations_notified": 7,
    }
    api.on("POST", f"{versions}/push-update", (200, pushed))
    public_routes(api, s3, forced=forced)


EMERGENCY = ("emergency", "--version", "1.2.0", "--changelog", "SECURITY: escape output")


def test_emergency_runs_the_steps_in_order(api: FakeApi, s3: Any, source_dir: Path) -> None:
    emergency_world(api, s3)

    result = run("--json", *EMERGENCY, str(source_dir))

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert [step["name"] for step in document["steps"]] == [
        "status",
        "upload",
        "package",
        "release",
        "push-update",
        "verify",
        "sites",
    ]
    assert document["verify"]["ok"] is True
    assert document["sites"] == {
        "current_version": "1.1.0",
        "update_available": True,
        "latest_version": "1.2.0",
        "force_update": True,
    }
    [source] = [
        k["Key"] for k in s3.list_objects_v2(Bucket=BUCKET)["Contents"] if k["Key"].startswith("sources/")
    ]
    metadata = s3.head_object(Bucket=BUCKET, Key=source)["Metadata"]
    assert metadata["version"] == "1.2.0"
    assert "status" not in metadata
    assert "force_update" not in metadata
    calls = [(m, p, b) for m, p, b in api.calls() if p != PLUGIN_PATH]
    versions = f"{PLUGIN_PATH}/versions/1.2.0"
    # Uploaded through the admin API (as the admin), then released forced through it.
    assert calls[:3] == [
        ("POST", f"{versions}/upload", {"changelog": "SECURITY: escape output"}),
        ("POST", f"{versions}/release", {"force_update": True}),
        ("POST", f"{versions}/push-update", {}),
    ]
    checks = [r for r in api.requests if r.path.endswith("/check-update/")]
    assert [r.query["current_version"] for r in checks] == ["0.0.0", "1.1.0"]
    # The plugin is read before anything is uploaded, polled, then read again by verify.
    first_post = next(n for n, r in enumerate(api.requests) if r.method == "POST")
    assert api.requests[0].path == PLUGIN_PATH
    assert api.requests[first_post - 1].path == PLUGIN_PATH
    assert api.requests[-1] == checks[-1]


def test_emergency_prints_what_sites_will_see(api: FakeApi, s3: Any, source_dir: Path) -> None:
    emergency_world(api, s3)

    result = run(*EMERGENCY, str(source_dir))

    assert result.exit_code == 0, result.output
    assert "7 installations notified" in result.output
    assert "all passed" in result.output
    forced = row(result.output, "force_update")
    assert "yes" in forced
    assert "emergency my-plugin 1.2.0: released, forced and pushed to every site" in result.output


@pytest.mark.parametrize("as_json", [False, True])
def test_emergency_stops_at_the_failing_step(api: FakeApi, s3: Any, source_dir: Path, as_json: bool) -> None:
    emergency_world(api, s3)
    refusal = {"error": {"code": "invalid_transition", "message": "cannot release a failed version"}}
    api.on("POST", f"{PLUGIN_PATH}/versions/1.2.0/release", (409, refusal))

    result = run(*(["--json"] if as_json else []), *EMERGENCY, str(source_dir))

    assert result.exit_code == 1
    message = "release failed: cannot release a failed version"
    if as_json:
        error = json.loads(result.stdout)["error"]
        assert error["step"] == "release"
        assert error["message"] == message
        assert error["code"] == "invalid_transition"
    else:
        assert f"error: {message} (invalid_transition)" in result.stderr
    assert [p for _, p, _ in api.calls("POST")] == [
        f"{PLUGIN_PATH}/versions/1.2.0/upload",
        f"{PLUGIN_PATH}/versions/1.2.0/release",
    ]


def test_emergency_fails_when_sites_are_not_forced(api: FakeApi, s3: Any, source_dir: Path) -> None:
    emergency_world(api, s3, forced=False)

    result = run("--json", *EMERGENCY, str(source_dir))

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert [s["name"] for s in document["steps"] if not s["ok"]] == ["sites"]


def test_emergency_fails_when_verify_fails(api: FakeApi, s3: Any, source_dir: Path) -> None:
    emergency_world(api, s3)
    s3.put_object(Bucket=BUCKET, Key=PACKAGE_KEY, Body=BAD_HEADER)

    result = run(*EMERGENCY, str(source_dir))

    assert result.exit_code == 1
    assert "emergency my-plugin 1.2.0: FAILED: verify" in result.output
