"""``info`` through the app under moto costs the same whatever the plugin's history: the plugin
(its release index) and the one version it describes, at 3 versions as at 300; a warm container
answers it from memory within HOT_CACHE_SECONDS and renders it again once a release changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters import repository
from chalicelib.dal import models
from chalicelib.logic import ttl_cache
from chalicelib.logic.model import Platform, PluginVersion, Status
from chalicelib.logic.plugins import new_plugin
from chalicelib.logic.rollout import admits
from tests.integration.conftest import admin_headers, deployed

SLUG = "igny8-wp-bridge"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def store_history(count: int) -> str:
    """``count`` versions as releases leave them: the newest at a 10% rollout, the two before
    released, one deprecated and kept, one pulled, a beta, the rest deprecated and expiring. They
    are written in batches, then the plugin, whose first save builds its index from them (as a
    migration does), which is quicker than a transaction per version. Returns a site id inside
    the rollout."""
    repo = repository()  # binds the models to this stage's tables
    with models.PluginVersionModel.batch_write() as batch:
        for n in range(count):
            batch.save(models.PluginVersionModel.from_record(stored_version(n, count), revision=1))
    plugin = new_plugin(SLUG, "IGNY8 WordPress Bridge", Platform.WORDPRESS, NOW)
    repo.save_plugin(plugin)
    return next(site for n in range(1000) if admits(10, plugin.rollout_salt, site := f"site-{n}"))


def stored_version(n: int, count: int) -> PluginVersion:
    """Version ``n`` of a history of ``count`` (see ``store_history``)."""
    age = count - n
    fields: dict[str, Any] = {"package_expires_at": NOW + timedelta(days=30)}
    status = Status.DEPRECATED
    if age <= 3:
        status, fields = Status.RELEASED, {"rollout_percent": 10 if age == 1 else 100}
    elif age == 4:
        fields = {}
    elif age == 5:
        status, fields = Status.PULLED, {}
    elif age == 6:
        status, fields = Status.RELEASED, {"channel": "beta"}
    version = f"1.{n}.0"
    return PluginVersion(
        slug=SLUG,
        version=version,
        status=status,
        created_at=NOW - timedelta(days=age),
        released_at=NOW - timedelta(days=age),
        file_path=f"packages/wordpress/{SLUG}/{version}/{SLUG}.zip",
        file_size=26_316,
        sha256="b8" * 32,
        changelog=f"= {version} =\n* Changes of {version}.",
        sections={"description": "Connects a site. " * 200, "faq": "= Why? =\nBecause. " * 50},
        **fields,
    )


@pytest.fixture
def calls() -> list[str]:
    return []


def counting(calls: list[str]) -> None:
    """Record the name of every DynamoDB call the app makes from now on."""

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    for model in (models.PluginModel, models.PluginVersionModel, models.SiteModel, models.InstallationModel):
        events = model._get_connection().connection.client.meta.events
        events.register("before-call.dynamodb", count, unique_id=f"info-{model.__name__}")


def info(client: Client, site_id: str | None = None) -> dict[str, Any]:
    answer = client.http.get(f"/plugins/{SLUG}/info", headers={"X-IGNY8-Site-ID": site_id} if site_id else {})
    assert answer.status_code == 200, answer.body
    body: dict[str, Any] = answer.json_body
    return body


def reads_per_info(count: int, calls: list[str]) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """The calls one info makes (anonymous, and for a site in the newest release's rollout) on a
    plugin with ``count`` versions, and both answers."""
    with deployed() as (client, _):
        site = store_history(count)
        counting(calls)
        anonymous = info(client)
        inside = info(client, site)
        return list(calls), anonymous, inside


def test_info_reads_the_same_at_3_and_at_300_versions(calls: list[str]) -> None:
    few, few_answer, few_inside = reads_per_info(3, calls)
    calls.clear()
    many, many_answer, many_inside = reads_per_info(300, calls)

    # plugin + offered version, twice (each request reads afresh: HOT_CACHE_SECONDS is 0 here)
    assert few == many == ["GetItem", "GetItem", "GetItem", "GetItem"]
    assert (few_answer["version"], many_answer["version"]) == ("1.1.0", "1.298.0")
    assert (few_inside["version"], many_inside["version"]) == ("1.2.0", "1.299.0")  # in the 10%
    # the download map lists the packages kept, not the history: stable, downloadable, not expiring
    assert list(few_answer["versions"]) == ["1.2.0", "1.1.0", "1.0.0"]
    assert list(many_answer["versions"]) == ["1.299.0", "1.298.0", "1.297.0", "1.296.0"]


@pytest.fixture
def warm(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Client, SimpleNamespace, str]]:
    clock = SimpleNamespace(now=5000.0)
    monkeypatch.setattr(ttl_cache, "time", SimpleNamespace(monotonic=lambda: clock.now))
    monkeypatch.setenv("HOT_CACHE_SECONDS", "10")
    with deployed() as (client, _):
        site = store_history(30)
        yield client, clock, site


def test_a_warm_info_reads_nothing_and_a_pull_shows_once_the_bound_has_passed(
    warm: tuple[Client, SimpleNamespace, str], calls: list[str]
) -> None:
    client, clock, site = warm
    first, inside = info(client), info(client, site)
    assert (first["version"], inside["version"]) == ("1.28.0", "1.29.0")
    counting(calls)
    for _ in range(5):  # each caller still told its own version, from memory
        assert (info(client), info(client, site)) == (first, inside)
    assert calls == []
    pulled = client.http.post(
        f"/admin/plugins/{SLUG}/versions/{first['version']}/pull", headers=admin_headers()
    )
    assert pulled.status_code == 200, pulled.body
    clock.now += 9
    assert info(client)["version"] == first["version"]  # within the bound: not read again
    clock.now += 1
    calls.clear()
    after = info(client)
    assert after["version"] == "1.27.0" and first["version"] not in after["versions"]
    assert calls == ["GetItem", "GetItem"]
