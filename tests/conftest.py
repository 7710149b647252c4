"""Test-wide safety: no test can reach real AWS, and settings exist before ``app`` is imported.

The values match what ``infra/template.yaml`` creates for stage ``test`` in moto's account, and
integration fixtures deploy that very template before using them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.loaders import JSONFileLoader, Loader

from chalicelib import aws_json

ADMIN_TOKEN = "test-admin-token"
MOTO_ACCOUNT = "123456789012"

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "STAGE": "test",
    "PLUGINS_TABLE": "igny8-plugins-test-plugins",
    "VERSIONS_TABLE": "igny8-plugins-test-plugin-versions",
    "INSTALLATIONS_TABLE": "igny8-plugins-test-plugin-installations",
    "IDEMPOTENCY_TABLE": "igny8-plugins-test-idempotency",
    "AUDIT_TABLE": "igny8-plugins-test-audit",
    "SITES_TABLE": "igny8-plugins-test-sites",
    "COUNTERS_TABLE": "igny8-plugins-test-counters",
    "ARTIFACTS_BUCKET": f"igny8-plugins-test-artifacts-{MOTO_ACCOUNT}",
    "PACKAGER_QUEUE": "igny8-plugins-test-packager",
    "SIGNING_KEYS_SECRET": "igny8-plugins-test-signing-keys",
    "SIGNING_PUBLIC_KEYS_PARAMETER": "/igny8-plugins/test/signing-public-keys",
    "ADMIN_AUTH": "token",
    "ADMIN_TOKEN_SHA256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(),
    "PUBLIC_BASE_URL": "https://plugins.test/api",
    "POWERTOOLS_DEV": "false",
    # Tests read their own writes at once; the warm-answer cache is tested on its own.
    "HOT_CACHE_SECONDS": "0",
}
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(_ENV)


def _load_botocore_data_once() -> None:
    """botocore finds and decodes its service models (JSON files of up to megabytes) again for
    every new session, and the apps build new sessions whenever a test deploys a new stack: about
    a second of each integration test went there. One process-wide copy of each decoded file and
    of each listing is what a single session shares between its clients already; the data is never
    changed once loaded (extras are merged into it in place, the same values again)."""
    decoded: dict[str, Any] = {}
    listed: dict[tuple[Any, ...], list[str]] = {}
    load_file = JSONFileLoader.load_file
    list_services = Loader.list_available_services

    def load_once(self: JSONFileLoader, file_path: str) -> Any:
        if file_path not in decoded:
            decoded[file_path] = load_file(self, file_path)
        return decoded[file_path]

    def list_once(self: Loader, type_name: str) -> list[str]:
        key = (*self.search_paths, type_name)
        if key not in listed:
            listed[key] = list_services(self, type_name)
        return listed[key]

    JSONFileLoader.load_file = load_once  # type: ignore[method-assign]
    Loader.list_available_services = list_once  # type: ignore[method-assign]


_load_botocore_data_once()


class BotocoreAwsJson(aws_json.AwsJson):
    """The service's AWS JSON client with its calls sent through botocore, in this test process.

    moto's in-process mock (``mock_aws``) intercepts botocore, not ``http.client``, so here each
    call goes through a botocore client of the same service (which also honours a moto server's
    ``AWS_ENDPOINT_URL``). The client's own HTTP and SigV4 are tested on their own: against
    botocore's signer and a real moto server (``tests/unit/test_aws_json.py``,
    ``tests/integration/test_aws_json_moto.py``), and by every end-to-end test, whose local stack
    runs in a process of its own with the real client."""

    def __init__(self) -> None:
        super().__init__()
        self._botocore: dict[str, Any] = {}

    def call(self, service: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        client = self._botocore.get(service)
        if client is None:
            client = self._botocore[service] = boto3.session.Session().client(service)  # type: ignore[attr-defined]
        try:
            answer: dict[str, Any] = getattr(client, xform_name(target))(**payload)
        except ClientError as exc:
            error, status = exc.response["Error"], exc.response["ResponseMetadata"]["HTTPStatusCode"]
            raise aws_json.AwsError(str(error["Code"]), int(status), str(error.get("Message", ""))) from None
        return answer


@lru_cache(maxsize=1)
def _botocore_default_client() -> aws_json.AwsJson:
    return BotocoreAwsJson()


aws_json.default_client = _botocore_default_client
