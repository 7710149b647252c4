"""The admin CLI as a user sees it: S3 is moto, the admin API a tiny HTTP server on 127.0.0.1 that
hands out real presigned uploads (``S3ArtifactStore.presign_upload``, as the admin API does)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws

from chalicelib.storage import S3ArtifactStore
from igny8_cli import admin, main

BUCKET = "igny8-plugins-test-artifacts"
TOKEN = "s3cr3t-admin-token-9f8e7d"
#: Who the fake admin API says the token belongs to (the real one: "local-admin" or the IAM ARN).
ADMIN = "admin:tester"
PLUGINS_PATH = "/api/admin/plugins"
PLUGIN_PATH = f"{PLUGINS_PATH}/my-plugin"
UPLOAD_PATH = f"{PLUGIN_PATH}/versions/1.2.0/upload"
RELEASE_PATH = f"{PLUGIN_PATH}/versions/1.2.0/release"
NOT_FOUND = (404, {"error": {"code": "not_found", "message": "plugin my-plugin not found"}})

#: (status, JSON payload) or (status, payload, headers); a payload of None sends no body.
Response = tuple[int, Any] | tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class FakeApi:
    """Answers each (method, path) with its scripted responses in turn, repeating the last one.

    Routes match the path without its query string, which each ``Request`` keeps apart. A response
    may be a zero-argument callable, for answers that depend on what the CLI uploaded.
    """

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._scripts: dict[tuple[str, str], list[Response | Callable[[], Response]]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api"
        # A short poll interval keeps shutdown() (once per test) from costing half a second.
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()

    def on(self, method: str, path: str, *responses: Response | Callable[[], Response]) -> None:
        self._scripts[(method, path)] = list(responses)

    def calls(self, *methods: str) -> list[tuple[str, str, Any]]:
        """(method, path, JSON body) of every request, or of those with one of ``methods``."""
        return [(r.method, r.path, r.json()) for r in self.requests if not methods or r.method in methods]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, request: Request) -> Response:
        self.requests.append(request)
        script = self._scripts.get((request.method, request.path))
        if not script:
            return 404, {"error": {"code": "no_route", "message": f"no route {request.path}"}}
        response = script.pop(0) if len(script) > 1 else script[0]
        return response() if callable(response) else response

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlsplit(self.path)
                query = dict(parse_qsl(url.query))
                status, payload, *extra = api._answer(
                    Request(self.command, url.path, dict(self.headers), body, query)
                )
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def version_doc(key: str | None, status: str = "draft", **fields: Any) -> dict[str, Any]:
    return {
        "version": "1.2.0",
        "status": status,
        "channel": "stable",
        "file_size": 12345,
        "sha256": "ab12cd34ef56" + "0" * 52,
        "released_at": None,
        "source_key": key,
        "failure_code": None,
        "failure_reason": None,
        **fields,
    }


def plugin_doc(versions: list[dict[str, Any]], last_failure: dict[str, Any] | None = None) -> dict[str, Any]:
    plugin = {
        "slug": "my-plugin",
        "name": "My Plugin",
        "platform": "wordpress",
        "is_active": True,
        "latest": {"stable": "1.1.0"},
        "last_failure": last_failure,
    }
    return {"plugin": plugin, "versions": versions}


def write_stack(tmp_path: Path, api_url: str) -> None:
    token_file = tmp_path / ".local" / "admin-token"
    token_file.parent.mkdir(exist_ok=True)
    token_file.write_text(TOKEN + "\n")
    stack = {"api_url": api_url, "region": "us-east-1", "bucket": BUCKET, "admin_token_file": str(token_file)}
    (tmp_path / ".local" / "stack.json").write_text(json.dumps(stack))


@pytest.fixture(autouse=True)
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """Every test runs from a repo root whose local stack points at a fresh fake API."""
    monkeypatch.chdir(tmp_path)
    for name in ("IGNY8_API_URL", "IGNY8_ADMIN_TOKEN", "IGNY8_STACK_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(admin, "POLL_INTERVAL", 0.01)
    fake = FakeApi()
    write_stack(tmp_path, fake.url)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[Any]:
    """One mocked AWS for the module: starting moto per test would triple the suite's run time."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def s3(moto_s3: Any, api: FakeApi) -> Iterator[Any]:
    """moto's S3, and the fake admin API's upload route for my-plugin 1.2.0 on it."""
    grant_uploads(api)
    yield moto_s3
    for item in moto_s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        moto_s3.delete_object(Bucket=BUCKET, Key=item["Key"])


