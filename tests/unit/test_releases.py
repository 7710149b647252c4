"""Release management: lifecycle, settings, audit, push-update, retention and rollback."""

from __future__ import annotations

import dataclasses
import random
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from chalicelib.logic.commands import ReleaseSettings
from chalicelib.logic.decision import choose_download
from chalicelib.logic.errors import Conflict, Gone, InvalidInput, NotFound
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import (
    OFFERED,
    Installation,
    Platform,
    Plugin,
    PluginVersion,
    Status,
    check_version,
)
from chalicelib.logic.releases import (
    KEEP_RELEASED,
    RETENTION_GRACE,
    TRANSITIONS,
    Releases,
    next_patch,
)
from chalicelib.logic.versions import version_compare
from tests.unit.fakes import FakeRepository, FakeStore, FixedClock

SLUG = "igny8-wp-bridge"
ACTOR = "admin@igny8.com"
CREATED = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 5, 6, 15, 4, 5, tzinfo=UTC)
RELEASED_LIKE = {Status.RELEASED, Status.UPDATE_READY, Status.DEPRECATED, Status.PULLED}


class RacingRepository(FakeRepository):
    """Runs ``race`` (another writer) once, after the code under test read, before it writes."""

    def __init__(self) -> None:
        super().__init__()
        self.race: Callable[[], None] | None = None

    def save_version(self, version: PluginVersion, *, expected: PluginVersion | None) -> None:
        race, self.race = self.race, None
        if race is not None:
            race()
        super().save_version(version, expected=expected)


#: (version, status) or (version, status, channel)
Spec = tuple[str, Status] | tuple[str, Status, str]


def package_key(version: str) -> str:
    return f"packages/wordpress/{SLUG}/{SLUG}-v{version}.zip"


def make_world(*versions: Spec) -> tuple[RacingRepository, FakeStore]:
    """A plugin with ``versions`` stored (and packaged), its latest pointer as the code keeps it."""
    repo, store = RacingRepository(), FakeStore()
    repo.save_plugin(
        Plugin(
            slug=SLUG,
            name="IGNY8 WordPress Bridge",
            platform=Platform.WORDPRESS,
            created_at=CREATED,
            updated_at=CREATED,
            rollout_salt="0123456789abcdef",
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
                released_at=CREATED if status in RELEASED_LIKE else None,
                file_path=package_key(number),
                sha256="ab" * 32,
            )
        )
        store.packages[package_key(number)] = f"zip of {number}".encode()
    Releases(repo, store, CREATED, "seed").refresh_latest(SLUG)
    return repo, store


def releases(repo: FakeRepository, store: FakeStore, now: datetime = NOW) -> Releases:
    return Releases(repo, store, now, ACTOR)


def latest(repo: FakeRepository) -> dict[str, str]:
    plugin = repo.get_plugin(SLUG)
    assert plugin is not None
    return plugin.latest


def record(repo: FakeRepository, version: str) -> PluginVersion:
    stored = repo.get_version(SLUG, version)
    assert stored is not None
    return stored


# --- lifecycle ---------------------------------------------------------------------------------------

ALLOWED = [
    pytest.param(action, start, id=f"{action}-from-{start.value}")
    for action, (starts, _) in TRANSITIONS.items()
    for start in sorted(starts)
]
REFUSED = [
    pytest.param(action, start, id=f"{action}-from-{start.value}")
    for action, (starts, target) in TRANSITIONS.items()
    for start in Status
    if start not in starts and start is not target
]
ALREADY_THERE = [pytest.param(action, target, id=action) for action, (_, target) in TRANSITIONS.items()]


