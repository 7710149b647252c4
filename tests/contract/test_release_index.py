"""The release index against both repositories: it always equals what the versions give, whatever
sequence of release actions, settings, retention and packager registrations made them, and the
hot path's answers from it are the answers the whole versions give."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest

from chalicelib.logic.checks import check_update
from chalicelib.logic.commands import ReleaseSettings
from chalicelib.logic.decision import SiteRequest, choose_download
from chalicelib.logic.errors import Conflict, DomainError
from chalicelib.logic.links import Links
from chalicelib.logic.model import Status
from chalicelib.logic.ports import Repository
from chalicelib.logic.release import complete, ordered
from chalicelib.logic.release_index import full, index_of, lookup
from chalicelib.logic.releases import TRANSITIONS, Releases
from tests.contract.test_repository_contract import NOW, SLUG, plugin, repo, version
from tests.unit.fakes import FakeStore

__all__ = ["repo"]  # the fixture, run against the fake and DynamoDB

LINKS = Links("https://plugins.test/api")
NUMBERS = [f"1.{n}.0" for n in range(8)]


def _assert_index_is_the_versions(repo: Repository, rng: random.Random) -> None:
    stored = repo.get_plugin(SLUG)
    assert stored is not None
    versions = repo.versions(SLUG)
    assert stored.releases == index_of(versions)
    for current in ("0.9.0", "1.3.5", *rng.sample(NUMBERS, 2)):
        for site_id in (None, "site-a"):
            site = SiteRequest(current, site_id=site_id, wp_version="6.0")
            fast = check_update(stored, ordered(stored.releases), site, LINKS, lookup(repo, SLUG))
            assert fast == check_update(stored, [full(v) for v in versions], site, LINKS)
    for pinned in (None, rng.choice(NUMBERS)):
        assert _download(repo, pinned, fast=True) == _download(repo, pinned, fast=False)


def _download(repo: Repository, pinned: str | None, *, fast: bool) -> tuple[str, str]:
    stored = repo.get_plugin(SLUG)
    assert stored is not None
    try:
        if fast:
            chosen = choose_download(complete(stored.releases), pinned, SLUG, NOW, lookup(repo, SLUG))
            return chosen.version, chosen.file_path
        whole = choose_download(repo.versions(SLUG), pinned, SLUG, NOW)
        return whole.version, whole.file_path
    except DomainError as refused:
        return refused.code, str(refused)


@pytest.mark.parametrize("seed", [7, 2026])
def test_the_index_follows_every_sequence_of_release_actions(repo: Repository, seed: int) -> None:
    rng = random.Random(seed)
    repo.save_plugin(plugin(rollout_salt="salt"))
    for number in NUMBERS:
        repo.save_version(version(number, file_path=f"p/{number}.zip", sha256="ab" * 32), expected=None)
    releases = Releases(repo, FakeStore(), NOW, actor="test")
    for step in range(25):
        number = rng.choice(NUMBERS)
        kind = rng.random()
        try:
            if kind < 0.7:
                settings = ReleaseSettings(
                    rollout_percent=rng.choice([None, 0, 30, 100]),
                    force_update=rng.choice([None, True, False]),
                    channel=rng.choice([None, "stable", "beta"]),
                )
                releases.apply(SLUG, number, rng.choice([None, *TRANSITIONS]), settings)
            else:  # the packager registers a draft again with new bytes, or an admin's setting
                stored = repo.get_version(SLUG, number)
                assert stored is not None
                changed = dataclasses.replace(
                    stored,
                    requires=rng.choice([None, "5.0", "7.0"]),
                    offer_above=rng.choice([None, "1.1.0"]),
                    sha256=f"{step:02d}" * 32,
                )
                repo.save_version(changed, expected=stored)
        except Conflict:
            pass
        _assert_index_is_the_versions(repo, rng)


def test_a_refused_write_changes_neither_the_version_nor_the_index(repo: Repository) -> None:
    repo.save_plugin(plugin())
    draft = version("1.0.0")
    repo.save_version(draft, expected=None)
    released = dataclasses.replace(draft, status=Status.RELEASED, released_at=NOW)
    repo.save_version(released, expected=draft)
    stale = dataclasses.replace(draft, status=Status.PULLED)
    with pytest.raises(Conflict):
        repo.save_version(stale, expected=draft)
    stored = repo.get_plugin(SLUG)
    assert stored is not None and stored.releases["1.0.0"].status is Status.RELEASED


def test_versions_stored_before_their_plugin_are_indexed_when_it_is_created(repo: Repository) -> None:
    repo.save_version(version("1.0.0", status=Status.RELEASED, released_at=NOW), expected=None)
    repo.save_plugin(plugin())
    stored = repo.get_plugin(SLUG)
    assert stored is not None and list(stored.releases) == ["1.0.0"]


def test_a_version_write_moves_the_plugin_revision_so_a_stale_plugin_save_cannot_undo_the_index(
    repo: Repository,
) -> None:
    repo.save_plugin(plugin())
    read_before = repo.get_plugin(SLUG)
    assert read_before is not None
    repo.save_version(version("1.0.0", status=Status.RELEASED, released_at=NOW), expected=None)
    read_before.description = "changed"
    with pytest.raises(Conflict):
        repo.save_plugin(read_before)
    stored = repo.get_plugin(SLUG)
    assert stored is not None and list(stored.releases) == ["1.0.0"]


def test_the_index_stays_small_as_history_grows(repo: Repository) -> None:
    """Drafts, failures and deprecated versions whose packages expire leave no entry."""
    repo.save_plugin(plugin())
    expiring = NOW + timedelta(days=30)
    for n in range(40):
        status = Status.DEPRECATED if n < 37 else Status.RELEASED
        expires = expiring if n < 34 else None
        repo.save_version(
            version(f"2.{n}.0", status=status, released_at=NOW, package_expires_at=expires), expected=None
        )
    repo.save_version(version("3.0.0", status=Status.FAILED), expected=None)
    stored = repo.get_plugin(SLUG)
    assert stored is not None
    assert sorted(stored.releases) == sorted(f"2.{n}.0" for n in range(34, 40))
    refused = _download(repo, "2.1.0", fast=True)
    assert refused == _download(repo, "2.1.0", fast=False) == ("2.1.0", "")


def test_reindex_builds_the_index_of_a_plugin_stored_before_it_existed(repo: Repository) -> None:
    repo.save_plugin(plugin())
    repo.save_version(version("1.0.0", status=Status.RELEASED, released_at=NOW), expected=None)
    stored = repo.get_plugin(SLUG)
    assert stored is not None
    stored.releases = {}
    repo.save_plugin(stored)  # as an item written before the index existed reads back
    repo.reindex(SLUG)
    rebuilt = repo.get_plugin(SLUG)
    assert rebuilt is not None and rebuilt.releases == index_of(repo.versions(SLUG))
    assert list(rebuilt.releases) == ["1.0.0"]
