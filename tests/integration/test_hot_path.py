"""The hot path through the app under moto: check-update and latest served from memory within the
stated bound (HOT_CACHE_SECONDS), a revoked key refused once it has passed, an offer recorded
once, and what one check reads from DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.dal import models
from chalicelib.logic import ttl_cache
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
SECONDS = 10


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ttl_cache, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


@pytest.fixture
def warm(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[tuple[Client, dict[str, str]]]:
    monkeypatch.setenv("HOT_CACHE_SECONDS", str(SECONDS))
    with deployed() as deployment:
        client, aws = deployment
        for version in ("1.0.0", "1.1.0"):
            key = f"sources/wordpress/{SLUG}/{version}/src.zip"
            upload(aws["ArtifactsBucketName"], key, source_zip(), status="released")
        assert all(outcome["ok"] for outcome in Packager(client, aws).run())
        yield deployment


def admin(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    headers = {**admin_headers(), "Content-Type": "application/json"}
    return getattr(client.http, method)(path, headers=headers, body=json.dumps(body or {}).encode())


def new_site(client: Client) -> dict[str, str]:
    """A site created through the admin API: the headers that identify it on site routes."""
    created = admin(client, "post", "/admin/sites", {"name": "Blog", "url": "https://blog.example.com"})
    return {
        "X-IGNY8-Site-ID": created.json_body["site"]["site_id"],
        "X-IGNY8-API-Key": created.json_body["api_key"],
    }


def offered(client: Client, headers: dict[str, str] | None = None) -> str | None:
    answer = client.http.get(f"/plugins/{SLUG}/check-update?current_version=0.9.0", headers=headers or {})
    assert answer.status_code == 200, answer.body
    return answer.json_body["latest_version"] if answer.json_body["update_available"] else None


def test_a_pull_is_served_for_at_most_the_configured_seconds(
    warm: tuple[Client, dict[str, str]], clock: Clock
) -> None:
    client, _ = warm
    assert offered(client) == "1.1.0"
    assert client.http.get("/plugins/wordpress/latest").json_body["version"] == "1.1.0"
    assert admin(client, "post", f"/admin/plugins/{SLUG}/versions/1.1.0/pull").status_code == 200
    clock.now += SECONDS - 1
    assert offered(client) == "1.1.0"  # within the bound: this container has not read again
    clock.now += 1
    assert offered(client) == "1.0.0"
    assert client.http.get("/plugins/wordpress/latest").json_body["version"] == "1.0.0"


def test_a_revoked_key_is_refused_once_the_bound_has_passed(
    warm: tuple[Client, dict[str, str]], clock: Clock
) -> None:
    client, _ = warm
    site = new_site(client)
    wrong = {**site, "X-IGNY8-API-Key": "wrong"}
    assert offered(client, site) == "1.1.0"
    assert (
        client.http.get(f"/plugins/{SLUG}/check-update?current_version=0.9.0", headers=wrong).status_code
        == 401
    )
    assert admin(client, "post", f"/admin/sites/{site['X-IGNY8-Site-ID']}/revoke").status_code == 200
    clock.now += SECONDS
    refused = client.http.get(f"/plugins/{SLUG}/check-update?current_version=0.9.0", headers=site)
    assert refused.status_code == 401
    assert refused.json_body["error"]["code"] == "unauthorized"


def test_a_warm_check_with_a_site_key_reads_and_writes_nothing(
    warm: tuple[Client, dict[str, str]], clock: Clock
) -> None:
    client, _ = warm
    site = new_site(client)
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    for model in (models.PluginModel, models.SiteModel, models.InstallationModel, models.PluginVersionModel):
        events = model._get_connection().connection.client.meta.events
        events.register("before-call.dynamodb", count, unique_id=f"hot-{model.__name__}")
    assert offered(client, site) == "1.1.0"
    assert sorted(calls) == ["GetItem", "GetItem", "GetItem", "PutItem"]  # plugin, site, installation
    calls.clear()
    for _ in range(5):
        assert offered(client, site) == "1.1.0"
    assert calls == []


def test_check_update_carries_no_readme_section_and_reads_one_small_item(
    warm: tuple[Client, dict[str, str]],
) -> None:
    client, _ = warm
    info = client.http.get(f"/plugins/{SLUG}/info").json_body
    answer = client.http.get(f"/plugins/{SLUG}/check-update?current_version=0.9.0")
    body = answer.body.decode()
    assert answer.json_body["update_available"] is True
    for name in ("description", "installation", "faq"):
        section = info["sections"][name]
        assert len(section) > 100 and section not in body
    plugin_item = models.PluginModel.get(SLUG)
    assert set(plugin_item.releases) == {"1.0.0", "1.1.0"}
    assert len(json.dumps(models.PluginModel.releases.serialize(plugin_item.releases))) < 4096
