"""Issue #11 item 4 on the local stack: `igny8-plugins upload --release` goes through the admin
API's presigned upload, so the audit names the authenticated admin for the upload (the packager's
``register``) and for the release, never the IAM principal that happened to write the object."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import BRIDGE, SLUG, Stack

pytestmark = pytest.mark.e2e

#: Who the local stack's admin token authenticates as.
LOCAL_ADMIN = "local-admin"


def _json(stack: Stack, *args: str) -> dict[str, Any]:
    return dict(json.loads(stack.cli("--json", *args).stdout))


def test_an_uploaded_and_released_version_is_audited_as_the_admin(stack: Stack) -> None:
    uploaded = _json(
        stack,
        "upload",
        str(BRIDGE),
        "--version",
        "3.0.0",
        "--changelog",
        "Audited",
        "--release",
        "--percent",
        "50",
    )

    version = uploaded["version"]
    assert (version["version"], version["status"], version["rollout_percent"]) == ("3.0.0", "released", 50)
    # The API wrote the grant that binds the admin to the key before handing out the URL.
    grant = stack.aws("s3").get_object(Bucket=stack.state()["bucket"], Key=f"grants/{uploaded['key']}.json")
    assert json.loads(grant["Body"].read())["metadata"]["uploaded-by"] == LOCAL_ADMIN
    entries = {
        entry["action"]: entry
        for entry in _json(stack, "status", SLUG, "--audit")["audit"]
        if entry["version"] == "3.0.0"
    }
    # The packager registers on the uploader's behalf, named as the admin (not "S3 principal ...").
    assert entries["register"]["actor"] == f"packager for {LOCAL_ADMIN}"
    assert "notes" not in entries["register"]["after"]  # nothing it asked was overruled
    assert entries["release"]["actor"] == LOCAL_ADMIN
    assert entries["release"]["after"]["rollout_percent"] == 50
