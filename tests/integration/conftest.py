"""Integration fixtures: the real template deployed into moto, the real apps on Chalice's test client.

The service is two Chalice apps (the public edge, ``app.py``, and the control plane,
``admin/app.py``); the client here is one service as sites and admins see it: ``/admin/...`` goes
to the admin app, everything else to the public one, and the packager's function is the admin
app's, exactly as the deployed custom domain and the local stack (``infra/local.py``) route them."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from chalice.app import Chalice
from chalice.test import Client, HTTPResponse, TestEventsClient, TestHTTPClient, TestLambdaClient
from moto import mock_aws

from admin.app import app as admin_app
from app import app as public_app
from chalicelib import adapters
from chalicelib.settings import packager_queue_name
from chalicelib.storage import S3ArtifactStore
from infra import stack
from infra.keys import KeyStore
from tests.conftest import ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "plugins" / "wordpress" / "source" / "igny8-wp-bridge"
#: The admin app's routes, as the deployed domain's base path mapping and the local stack see them.
ADMIN_PREFIX = "/admin"


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith((ADMIN_PREFIX + "/", ADMIN_PREFIX + "?"))


class _DispatchingHTTP(TestHTTPClient):
    """One HTTP client over both apps: an admin path is the admin app's, any other the public's."""

    def __init__(self, public: TestHTTPClient, admin: TestHTTPClient) -> None:
        self._public = public
        self._admin = admin

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> HTTPResponse:
        target = self._admin if is_admin_path(path) else self._public
        return target.request(method, path, headers=headers, body=body)


class ServiceClient(Client):
    """Chalice's test client for the whole service (see the module's docstring)."""

    def __init__(self, public: Chalice, admin: Chalice, stage_name: str) -> None:
        super().__init__(public, stage_name=stage_name, project_dir=str(ROOT))
        self._admin_client = Client(admin, stage_name=stage_name, project_dir=str(ROOT / "admin"))
        self._dispatching: _DispatchingHTTP | None = None

    @property
    def http(self) -> TestHTTPClient:
        if self._dispatching is None:
            self._dispatching = _DispatchingHTTP(super().http, self._admin_client.http)
        return self._dispatching

    @property
    def lambda_(self) -> TestLambdaClient:
        return self._admin_client.lambda_

    @property
    def events(self) -> TestEventsClient:
        return self._admin_client.events


#: One boto3 session for every deployment: a new session loads each service's model from disk
#: again (half of a deployment's time); moto's mock is reached the same way from any session.
_DEPLOYER = boto3.session.Session()


@contextmanager
def deployed() -> Iterator[tuple[Client, dict[str, str]]]:
    """Every resource of infra/template.yaml in moto (with a signing key, as infra/deploy.py
    makes one), the apps' settings pointing at them, and the test client on both real apps."""
    with pytest.MonkeyPatch.context() as env, mock_aws():
        outputs = stack.deploy(
            _DEPLOYER,
            stage="test",
            parameters={"PackagerVisibilityTimeout": "0", "PackagerMaxReceiveCount": "2"},
        )
        for name, value in stack.environment(outputs).items():
            env.setenv(name, value)
        KeyStore.of_stack(outputs, _DEPLOYER).ensure()
        adapters.reset()
        try:
            # Stage "test" has no environment in .chalice/config.json, so these settings stand.
            with ServiceClient(public_app, admin_app, stage_name="test") as client:
                yield client, outputs
        finally:
            adapters.reset()


@pytest.fixture
def deployment() -> Iterator[tuple[Client, dict[str, str]]]:
    with deployed() as deployment:
        yield deployment


@pytest.fixture
def aws(deployment: tuple[Client, dict[str, str]]) -> dict[str, str]:
    return deployment[1]


@pytest.fixture
def client(deployment: tuple[Client, dict[str, str]]) -> Client:
    return deployment[0]


def source_zip(
    root: Path = BRIDGE, *, top: str | None = None, replace: dict[str, str] | None = None
) -> bytes:
    """A source archive of ``root`` (optionally under folder ``top``, with some files rewritten)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                name = path.relative_to(root).as_posix()
                data = (replace or {}).get(name, None)
                archive.writestr(
                    f"{top}/{name}" if top else name, data.encode() if data is not None else path.read_bytes()
                )
    return buffer.getvalue()


class Packager:
    """Drives the deployed queue exactly as Lambda's event source would, one message at a time."""

    def __init__(self, client: Client, outputs: dict[str, str]) -> None:
        self.client = client
        self.queue_url = outputs["PackagerQueueUrl"]
        self.dlq_url = outputs["PackagerDeadLetterQueueUrl"]
        self.sqs = boto3.client("sqs", region_name="us-east-1")

    def run(self) -> list[dict[str, Any]]:
        """Deliver every waiting notification; return the outcome of each invocation."""
        outcomes = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=1, AttributeNames=["All"]
            ).get("Messages")
            if not messages:
                return outcomes
            message = messages[0]
            event = sqs_event(self.client, message)
            try:
                self.client.lambda_.invoke("package_sources", event)
            except Exception as exc:
                outcomes.append({"ok": False, "error": exc, "body": json.loads(message["Body"])})
                continue
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            outcomes.append({"ok": True, "body": json.loads(message["Body"])})

    def dead_letters(self) -> int:
        return self._depth(self.dlq_url)

    def queued(self) -> int:
        return self._depth(self.queue_url)

    def _depth(self, queue_url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def sqs_event(client: Client, message: Any) -> dict[str, Any]:
    """Lambda's SQS event for one received message, with its attributes (the receive count)."""
    event = client.events.generate_sqs_event(
        message_bodies=[message["Body"]], queue_name=packager_queue_name()
    )
    event["Records"][0]["attributes"] = dict(message.get("Attributes", {}))
    return event


@pytest.fixture
def packager(client: Client, aws: dict[str, str]) -> Packager:
    return Packager(client, aws)


#: Who ``upload`` acts as: the actor the admin API would bind to its presigned upload.
UPLOADER = "integration-admin"


def upload(bucket: str, key: str, body: bytes, **metadata: str) -> str:
    """Put a source archive as an admin does: the admin API binds them and ``metadata`` (as the
    admin wrote it: S3 carries it percent-encoded) to the key, as its presigned upload does, then
    the PUT; returns the S3 version id."""
    asked = {name: unquote(value) for name, value in metadata.items()}
    S3ArtifactStore(bucket, "us-east-1").presign_upload(key, {"uploaded-by": UPLOADER, **asked}, 900)
    return put_directly(bucket, key, body, **metadata)


def put_directly(bucket: str, key: str, body: bytes, **metadata: str) -> str:
    """Put a source archive straight into S3, as anyone with write access to sources/ can."""
    s3 = boto3.client("s3", region_name="us-east-1")
    return s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)["VersionId"]


def admin_headers(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
