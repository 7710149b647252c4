"""Issue #5's scenario on the local stack: a site created with the CLI registers, reports health,
downloads until its hourly allowance is spent (also 50 at once), loses its key, and the stats
(CLI) match what it sent; the stack's log never shows a key."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e.conftest import SLUG, Stack

pytestmark = pytest.mark.e2e


def _create_site(stack: Stack, name: str) -> dict[str, Any]:
    created = json.loads(
        stack.cli("--json", "sites", "create", name, "--url", f"https://{name}.example").stdout
    )
    return {"X-IGNY8-Site-ID": created["site"]["site_id"], "X-IGNY8-API-Key": created["api_key"]}


def _post(stack: Stack, path: str, site: dict[str, Any], body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{stack.api}/plugins/{SLUG}/{path}/", json=body, headers=site, timeout=10)


def test_a_site_registers_reports_downloads_within_its_allowance_and_is_revoked(stack: Stack) -> None:
    site = _create_site(stack, "blog")
    assert _post(stack, "register-installation", site, {"version": "1.0.0", "wp_version": "6.5.2"}).ok
    for status in ("active", "error", "active"):
        assert _post(stack, "health-check", site, {"version": "1.0.0", "status": status}).ok

    answers = [
        requests.get(f"{stack.api}/plugins/{SLUG}/download-url/", headers=site, timeout=10) for _ in range(11)
    ]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert int(answers[-1].headers["Retry-After"]) >= 1
    package = requests.get(answers[0].json()["url"], timeout=10)
    assert package.status_code == 200 and package.content[:2] == b"PK"

    crowd = _create_site(stack, "crowd")
    with ThreadPoolExecutor(max_workers=25) as pool:
        codes = list(
            pool.map(
                lambda _: (
                    requests.get(
                        f"{stack.api}/plugins/{SLUG}/download-url/", headers=crowd, timeout=30
                    ).status_code
                ),
                range(50),
            )
        )
    assert (codes.count(200), codes.count(429)) == (10, 40)

    stats = json.loads(stack.cli("--json", "stats", SLUG, "--days", "7").stdout)
    assert stats["downloads"]["total"] == 20
    assert stats["installations"]["active"] == 1
    assert stats["version_distribution"] == [{"version": "1.0.0", "count": 1, "share": 1.0}]
    assert stats["health"]["failing"] == 0  # its last check was fine again

    stack.cli("--json", "sites", "revoke", site["X-IGNY8-Site-ID"])
    refused = _post(stack, "health-check", site, {"version": "1.0.0", "status": "active"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthorized")

    log = (stack.state_dir / "stack.log").read_text()
    assert "download-url" in log  # requests are logged ...
    for key in (site["X-IGNY8-API-Key"], crowd["X-IGNY8-API-Key"]):
        assert key not in log  # ... their keys never