@pytest.mark.parametrize(("action", "start"), ALLOWED)
def test_every_allowed_transition_moves_the_version(action: str, start: Status) -> None:
    repo, store = make_world(("1.0.0", start))
    before = record(repo, "1.0.0")
    target = TRANSITIONS[action][1]

    changed = releases(repo, store).apply(SLUG, "1.0.0", action)

    assert changed.status is target
    assert record(repo, "1.0.0") == changed
    if before.released_at is not None:
        assert changed.released_at == before.released_at  # first offered long ago: kept
    elif target in OFFERED:
        assert changed.released_at == NOW  # first offered now
    else:
        assert changed.released_at is None
    assert latest(repo) == ({"stable": "1.0.0"} if target in OFFERED else {})
    [entry] = repo.audit_log
    assert (entry.slug, entry.actor, entry.action, entry.version, entry.at) == (
        SLUG,
        ACTOR,
        action,
        "1.0.0",
        NOW,
    )
    assert entry.before["status"] == start.value
    assert entry.after["status"] == target.value


@pytest.mark.parametrize(("action", "start"), REFUSED)
def test_every_other_transition_is_refused_and_changes_nothing(action: str, start: Status) -> None:
    repo, store = make_world(("0.9.0", Status.RELEASED), ("1.0.0", start))
    before, pointer = record(repo, "1.0.0"), latest(repo)

    with pytest.raises(Conflict) as refused:
        releases(repo, store).apply(SLUG, "1.0.0", action)

    assert refused.value.code == "invalid_transition"
    assert record(repo, "1.0.0") == before
    assert latest(repo) == pointer
    assert repo.audit_log == []


@pytest.mark.parametrize(("action", "status"), ALREADY_THERE)
def test_asking_for_the_status_a_version_already_has_changes_nothing(action: str, status: Status) -> None:
    repo, store = make_world(("1.0.0", status))
    before, pointer = record(repo, "1.0.0"), latest(repo)

    again = releases(repo, store, NOW + timedelta(days=1)).apply(SLUG, "1.0.0", action)

    assert again == before
    assert record(repo, "1.0.0") == before
    assert record(repo, "1.0.0").released_at == before.released_at
    assert latest(repo) == pointer
    assert repo.audit_log == []


def test_releasing_twice_keeps_the_first_release_date() -> None:
    repo, store = make_world(("1.0.0", Status.STAGED))
    first = releases(repo, store).apply(SLUG, "1.0.0", "release")

    again = releases(repo, store, NOW + timedelta(days=3)).apply(SLUG, "1.0.0", "release")

    assert again.released_at == first.released_at == NOW
    assert len(repo.audit_log) == 1


def test_push_update_after_release_keeps_the_release_date() -> None:
    repo, store = make_world(("1.0.0", Status.STAGED))
    releases(repo, store).apply(SLUG, "1.0.0", "release")

    pushed = releases(repo, store, NOW + timedelta(days=2)).apply(SLUG, "1.0.0", "push-update")

    assert pushed.status is Status.UPDATE_READY
    assert pushed.released_at == NOW


# --- settings --------------------------------------------------------------------------------------


def test_settings_apply_without_an_action() -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED))

    changed = releases(repo, store).apply(
        SLUG, "1.0.0", None, ReleaseSettings(rollout_percent=25, channel="beta", force_update=True)
    )

    assert (changed.status, changed.rollout_percent, changed.channel, changed.force_update) == (
        Status.RELEASED,
        25,
        "beta",
        True,
    )
    assert record(repo, "1.0.0") == changed
    assert latest(repo) == {"beta": "1.0.0"}  # moved to beta: stable has nothing offered now
    [entry] = repo.audit_log
    assert (entry.action, entry.actor, entry.version) == ("configure", ACTOR, "1.0.0")
    assert (entry.before["rollout_percent"], entry.after["rollout_percent"]) == (100, 25)
    assert (entry.before["channel"], entry.after["channel"]) == ("stable", "beta")
    assert (entry.before["force_update"], entry.after["force_update"]) == (False, True)


def test_settings_apply_together_with_an_action() -> None:
    repo, store = make_world(("1.0.0", Status.STAGED))

    changed = releases(repo, store).apply(
        SLUG, "1.0.0", "release", ReleaseSettings(rollout_percent=10, force_update=True)
    )

    assert (changed.status, changed.rollout_percent, changed.force_update) == (Status.RELEASED, 10, True)
    assert changed.channel == "stable"
    assert record(repo, "1.0.0") == changed
    [entry] = repo.audit_log
    assert entry.action == "release"
    assert entry.before == {
        "status": "staged",
        "channel": "stable",
        "rollout_percent": 100,
        "force_update": False,
        "released_at": None,
    }
    assert entry.after == {
        "status": "released",
        "channel": "stable",
        "rollout_percent": 10,
        "force_update": True,
        "released_at": "2024-05-06T15:04:05Z",
    }


