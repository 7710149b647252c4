"""Deployed, the admin API is a REST API of its own (the control plane's project): the CLI sends
admin calls to ``--admin-api`` and what sites call to ``--api``; without ``--admin-api`` (the local
stack, one server for both) everything goes to ``--api``."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from igny8_cli import client
from igny8_cli.config import Target


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []

    def send(_http: Any, _method: str, url: str, _where: str, **_kwargs: Any) -> requests.Response:
        urls.append(url)
        answer = requests.Response()
        answer.status_code = 200
        answer.headers["Content-Type"] = "application/json"
        answer._content = b"{}"
        return answer

    monkeypatch.setattr(client, "_send", send)
    return urls


def target(admin_api_url: str | None) -> Target:
    return Target(
        api_url="https://api.example/api",
        admin_api_url=admin_api_url,
        s3_endpoint=None,
        bucket=None,
        region="us-east-1",
        auth="token",
        token="t",
    )


def test_admin_calls_go_to_the_admin_api_and_site_calls_to_the_public_one(sent: list[str]) -> None:
    deployed = target("https://admin.example/api/")

    deployed.admin_api().call("GET", "/admin/plugins")
    deployed.public_api().get("/plugins/x/info/")

    assert sent == ["https://admin.example/api/admin/plugins", "https://api.example/api/plugins/x/info/"]


def test_without_an_admin_api_both_go_to_the_one_base(sent: list[str]) -> None:
    local = target(None)

    local.admin_api().call("GET", "/admin/plugins")
    local.public_api().get("/keys/")

    assert sent == ["https://api.example/api/admin/plugins", "https://api.example/api/keys/"]
