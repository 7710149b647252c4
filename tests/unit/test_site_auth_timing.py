"""Site authentication does the same work for an unknown site id as for a known one, so its
timing cannot tell them apart (bench/site_auth_bench.py measures it)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.logic import site_keys
from chalicelib.logic import sites as sites_module
from chalicelib.logic.commands import CreateSite
from chalicelib.logic.errors import Unauthorized
from chalicelib.logic.model import Site
from chalicelib.logic.pacing import Pace
from chalicelib.logic.sites import Sites
from tests.unit.fakes import FakeRepository

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every ``hmac.compare_digest`` the key proof makes, in order."""
    made: list[tuple[str, str]] = []
    real: Callable[[str, str], bool] = hmac.compare_digest

    def counting(a: str, b: str) -> bool:
        made.append((a, b))
        return real(a, b)

    monkeypatch.setattr(site_keys.hmac, "compare_digest", counting)
    return made


def _refusal(sites: Sites, site_id: str, key: str, made: list[tuple[str, str]]) -> int:
    made.clear()
    with pytest.raises(Unauthorized) as refused:
        sites.authenticate(site_id, key)
    assert str(refused.value) == sites_module._REFUSED
    return len(made)


def test_known_unknown_and_revoked_ids_cost_the_same_comparisons(comparisons: list[tuple[str, str]]) -> None:
    repo = FakeRepository()
    sites = Sites(repo, NOW, timedelta(hours=1))
    known, key = sites.create(CreateSite(name="Shop", url="https://shop.example", site_id="site-known"))
    revoked, _ = sites.create(CreateSite(name="Old", url="https://old.example", site_id="site-revoked"))
    sites.revoke(revoked.site_id)
    wrong = key[:-4] + "AAAA"

    counts = {
        "known id, wrong key": _refusal(sites, known.site_id, wrong, comparisons),
        "unknown id": _refusal(sites, "site-unknown", wrong, comparisons),
        "revoked id": _refusal(sites, revoked.site_id, wrong, comparisons),
    }

    assert set(counts.values()) == {2}, counts
    # Every comparison is between two SHA-256 hex digests, whatever the case.
    assert all(len(a) == len(b) == 64 for a, b in comparisons)
    comparisons.clear()
    assert sites.authenticate(known.site_id, key) == known
    assert len(comparisons) == 2


def test_a_previous_key_works_only_within_its_overlap(comparisons: list[tuple[str, str]]) -> None:
    sites = Sites(FakeRepository(), NOW, timedelta(hours=1))
    site, key = sites.create(CreateSite(name="Shop", url="https://shop.example", site_id="site-known"))
    rotated, new_key = sites.rotate(site.site_id)

    assert sites.authenticate(site.site_id, new_key).key_sha256 == rotated.key_sha256
    assert sites.authenticate(site.site_id, key).site_id == site.site_id  # within the overlap
    later = Sites(sites.repo, NOW + timedelta(hours=2), timedelta(hours=1))
    with pytest.raises(Unauthorized):
        later.authenticate(site.site_id, key)


class _Clock:
    """Fake time: reads advance it by what the store would take, sleeps by what they ask."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class _SlowStore(FakeRepository):
    """Reading a present site costs ``hit`` seconds, a missing one ``miss``: what DynamoDB does."""

    def __init__(self, clock: _Clock, hit: float, miss: float) -> None:
        super().__init__()
        self._clock, self._hit, self._miss = clock, hit, miss

    def get_site(self, site_id: str) -> Site | None:
        found = super().get_site(site_id)
        self._clock.now += self._hit if found is not None else self._miss
        return found


def _paced(hit: float, miss: float) -> tuple[Sites, _Clock, str, str]:
    clock = _Clock()
    pace = Pace(granule=0.025, clock=lambda: clock.now, sleep=clock.sleep)
    sites = Sites(_SlowStore(clock, hit, miss), NOW, timedelta(hours=1), pace=pace)
    site, key = sites.create(CreateSite(name="Shop", url="https://shop.example", site_id="site-known"))
    return sites, clock, site.site_id, key


def _refused_after(sites: Sites, clock: _Clock, site_id: str | None, key: str | None) -> float:
    started = clock.now
    with pytest.raises(Unauthorized):
        sites.authenticate(site_id, key)
    return round(clock.now - started, 9)


def test_a_refusal_is_answered_on_the_grid_whatever_the_read_cost() -> None:
    sites, clock, known, key = _paced(hit=0.0034, miss=0.0021)
    wrong = key[:-4] + "AAAA"

    assert _refused_after(sites, clock, known, wrong) == 0.025
    assert _refused_after(sites, clock, "site-unknown", wrong) == 0.025
    # Refused before any read (no key, a malformed id): the same grid.
    assert _refused_after(sites, clock, known, None) == 0.025
    assert _refused_after(sites, clock, "not a site id!", wrong) == 0.025


def test_a_read_slower_than_a_granule_is_answered_on_the_next_multiple() -> None:
    sites, clock, known, key = _paced(hit=0.031, miss=0.026)
    wrong = key[:-4] + "AAAA"

    assert _refused_after(sites, clock, known, wrong) == 0.05
    assert _refused_after(sites, clock, "site-unknown", wrong) == 0.05


def test_a_valid_key_never_waits() -> None:
    sites, clock, known, key = _paced(hit=0.0034, miss=0.0021)
    started = clock.now

    assert sites.authenticate(known, key).site_id == known
    assert clock.slept == []
    assert round(clock.now - started, 9) == 0.0034