@pytest.mark.parametrize("percent", [0, 1, 50, 100])
def test_any_percent_from_0_to_100_is_accepted(percent: int) -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED))
    releases(repo, store).apply(SLUG, "1.0.0", None, ReleaseSettings(rollout_percent=50))

    changed = releases(repo, store).apply(SLUG, "1.0.0", None, ReleaseSettings(rollout_percent=percent))

    assert record(repo, "1.0.0").rollout_percent == changed.rollout_percent == percent


@pytest.mark.parametrize(
    ("given", "stored"),
    [(2.5, 2.5), ("2.5", 2.5), (0.01, 0.01), ("8.34", 8.34), (10.0, 10), ("100.00", 100), (99.99, 99.99)],
)
def test_a_percent_in_hundredths_is_accepted_and_a_whole_one_stays_whole(
    given: float | str, stored: float
) -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED))
    releases(repo, store).apply(SLUG, "1.0.0", None, ReleaseSettings(rollout_percent=50))

    changed = releases(repo, store).apply(
        SLUG, "1.0.0", None, parse(ReleaseSettings, {"percent": given}, "body")
    )

    assert record(repo, "1.0.0").rollout_percent == changed.rollout_percent == stored
    assert type(changed.rollout_percent) is type(stored)
    assert repo.audit_log[-1].after["rollout_percent"] == stored


def test_settings_that_change_nothing_leave_no_audit_entry() -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED))
    before = record(repo, "1.0.0")

    same = releases(repo, store).apply(
        SLUG, "1.0.0", None, ReleaseSettings(rollout_percent=100, channel="stable", force_update=False)
    )

    assert same == before == record(repo, "1.0.0")
    assert repo.audit_log == []


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        pytest.param({"rollout_percent": 101}, "invalid_percent", id="101"),
        pytest.param({"percent": -1}, "invalid_percent", id="-1"),
        pytest.param({"rollout_percent": True}, "invalid_percent", id="True-as-percent"),
        pytest.param({"rollout_percent": 12.345}, "invalid_percent", id="three-decimals"),
        pytest.param({"rollout_percent": float("nan")}, "invalid_percent", id="NaN"),
        pytest.param({"rollout_percent": float("inf")}, "invalid_percent", id="inf"),
        pytest.param({"rollout_percent": "2.5.1"}, "invalid_percent", id="not-a-number"),
        pytest.param({"rollout_percent": 100.01}, "invalid_percent", id="100.01"),
        pytest.param({"rollout_percent": "5O"}, "invalid_percent", id="'5O'"),
        pytest.param({"rollout_percent": "\u00b2"}, "invalid_percent", id="superscript-two"),
        pytest.param({"rollout_percent": "9" * 5000}, "invalid_percent", id="5000-digits"),
        pytest.param({"channel": "nightly"}, "invalid_channel", id="nightly"),
        pytest.param({"channel": "Stable"}, "invalid_channel", id="Stable"),
        pytest.param({"force_update": "yes"}, "invalid_force_update", id="yes"),
        pytest.param({"force_update": 1}, "invalid_force_update", id="1-as-force"),
        pytest.param({"colour": "red"}, "unknown_field", id="unknown"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(settings: dict[str, Any], code: str) -> None:
    repo, store = make_world(("1.0.0", Status.STAGED))
    before = record(repo, "1.0.0")

    with pytest.raises(InvalidInput) as refused:
        releases(repo, store).apply(SLUG, "1.0.0", "release", parse(ReleaseSettings, settings, "body"))

    assert refused.value.code == code
    assert record(repo, "1.0.0") == before
    assert latest(repo) == {}
    assert repo.audit_log == []


# --- not found / malformed -------------------------------------------------------------------------


def test_an_unknown_version_is_not_found() -> None:
    repo, store = make_world(("1.0.0", Status.DRAFT))

    with pytest.raises(NotFound):
        releases(repo, store).apply(SLUG, "9.9.9", "release")
    assert repo.audit_log == []


def test_an_unknown_plugin_is_not_found() -> None:
    repo, store = make_world(("1.0.0", Status.DRAFT))

    with pytest.raises(NotFound):
        releases(repo, store).apply("no-such-plugin", "1.0.0", "release")
    assert record(repo, "1.0.0").status is Status.DRAFT


def test_a_version_without_its_plugin_record_is_not_found() -> None:
    repo = FakeRepository()
    repo.put_version(PluginVersion(slug=SLUG, version="1.0.0", status=Status.DRAFT, created_at=CREATED))

    with pytest.raises(NotFound):
        releases(repo, FakeStore()).apply(SLUG, "1.0.0", "release")
    assert record(repo, "1.0.0").status is Status.DRAFT


def test_a_malformed_version_is_a_client_error() -> None:
    repo, store = make_world(("1.0.0", Status.DRAFT))

    with pytest.raises(InvalidInput) as refused:
        releases(repo, store).apply(SLUG, "1.0.0;drop", "release")

    assert refused.value.code == "invalid_version"


# --- concurrency -----------------------------------------------------------------------------------


def test_a_change_made_meanwhile_by_someone_else_is_not_overwritten() -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED), ("1.1.0", Status.STAGED))

    def another_admin_sets_the_percent() -> None:
        theirs = record(repo, "1.1.0")
        repo.save_version(dataclasses.replace(theirs, rollout_percent=5), expected=theirs)

    repo.race = another_admin_sets_the_percent

    with pytest.raises(Conflict):
        releases(repo, store).apply(SLUG, "1.1.0", "release")

    survivor = record(repo, "1.1.0")
    assert (survivor.status, survivor.rollout_percent, survivor.released_at) == (Status.STAGED, 5, None)
    assert latest(repo) == {"stable": "1.0.0"}
    assert repo.audit_log == []


