"""Releasing a version: the transition that makes sites start seeing an update."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.logic.errors import Conflict, InvalidInput, NotFound
from chalicelib.logic.model import Platform, Plugin, PluginVersion, Status
from chalicelib.logic.releases import release
from tests.unit.fakes import FakeRepository

SLUG = "igny8-wp-bridge"
CREATED = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 5, 6, 15, 4, 5, tzinfo=UTC)


class RacingRepository(FakeRepository):
    """Runs ``race`` (another admin's action) once, just before the next version write lands."""

    def __init__(self) -> None:
        super().__init__()
        self.race: Callable[[], None] | None = None

    def save_version(self, version: PluginVersion, *, expected: Status | None) -> None:
        race, self.race = self.race, None
        if race is not None:
            race()
        super().save_version(version, expected=expected)


#: (version, status) or (version, status, channel)
Spec = tuple[str, Status] | tuple[str, Status, str]


def make_repo(*versions: Spec, latest: dict[str, str] | None = None) -> RacingRepository:
    repo = RacingRepository()
    repo.save_plugin(
        Plugin(
            slug=SLUG,
            name="IGNY8 WordPress Bridge",
            platform=Platform.WORDPRESS,
            created_at=CREATED,
            updated_at=CREATED,
            latest=dict(latest or {}),
        )
    )
    for number, status, *channel in versions:
        repo.put_version(
            PluginVersion(
                slug=SLUG,
                version=number,
                status=status,
                created_at=CREATED,
                channel=channel[0] if channel else "stable",
                released_at=CREATED if status is Status.RELEASED else None,
                sha256="ab" * 32,
            )
        )
    return repo


def latest(repo: FakeRepository) -> dict[str, str]:
    plugin = repo.get_plugin(SLUG)
    assert plugin is not None
    return plugin.latest


def status_of(repo: FakeRepository, version: str) -> Status:
    record = repo.get_version(SLUG, version)
    assert record is not None
    return record.status


@pytest.mark.parametrize("status", [Status.DRAFT, Status.TESTING, Status.STAGED], ids=str)
def test_release_publishes_the_version(status: Status) -> None:
    repo = make_repo(("1.2.0", status))

    released = release(repo, SLUG, "1.2.0", NOW)

    assert released.status is Status.RELEASED
    assert released.released_at == NOW
    stored = repo.get_version(SLUG, "1.2.0")
    assert stored == released
    assert latest(repo) == {"stable": "1.2.0"}
    plugin = repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.updated_at == NOW


@pytest.mark.parametrize(
    ("already", "releasing", "expected_latest"),
    [
        pytest.param("1.2.0", "1.1.0", "1.2.0", id="older-release-keeps-pointer"),
        pytest.param("1.10.0", "1.9.0", "1.10.0", id="1.9.0-is-older-than-1.10.0"),
        pytest.param("1.9.0", "1.10.0", "1.10.0", id="1.10.0-moves-pointer-past-1.9.0"),
        pytest.param("1.2.0-RC1", "1.2.0", "1.2.0", id="final-moves-pointer-past-RC"),
        pytest.param("1.2.0", "1.2.0-RC1", "1.2.0", id="late-RC-keeps-pointer"),
    ],
)
def test_the_latest_pointer_only_moves_up(already: str, releasing: str, expected_latest: str) -> None:
    repo = make_repo((already, Status.DRAFT), (releasing, Status.DRAFT))
    release(repo, SLUG, already, NOW)

    released = release(repo, SLUG, releasing, NOW + timedelta(hours=1))

    assert released.status is Status.RELEASED
    assert status_of(repo, releasing) is Status.RELEASED
    assert latest(repo) == {"stable": expected_latest}


def test_channels_have_their_own_pointer() -> None:
    repo = make_repo(
        ("1.2.0", Status.RELEASED), ("2.0.0-beta1", Status.DRAFT, "beta"), latest={"stable": "1.2.0"}
    )

    release(repo, SLUG, "2.0.0-beta1", NOW)

    assert latest(repo) == {"stable": "1.2.0", "beta": "2.0.0-beta1"}


def test_releasing_a_released_version_again_changes_nothing() -> None:
    repo = make_repo(("1.2.0", Status.DRAFT))
    first = release(repo, SLUG, "1.2.0", NOW)
    plugin_before = repo.get_plugin(SLUG)

    again = release(repo, SLUG, "1.2.0", NOW + timedelta(days=1))

    assert again == first
    assert again.released_at == NOW
    assert repo.get_version(SLUG, "1.2.0") == first
    assert repo.get_plugin(SLUG) == plugin_before


@pytest.mark.parametrize("status", [Status.FAILED, Status.DEPRECATED, Status.PULLED], ids=str)
def test_versions_past_or_outside_the_path_to_release_cannot_be_released(status: Status) -> None:
    repo = make_repo(("1.0.0", Status.RELEASED), ("1.1.0", status), latest={"stable": "1.0.0"})
    version_before = repo.get_version(SLUG, "1.1.0")
    plugin_before = repo.get_plugin(SLUG)

    with pytest.raises(Conflict) as refused:
        release(repo, SLUG, "1.1.0", NOW)

    assert refused.value.code == "invalid_transition"
    assert repo.get_version(SLUG, "1.1.0") == version_before
    assert repo.get_plugin(SLUG) == plugin_before


def test_an_unknown_version_is_not_found() -> None:
    repo = make_repo(("1.0.0", Status.DRAFT))

    with pytest.raises(NotFound):
        release(repo, SLUG, "9.9.9", NOW)


def test_an_unknown_plugin_is_not_found() -> None:
    with pytest.raises(NotFound):
        release(FakeRepository(), "no-such-plugin", "1.0.0", NOW)


def test_a_version_without_its_plugin_record_is_not_found() -> None:
    repo = FakeRepository()
    repo.put_version(PluginVersion(slug=SLUG, version="1.0.0", status=Status.DRAFT, created_at=CREATED))

    with pytest.raises(NotFound):
        release(repo, SLUG, "1.0.0", NOW)
    assert status_of(repo, "1.0.0") is Status.DRAFT


def test_a_malformed_version_is_a_client_error() -> None:
    with pytest.raises(InvalidInput) as refused:
        release(make_repo(("1.0.0", Status.DRAFT)), SLUG, "1.0.0;drop", NOW)

    assert refused.value.code == "invalid_version"


def test_a_version_changed_by_someone_else_meanwhile_is_not_overwritten() -> None:
    repo = make_repo(("1.0.0", Status.RELEASED), ("1.1.0", Status.STAGED), latest={"stable": "1.0.0"})

    def another_admin_pulls_it() -> None:
        record = repo.get_version(SLUG, "1.1.0")
        assert record is not None
        record.status = Status.PULLED
        repo.put_version(record)

    repo.race = another_admin_pulls_it

    with pytest.raises(Conflict):
        release(repo, SLUG, "1.1.0", NOW)

    assert status_of(repo, "1.1.0") is Status.PULLED
    assert latest(repo) == {"stable": "1.0.0"}


def test_two_admins_releasing_at_once_never_move_the_pointer_down() -> None:
    """Admin A releases 1.1.0 while admin B releases 1.2.0; both succeed, in either interleaving
    the plugin must end up pointing at 1.2.0."""
    repo = make_repo(
        ("1.0.0", Status.RELEASED),
        ("1.1.0", Status.DRAFT),
        ("1.2.0", Status.DRAFT),
        latest={"stable": "1.0.0"},
    )

    def admin_b_releases_1_2_0() -> None:
        release(repo, SLUG, "1.2.0", NOW)

    repo.race = admin_b_releases_1_2_0  # lands after A has read the plugin, before A writes

    release(repo, SLUG, "1.1.0", NOW)

    assert status_of(repo, "1.1.0") is Status.RELEASED
    assert status_of(repo, "1.2.0") is Status.RELEASED
    assert latest(repo) == {"stable": "1.2.0"}
