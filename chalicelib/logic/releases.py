"""Moving a version to ``released``: the one transition sites notice.

The full lifecycle (testing, staged, update_ready, deprecated, pulled, rollout) grows here; every
change is a conditional write on the status it was read with, so two admins cannot interleave.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.logic.errors import Conflict, NotFound
from chalicelib.logic.model import Plugin, PluginVersion, Status, check_version
from chalicelib.logic.ports import Repository
from chalicelib.logic.versions import version_compare

#: Statuses from which a version may be released.
RELEASABLE = frozenset({Status.DRAFT, Status.TESTING, Status.STAGED})


def release(repo: Repository, slug: str, version: str, now: datetime) -> PluginVersion:
    """Release ``slug`` ``version``; releasing a released version again changes nothing."""
    plugin = repo.get_plugin(slug)
    record = repo.get_version(slug, check_version(version)) if plugin else None
    if plugin is None or record is None:
        raise NotFound(f"{slug} {version} does not exist")
    if record.status is Status.RELEASED:
        return record
    return publish(repo, plugin, record, now)


def publish(repo: Repository, plugin: Plugin, record: PluginVersion, now: datetime) -> PluginVersion:
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
    current = plugin.latest.get(record.channel)
    if current is None or version_compare(record.version, current) > 0:
        plugin.latest[record.channel] = record.version
    plugin.updated_at = now
    repo.save_plugin(plugin)
    return record