def test_a_pull_meanwhile_wins_over_a_release() -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED), ("1.1.0", Status.STAGED))
    repo.race = lambda: releases(repo, store).apply(SLUG, "1.0.0", "pull")

    releases(repo, store).apply(SLUG, "1.1.0", "release")  # another record: no conflict

    assert record(repo, "1.0.0").status is Status.PULLED
    assert record(repo, "1.1.0").status is Status.RELEASED
    assert latest(repo) == {"stable": "1.1.0"}


def test_two_admins_releasing_at_once_never_move_the_pointer_down() -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED), ("1.1.0", Status.DRAFT), ("1.2.0", Status.DRAFT))
    repo.race = lambda: releases(repo, store).apply(SLUG, "1.2.0", "release")

    releases(repo, store).apply(SLUG, "1.1.0", "release")

    assert record(repo, "1.1.0").status is record(repo, "1.2.0").status is Status.RELEASED
    assert latest(repo) == {"stable": "1.2.0"}


# --- latest pointer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("already", "releasing", "expected"),
    [
        pytest.param("1.2.0", "1.1.0", "1.2.0", id="older-release-keeps-pointer"),
        pytest.param("1.10.0", "1.9.0", "1.10.0", id="1.9.0-is-older-than-1.10.0"),
        pytest.param("1.9.0", "1.10.0", "1.10.0", id="1.10.0-moves-pointer-past-1.9.0"),
        pytest.param("1.2.0-RC1", "1.2.0", "1.2.0", id="final-moves-pointer-past-RC"),
        pytest.param("1.2.0", "1.2.0-RC1", "1.2.0", id="late-RC-keeps-pointer"),
    ],
)
def test_releasing_moves_the_pointer_only_up(already: str, releasing: str, expected: str) -> None:
    repo, store = make_world((already, Status.RELEASED), (releasing, Status.STAGED))

    releases(repo, store).apply(SLUG, releasing, "release")

    assert latest(repo) == {"stable": expected}


