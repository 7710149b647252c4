"""An upload parked by an outage, found with `igny8-plugins dlq list` and packaged after
`dlq retry`: the deployed template's queues in moto, the CLI finding them by the stage's outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client
from click.testing import CliRunner

from chalicelib.settings import get_settings
from chalicelib.storage import S3ArtifactStore
from igny8_cli.main import cli
from tests.integration.conftest import Packager, admin_headers, source_zip, upload

SLUG = "igny8-wp-bridge"
KEY = f"sources/wordpress/{SLUG}/5.0.0/src.zip"


def dlq(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["dlq", *args, "--stage", "test", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(autouse=True)
def _no_local_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI must find the queues through the stage's outputs, not a `make run` stack file."""
    monkeypatch.setenv("IGNY8_STACK_FILE", str(tmp_path / "no-stack.json"))
    get_settings.cache_clear()


def test_an_upload_parked_by_an_outage_is_listed_and_packaged_once_retried(
    client: Client, packager: Packager, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = S3ArtifactStore.put_package

    def outage(self: S3ArtifactStore, *args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "PutObject")

    monkeypatch.setattr(S3ArtifactStore, "put_package", outage)
    upload(aws["ArtifactsBucketName"], KEY, source_zip())
    assert not any(o["ok"] for o in packager.run() if o["body"].get("Records"))
    assert packager.dead_letters() == 1

    listed = dlq("list")

    assert listed["queue_url"] == aws["PackagerDeadLetterQueueUrl"]
    [message] = listed["messages"]
    [parked] = message["uploads"]
    assert parked["key"] == KEY and parked["uploaded_at"]
    assert message["receive_count"] >= 2  # the packager's two deliveries

    monkeypatch.setattr(S3ArtifactStore, "put_package", real)  # the outage is over
    assert [m["id"] for m in dlq("retry", message["id"])["retried"]] == [message["id"]]
    assert packager.dead_letters() == 0

    assert [o["ok"] for o in packager.run()] == [True]
    versions = client.http.get(f"/admin/plugins/{SLUG}", headers=admin_headers()).json_body["versions"]
    assert [(v["version"], v["status"], v["source_key"]) for v in versions] == [("5.0.0", "draft", KEY)]
    assert dlq("list")["messages"] == []
