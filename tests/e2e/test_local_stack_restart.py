"""`make run` keeps what it stored: after a stop and a start, the same site key works and the same
package bytes download; `--fresh` starts clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import BRIDGE, SLUG, Stack, running_stack

pytestmark = pytest.mark.e2e


def _health(stack: Stack, site: dict[str, str]) -> int:
    return requests.post(
        f"{stack.api}/plugins/{SLUG}/health-check/",
        json={"version": "1.0.0", "status": "active"},
        headers=site,
        timeout=30,
    ).status_code


def _package(stack: Stack, version: str) -> requests.Response:
    return requests.get(f"{stack.api}/plugins/{SLUG}/download/?version={version}", timeout=30)


def test_a_restarted_stack_keeps_sites_versions_keys_and_packages(tmp_path: Path) -> None:
    with running_stack(tmp_path) as first:
        created = json.loads(
            first.cli("--json", "sites", "create", "blog", "--url", "https://blog.example").stdout
        )
        site = {"X-IGNY8-Site-ID": created["site"]["site_id"], "X-IGNY8-API-Key": created["api_key"]}
        first.cli("upload", str(BRIDGE), "--version", "1.1.0", "--changelog", "Kept across restarts")
        first.cli("release", SLUG, "1.1.0")
        package = _package(first, "1.1.0").content
        keys = requests.get(f"{first.api}/keys/", timeout=30).json()

    with running_stack(tmp_path) as second:
        assert _health(second, site) == 200
        assert _package(second, "1.1.0").content == package
        assert requests.get(f"{second.api}/keys/", timeout=30).json()["key_list"] == keys["key_list"]
        offer = requests.get(
            f"{second.api}/plugins/{SLUG}/check-update/?current_version=1.0.0", timeout=30
        ).json()
        assert offer["latest_version"] == "1.1.0"
        status = json.loads(second.cli("--json", "status", SLUG).stdout)
        assert "1.1.0" in json.dumps(status)

    with running_stack(tmp_path, "--fresh") as fresh:
        assert _health(fresh, site) == 401
        assert _package(fresh, "1.1.0").status_code == 404