@pytest.mark.parametrize("action", ["pull", "deprecate"])
def test_pulling_or_deprecating_the_latest_moves_the_pointer_down(action: str) -> None:
    repo, store = make_world(
        ("1.0.0", Status.RELEASED),
        ("1.1.0", Status.PULLED),
        ("1.2.0", Status.UPDATE_READY),
        ("1.3.0", Status.RELEASED),
        ("1.4.0", Status.STAGED),
        ("2.0.0-beta1", Status.RELEASED, "beta"),
    )
    assert latest(repo) == {"stable": "1.3.0", "beta": "2.0.0-beta1"}

    releases(repo, store).apply(SLUG, "1.3.0", action)
    assert latest(repo) == {"stable": "1.2.0", "beta": "2.0.0-beta1"}

    releases(repo, store).apply(SLUG, "1.2.0", action)
    assert latest(repo) == {"stable": "1.0.0", "beta": "2.0.0-beta1"}  # 1.1.0 is pulled: skipped


def test_pulling_the_last_offered_version_leaves_no_pointer() -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED))

    releases(repo, store).apply(SLUG, "1.0.0", "pull")

    assert "stable" not in latest(repo)


def test_beta_releases_leave_the_stable_pointer_alone() -> None:
    repo, store = make_world(("1.2.0", Status.RELEASED), ("2.0.0-beta1", Status.STAGED, "beta"))

    releases(repo, store).apply(SLUG, "2.0.0-beta1", "release")
    assert latest(repo) == {"stable": "1.2.0", "beta": "2.0.0-beta1"}

    releases(repo, store).apply(SLUG, "2.0.0-beta1", "pull")
    assert latest(repo) == {"stable": "1.2.0"}


# --- push-update: installations ----------------------------------------------------------------------


def test_push_update_marks_the_installations_below_the_version() -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED), ("1.2.0", Status.STAGED))
    sites = {"old": "1.0.0", "older": "0.9", "rc": "1.2.0-RC1", "same": "1.2.0", "ahead": "1.10.0"}
    for site, current in sites.items():
        repo.save_installation(
            Installation(
                site_id=site, slug=SLUG, created_at=CREATED, updated_at=CREATED, current_version=current
            )
        )
    pushed = releases(repo, store).apply(SLUG, "1.2.0", "push-update")

    count = releases(repo, store).notify_installations(pushed)

    assert count == 3
    after = {i.site_id: i for i in repo.installations_of(SLUG)}
    for site in ("old", "older", "rc"):
        assert (after[site].pending_update, after[site].update_notified_at) == ("1.2.0", NOW)
    for site in ("same", "ahead"):
        assert (after[site].pending_update, after[site].update_notified_at) == (None, None)
        assert after[site].updated_at == CREATED


def test_push_update_with_no_installations_notifies_nobody() -> None:
    repo, store = make_world(("1.2.0", Status.UPDATE_READY))

    assert releases(repo, store).notify_installations(record(repo, "1.2.0")) == 0


# --- retention -------------------------------------------------------------------------------------


def test_deprecating_old_versions_lets_their_packages_expire_but_keeps_the_newest_and_rollback_targets() -> (
    None
):
    numbers = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.4.1"]
    repo, store = make_world(*((n, Status.RELEASED) for n in numbers))
    target = record(repo, "1.4.1")
    repo.put_version(dataclasses.replace(target, rollback_of="1.1.0"))  # 1.4.1 republished 1.1.0
    clock = FixedClock(NOW)
    deprecated_at = {}
    for number in numbers:
        deprecated_at[number] = clock.now
        releases(repo, store, clock.now).apply(SLUG, number, "deprecate")
        clock.advance(hours=1)

    kept = {"1.4.1", "1.4.0", "1.3.0", "1.1.0"}  # newest 3 + the rollback target
    for number in numbers:
        version = record(repo, number)
        assert version.status is Status.DEPRECATED
        if number in kept:
            assert version.package_expires_at is None, number
        else:
            assert version.package_expires_at == deprecated_at[number] + RETENTION_GRACE, number
    assert store.expirable == {package_key("1.0.0"), package_key("1.2.0")}
    expired = [entry for entry in repo.audit_log if entry.action == "expire"]
    assert sorted(entry.version or "" for entry in expired) == ["1.0.0", "1.2.0"]
    assert KEEP_RELEASED == 3