def grant_uploads(
    api: FakeApi, slug: str = "my-plugin", version: str = "1.2.0", platform: str = "wordpress"
) -> None:
    """``POST .../versions/{version}/upload`` as the admin API answers it: a grant naming ``ADMIN``
    and a presigned PUT (real SigV4, moto's S3 behind it) under a new key each time."""
    path = f"{PLUGINS_PATH}/{slug}/versions/{version}/upload"
    api.on("POST", PLUGINS_PATH, (201, {"plugin": plugin_doc([])["plugin"]}))

    def grant() -> Response:
        asked = api.requests[-1].json()
        key = f"sources/{platform}/{slug}/{version}/upload-{len(api.calls('POST'))}.zip"
        metadata = {"version": version, "uploaded-by": ADMIN, **asked}
        url, headers = S3ArtifactStore(BUCKET, "us-east-1").presign_upload(key, metadata, 900)
        return 200, {"url": url, "method": "PUT", "headers": headers, "key": key, "expires_at": "soon"}

    api.on("POST", path, grant)


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    root = tmp_path / "my-plugin"
    (root / "inc").mkdir(parents=True)
    (root / "my-plugin.php").write_text("<?php\n/*\n * Plugin Name: My Plugin\n * Version: 1.2.0\n */\n")
    (root / "readme.txt").write_text("=== My Plugin ===\n")
    (root / "inc" / "helpers.php").write_text("<?php\n")
    return root


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main.cli, list(args), input=input)


def uploaded_keys(s3: Any) -> list[str]:
    """The sources uploaded (the admin API's grants, under grants/, are not uploads)."""
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="sources/").get("Contents", [])]


def test_release_sends_the_token_from_the_token_file(api: FakeApi) -> None:
    api.on("POST", RELEASE_PATH, (200, {"version": version_doc("k", status="released")}))

    result = run("release", "my-plugin", "1.2.0")

    assert result.exit_code == 0, result.output
    assert "my-plugin 1.2.0: released" in result.output
    [request] = api.requests
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.body) == {}
    assert TOKEN not in result.output


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (401, "unauthorized", "missing or invalid admin credentials"),
        (404, "not_found", "version 1.2.0 of my-plugin not found"),
        (409, "invalid_transition", "cannot release a failed version"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_api_errors_exit_1_with_the_message(
    api: FakeApi, status: int, code: str, message: str, as_json: bool
) -> None:
    api.on("POST", RELEASE_PATH, (status, {"error": {"code": code, "message": message}}))

    result = run(*(["--json"] if as_json else []), "release", "my-plugin", "1.2.0")

    assert result.exit_code == 1
    if as_json:
        assert json.loads(result.stdout) == {"error": {"code": code, "message": message}}
    else:
        assert f"error: {message} ({code})" in result.stderr
    assert TOKEN not in result.output


def test_status_shows_versions_newest_first(api: FakeApi) -> None:
    document = plugin_doc(
        [
            version_doc(
                "k2", version="1.3.0", status="failed", failure_reason="bad zip", sha256=None, file_size=None
            ),
            version_doc("k1", version="1.1.0", status="released", released_at="2026-01-02T03:04:05Z"),
        ]
    )
    api.on("GET", PLUGIN_PATH, (200, document))

    result = run("status", "my-plugin")
    as_json = run("--json", "status", "my-plugin")

    assert result.exit_code == 0, result.output
    assert "My Plugin (my-plugin)  wordpress  latest: stable 1.1.0" in result.output
    lines = result.output.splitlines()
    [newer] = [n for n, line in enumerate(lines) if "1.3.0" in line]
    [older] = [n for n, line in enumerate(lines) if "1.1.0" in line and "released" in line]
    assert newer < older
    assert "bad zip" in lines[newer]
    assert "ab12cd34ef56" in lines[older]
    assert "2026-01-02 03:04" in lines[older]
    assert "ab12cd34ef560" not in result.output
    assert json.loads(as_json.stdout) == document


def test_unreachable_api_suggests_starting_the_stack(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    write_stack(tmp_path, f"http://127.0.0.1:{closed_port}/api")

    result = run("status", "my-plugin")

    assert result.exit_code == 1
    assert "unreachable" in result.stderr
    assert "make run" in result.stderr


def test_options_and_environment_win_over_the_stack_file(
    tmp_path: Path, api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stack(tmp_path, "http://127.0.0.1:9/api")
    monkeypatch.setenv("IGNY8_ADMIN_TOKEN", "token-from-env")
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([])))

    result = run("--api", api.url, "status", "my-plugin")

    assert result.exit_code == 0, result.output
    assert api.requests[0].headers["Authorization"] == "Bearer token-from-env"


def test_iam_auth_signs_requests_for_execute_api(api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([])))

    result = run("--auth", "iam", "status", "my-plugin")

    assert result.exit_code == 0, result.output
    headers = api.requests[0].headers
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/us-east-1/execute-api/aws4_request" in headers["Authorization"]
    assert "X-Amz-Date" in headers


def test_json_usage_errors_are_json_too() -> None:
    result = run("--json", "upload")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "usage"
