"""The warm-answer cache: fresh for its seconds, then read again; bounded; refusals never kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.logic.errors import Unauthorized
from chalicelib.logic.hotcache import HotReads
from chalicelib.logic.model import Platform, Site
from chalicelib.logic.plugins import new_plugin
from chalicelib.logic.ttl_cache import TtlCache
from chalicelib.settings import SettingsError, load_settings
from tests.unit.fakes import FakeRepository

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_served_for_its_seconds_then_loaded_again() -> None:
    clock, loads = Clock(), []
    cache: TtlCache[str, int] = TtlCache(10, 8, clock)
    load = lambda: loads.append(1) or len(loads)  # noqa: E731
    assert cache.get("a", load) == 1
    clock.now += 9.9
    assert cache.get("a", load) == 1
    clock.now += 0.1
    assert cache.get("a", load) == 2


def test_zero_seconds_keeps_nothing() -> None:
    cache: TtlCache[str, int] = TtlCache(0, 8, Clock())
    values = iter(range(10))
    assert [cache.get("a", lambda: next(values)) for _ in range(3)] == [0, 1, 2]


def test_the_least_recently_used_goes_first_past_the_capacity() -> None:
    cache: TtlCache[str, str] = TtlCache(10, 2, Clock())
    for key in ("a", "b"):
        cache.get(key, lambda k=key: k)
    cache.get("a", lambda: "reloaded")  # a is now the most recent
    cache.get("c", lambda: "c")
    assert cache.fresh("b") is None
    assert cache.fresh("a") == "a" and cache.fresh("c") == "c"


def test_a_release_change_shows_within_the_bound() -> None:
    clock, repo = Clock(), FakeRepository()
    repo.save_plugin(new_plugin("bridge", "Bridge", Platform.WORDPRESS, NOW))
    hot = HotReads(repo, 10, clock=clock)
    assert hot.plugin("bridge") is not None and hot.platform("wordpress")[0].description == ""
    stored = repo.get_plugin("bridge")
    assert stored is not None
    stored.description = "changed"
    repo.save_plugin(stored)
    assert hot.plugin("bridge").description == ""  # type: ignore[union-attr]
    clock.now += 10
    assert hot.plugin("bridge").description == "changed"  # type: ignore[union-attr]
    assert hot.platform("wordpress")[0].description == "changed"


def test_a_verified_key_is_trusted_for_the_bound_and_a_refusal_is_never_kept() -> None:
    clock = Clock()
    hot = HotReads(FakeRepository(), 10, clock=clock)
    site = Site("s1", "Blog", "https://b.example", "h", "k", NOW)
    calls: list[str] = []

    def accept() -> Site:
        calls.append("accept")
        return site

    def refuse() -> Site:
        calls.append("refuse")
        raise Unauthorized("invalid site credentials")

    for _ in range(2):
        with pytest.raises(Unauthorized):
            hot.site("s1", "wrong", refuse)
    assert hot.site("s1", "right", accept) is site
    assert hot.site("s1", "right", refuse) is site  # a revoke within the bound is not seen yet
    clock.now += 10
    with pytest.raises(Unauthorized):
        hot.site("s1", "right", refuse)
    assert calls == ["refuse", "refuse", "accept", "refuse"]


def test_the_same_offer_again_is_not_recorded_again_within_the_bound() -> None:
    clock = Clock()
    hot = HotReads(FakeRepository(), 10, clock=clock)
    assert hot.offer_changed("s1", "bridge", "1.1.0") is True
    assert hot.offer_changed("s1", "bridge", "1.1.0") is False
    assert hot.offer_changed("s1", "bridge", "1.2.0") is True
    clock.now += 10
    assert hot.offer_changed("s1", "bridge", "1.2.0") is True


@pytest.mark.parametrize("value", ["-1", "ten"])
def test_a_bad_cache_setting_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HOT_CACHE_SECONDS", value)
    with pytest.raises(SettingsError, match="HOT_CACHE_SECONDS"):
        load_settings()