def test_an_expired_package_is_downloadable_until_its_moment_then_gone() -> None:
    numbers = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    repo, store = make_world(*((n, Status.RELEASED) for n in numbers))
    releases(repo, store).apply(SLUG, "1.0.0", "deprecate")
    expires = record(repo, "1.0.0").package_expires_at
    assert expires == NOW + RETENTION_GRACE

    just_before = expires - timedelta(seconds=1)
    assert choose_download(repo.versions(SLUG), "1.0.0", SLUG, just_before).version == "1.0.0"
    with pytest.raises(Gone) as gone:
        choose_download(repo.versions(SLUG), "1.0.0", SLUG, expires)
    assert gone.value.code == "expired"
    # Kept ones stay downloadable for ever.
    assert (
        choose_download(repo.versions(SLUG), "1.3.0", SLUG, expires + timedelta(days=999)).version == "1.3.0"
    )


def test_pulled_versions_do_not_count_among_the_kept_releases() -> None:
    repo, store = make_world(
        ("1.0.0", Status.RELEASED),
        ("1.1.0", Status.RELEASED),
        ("1.2.0", Status.RELEASED),
        ("1.3.0", Status.PULLED),
    )

    releases(repo, store).apply(SLUG, "1.0.0", "deprecate")

    assert record(repo, "1.0.0").package_expires_at is None  # still one of the 3 newest releases
    assert store.expirable == set()


# --- rollback --------------------------------------------------------------------------------------


def rollback_world() -> tuple[RacingRepository, FakeStore]:
    return make_world(("1.0.0", Status.RELEASED), ("1.1.0", Status.RELEASED), ("1.2.0", Status.RELEASED))


def test_rollback_republishes_the_good_code_as_the_next_version_and_pulls_the_bad_one() -> None:
    repo, store = rollback_world()

    result = releases(repo, store).rollback(SLUG, "1.1.0", force_update=False, exclude_target_sites=False)

    source_key = f"sources/wordpress/{SLUG}/1.2.1/rollback-of-1.1.0.zip"
    assert result == {
        "version": "1.2.1",
        "rollback_of": "1.1.0",
        "pulled": "1.2.0",
        "pulled_versions": ["1.2.0"],
        "source_key": source_key,
    }
    assert record(repo, "1.2.0").status is Status.PULLED
    assert latest(repo) == {"stable": "1.1.0"}
    data, metadata, _ = store.sources[source_key]
    assert data == b"zip of 1.1.0"
    assert metadata["version"] == "1.2.1"
    assert metadata["status"] == "released"
    assert metadata["rollback-of"] == "1.1.0"
    assert "force_update" not in metadata
    assert "offer-above" not in metadata
    rollback_entry = next(entry for entry in repo.audit_log if entry.action == "rollback")
    assert (rollback_entry.actor, rollback_entry.version) == (ACTOR, "1.2.1")
    assert [entry.action for entry in repo.audit_log] == ["pull", "rollback"]


def test_a_forced_rollback_that_skips_sites_on_the_target() -> None:
    repo, store = rollback_world()

    result = releases(repo, store).rollback(SLUG, "1.1.0", force_update=True, exclude_target_sites=True)

    _, metadata, _ = store.sources[result["source_key"]]
    assert metadata["force_update"] == "true"
    assert metadata["offer-above"] == "1.1.0"


def test_rolling_back_to_the_latest_pulls_nothing() -> None:
    repo, store = rollback_world()

    result = releases(repo, store).rollback(SLUG, "1.2.0", force_update=False, exclude_target_sites=False)

    assert (result["version"], result["pulled"]) == ("1.2.1", None)
    assert record(repo, "1.2.0").status is Status.RELEASED


def test_rollback_numbers_above_every_stored_version() -> None:
    repo, store = make_world(
        ("1.0.0", Status.RELEASED),
        ("1.1.0", Status.RELEASED),
        ("1.2.0", Status.RELEASED),
        ("1.3.0", Status.DRAFT),
    )

    target, new_version, replaced = releases(repo, store).plan_rollback(SLUG, "1.1.0")

    assert (target.version, new_version) == ("1.1.0", "1.3.1")
    assert [v.version for v in replaced] == ["1.2.0"]


