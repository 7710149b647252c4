"""Moving a version to ``released``: the one transition sites notice.

The full lifecycle (testing, staged, update_ready, deprecated, pulled, rollout) grows here; every
change is a conditional write on the status it was read with, so two admins cannot interleave.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.logic.errors import Conflict, NotFound
from chalicelib.logic.model import Plugin, PluginVersion, Status, check_version
from chalicelib.logic.plugins import update_plugin
from chalicelib.logic.ports import Repository
from chalicelib.logic.versions import version_compare

#: Statuses from which a version may be released.
RELEASABLE = frozenset({Status.DRAFT, Status.TESTING, Status.STAGED})


def release(repo: Repository, slug: str, version: str, now: datetime) -> PluginVersion:
    """Release ``slug`` ``version``; releasing a released version again changes nothing."""
    record = repo.get_version(slug, check_version(version))
    if record is None or repo.get_plugin(slug) is None:
        raise NotFound(f"{slug} {version} does not exist")
    if record.status is Status.RELEASED:
        return record
    return publish(repo, record, now)


def publish(repo: Repository, record: PluginVersion, now: datetime) -> PluginVersion:
    if record.status not in RELEASABLE:
        raise Conflict(
            f"{record.slug} {record.version} is {record.status.value} and cannot be released "
            f"(only {', '.join(sorted(s.value for s in RELEASABLE))} can)",
            code="invalid_transition",
        )
    previous = record.status
    record.status = Status.RELEASED
    record.released_at = now
    repo.save_version(record, expected=previous)

    def point_up(plugin: Plugin) -> bool:
        current = plugin.latest.get(record.channel)
        if current is not None and version_compare(record.version, current) <= 0:
            return False
        plugin.latest[record.channel] = record.version
        plugin.updated_at = now
        return True

    update_plugin(repo, record.slug, point_up, _missing(record.slug))
    return record


def _missing(slug: str) -> Callable[[], Plugin]:
    def fail() -> Plugin:
        raise NotFound(f"no plugin {slug!r}")

    return fail