def test_rollback_pulls_every_version_offered_above_the_target() -> None:
    repo, store = make_world(
        ("1.0.0", Status.RELEASED),
        ("1.1.0", Status.RELEASED),
        ("1.2.0", Status.RELEASED),
        ("1.3.0", Status.RELEASED),
    )

    result = releases(repo, store).rollback(SLUG, "1.1.0", force_update=False, exclude_target_sites=False)

    assert (result["version"], result["pulled_versions"]) == ("1.3.1", ["1.3.0", "1.2.0"])
    assert {record(repo, v).status for v in ("1.2.0", "1.3.0")} == {Status.PULLED}
    assert latest(repo) == {"stable": "1.1.0"}


@pytest.mark.parametrize(
    ("status", "to"),
    [
        pytest.param(Status.PULLED, "1.1.0", id="pulled-target"),
        pytest.param(Status.DRAFT, "1.1.0", id="never-released-target"),
        pytest.param(Status.FAILED, "1.1.0", id="failed-target"),
        pytest.param(Status.RELEASED, "0.5.0", id="unknown-target"),
    ],
)
def test_rollback_needs_a_downloadable_target(status: Status, to: str) -> None:
    repo, store = make_world(("1.0.0", Status.RELEASED), ("1.1.0", status), ("1.2.0", Status.RELEASED))
    before = repo.versions(SLUG)

    with pytest.raises(NotFound) as missing:
        releases(repo, store).rollback(SLUG, to, force_update=False, exclude_target_sites=False)

    assert missing.value.code == "no_rollback_target"
    assert repo.versions(SLUG) == before
    assert store.sources == {}
    assert repo.audit_log == []


def test_rollback_of_an_unknown_plugin_is_not_found() -> None:
    repo, store = rollback_world()

    with pytest.raises(NotFound):
        releases(repo, store).rollback(
            "no-such-plugin", "1.1.0", force_update=False, exclude_target_sites=False
        )


def within(seconds: float, call: Callable[[], str]) -> str:
    """``call()``, or a test failure if it is still running after ``seconds`` (a hang)."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.2.0", "1.2.1"),
        ("1.2", "1.2.1"),
        ("1.3.0-beta1", "1.3.1"),
        ("1.2.0.5", "1.2.1"),
        ("2", "2.0.1"),
        ("1.2.9", "1.2.10"),
        ("1.2.3pl1", "1.2.4"),
        ("1.3.0beta1", "1.3.1"),
    ],
)
def test_next_patch(version: str, expected: str) -> None:
    assert within(0.1, partial(next_patch, version)) == expected


@pytest.mark.parametrize("version", ["1.2RC1", "1.2b2", "1.2a", "2pl1"])
def test_next_patch_of_a_version_with_letters_glued_to_a_number_returns_a_higher_version(
    version: str,
) -> None:
    """Valid versions (check_version accepts them); a rollback above them must not hang the request."""
    assert check_version(version) == version
    try:
        bumped = within(0.1, partial(next_patch, version))
    except TimeoutError:
        pytest.fail(f"next_patch({version!r}) never returns")
    assert version_compare(bumped, version) > 0
    assert check_version(bumped) == bumped


def test_next_patch_is_always_higher() -> None:
    rng = random.Random(20240506)
    suffixes = ["", "-beta1", "-RC2", "-alpha", "-dev", "pl1", ".5", "-p3", "+build.7", "_1", "a", "b2"]
    for _ in range(3_000):
        parts = [str(rng.randrange(0, 120)) for _ in range(rng.randrange(1, 5))]
        version = ".".join(parts) + rng.choice(suffixes)
        try:
            bumped = within(0.1, partial(next_patch, version))
        except TimeoutError:
            pytest.fail(f"next_patch({version!r}) never returns")
        assert version_compare(bumped, version) > 0, (version, bumped)
        assert check_version(bumped) == bumped
