"""The release lifecycle: every status change and release setting an admin (or the packager) makes.

draft -> testing -> staged -> released -> update_ready -> deprecated (the seed), plus pulled.
Each change is a conditional write over the record exactly as it was read, so two admins acting
at once cannot interleave, and leaves an audit entry with the state before and after.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from typing import Any

from chalicelib.logic.commands import CreateVersion, ReleaseSettings
from chalicelib.logic.errors import Conflict, InvalidInput, NotFound
from chalicelib.logic.model import (
    DEFAULT_CHANNEL,
    DOWNLOADABLE,
    OFFERED,
    AuditEntry,
    Plugin,
    PluginVersion,
    Status,
    check_version,
    iso,
)
from chalicelib.logic.plugins import missing_plugin, update_plugin
from chalicelib.logic.ports import ArtifactStore, Repository
from chalicelib.logic.versions import version_compare

#: action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[Status], Status]] = {
    "test": (frozenset({Status.DRAFT, Status.STAGED}), Status.TESTING),
    "stage": (frozenset({Status.DRAFT, Status.TESTING}), Status.STAGED),
    "release": (frozenset({Status.DRAFT, Status.TESTING, Status.STAGED}), Status.RELEASED),
    "push-update": (
        frozenset({Status.DRAFT, Status.TESTING, Status.STAGED, Status.RELEASED}),
        Status.UPDATE_READY,
    ),
    "deprecate": (frozenset({Status.RELEASED, Status.UPDATE_READY}), Status.DEPRECATED),
    "pull": (frozenset({Status.RELEASED, Status.UPDATE_READY, Status.DEPRECATED}), Status.PULLED),
}
RELEASABLE = TRANSITIONS["release"][0]
#: Released packages always kept, whatever their status (the seed keeps three for rollback).
KEEP_RELEASED = 3
#: How long an expirable package stays downloadable; the bucket's lifecycle rule matches it.
RETENTION_GRACE = timedelta(days=30)


def snapshot(version: PluginVersion) -> dict[str, Any]:
    """The fields an audit entry compares."""
    return {
        "status": version.status.value,
        "channel": version.channel,
        "rollout_percent": version.rollout_percent,
        "force_update": version.force_update,
        "released_at": iso(version.released_at),
    }


class Releases:
    def __init__(self, repo: Repository, store: ArtifactStore, now: datetime, actor: str) -> None:
        self.repo = repo
        self.store = store
        self.now = now
        self.actor = actor

    def apply(
        self, slug: str, version: str, action: str | None, settings: ReleaseSettings | None = None
    ) -> PluginVersion:
        """Move ``slug`` ``version`` by ``action`` (None: settings only) and apply ``settings``.

        Asking for the status a version already has, with no other change, changes nothing.
        """
        settings = settings or ReleaseSettings()
        record = self.repo.get_version(slug, check_version(version))
        if record is None or self.repo.get_plugin(slug) is None:
            raise NotFound(f"{slug} {version} does not exist")
        target = record.status
        if action is not None:
            allowed, target = TRANSITIONS[action]
            if record.status not in allowed and record.status is not target:
                raise Conflict(
                    f"{slug} {record.version} is {record.status.value}; '{action}' needs "
                    f"{' or '.join(sorted(s.value for s in allowed))}",
                    code="invalid_transition",
                )
        changed = dataclasses.replace(
            record,
            status=target,
            released_at=record.released_at or (self.now if target in OFFERED else None),
            rollout_percent=_pick(settings.rollout_percent, record.rollout_percent),
            channel=_pick(settings.channel, record.channel),
            force_update=_pick(settings.force_update, record.force_update),
        )
        if snapshot(changed) == snapshot(record):
            return record
        self.repo.save_version(changed, expected=record)
        self._audit(action or "configure", changed, snapshot(record), snapshot(changed))
        self.refresh_latest(slug)
        if target is Status.DEPRECATED:
            self.apply_retention(slug)
        return changed

    def create_version(self, plugin: Plugin, command: CreateVersion) -> PluginVersion:
        """A draft announced before its source arrives (seed: create, then upload); the upload
        then fills it in, since a draft is replaceable."""
        draft = PluginVersion(
            slug=plugin.slug,
            version=command.version,
            status=Status.DRAFT,
            created_at=self.now,
            channel=command.channel or DEFAULT_CHANNEL,
            changelog=command.changelog,
        )
        try:
            self.repo.save_version(draft, expected=None)
        except Conflict:
            raise Conflict(f"{plugin.slug} {draft.version} already exists", code="version_exists") from None
        self._audit("create-version", draft, {}, snapshot(draft))
        return draft

    def notify_installations(self, version: PluginVersion) -> int:
        """Mark every installation below ``version`` as having it pending (push-update)."""
        count = 0
        for installation in self.repo.installations_of(version.slug):
            current = installation.current_version
            if current is not None and version_compare(current, version.version) >= 0:
                continue
            installation.pending_update = version.version
            installation.update_notified_at = self.now
            installation.updated_at = self.now
            self.repo.save_installation(installation)
            count += 1
        return count

    def refresh_latest(self, slug: str) -> None:
        """Point each channel at its highest offered version (a pull or deprecation moves it down)."""
        offered: dict[str, str] = {}
        for version in self.repo.versions(slug):  # newest first
            if version.status in OFFERED:
                offered.setdefault(version.channel, version.version)

        def point(plugin: Plugin) -> bool:
            if plugin.latest == offered:
                return False
            plugin.latest, plugin.updated_at = offered, self.now
            return True

        update_plugin(self.repo, slug, point, missing_plugin(slug))

    def apply_retention(self, slug: str) -> None:
        """Let old deprecated packages expire; the newest released ones and every rollback target
        stay. Their records remain as tombstones, and downloads of them answer 410."""
        versions = self.repo.versions(slug)
        ever_released = [v for v in versions if v.released_at is not None and v.status in DOWNLOADABLE]
        keep = {v.version for v in ever_released[:KEEP_RELEASED]}
        keep |= {v.rollback_of for v in versions if v.rollback_of}
        for version in versions:
            if version.status is not Status.DEPRECATED or version.version in keep:
                continue
            if version.package_expires_at is not None:
                continue
            expires = dataclasses.replace(version, package_expires_at=self.now + RETENTION_GRACE)
            self.repo.save_version(expires, expected=version)
            self.store.set_expirable(version.file_path, expirable=True)
            self._audit(
                "expire", expires, snapshot(version), {"package_expires_at": iso(expires.package_expires_at)}
            )

    def rollback(
        self, slug: str, to: str, *, force_update: bool, exclude_target_sites: bool
    ) -> dict[str, Any]:
        """Roll forward to ``to``'s code: WordPress never downgrades, so its package goes back
        through the packager as the next version up, released (optionally forced), and the version
        it replaces is pulled at once. Sites on ``to`` itself are offered it too, unless excluded."""
        plugin = self.repo.get_plugin(slug)
        if plugin is None:
            raise NotFound(f"no plugin {slug!r}")
        target, new_version, replaced = self.plan_rollback(slug, to)
        source_key = f"sources/{plugin.platform.value}/{slug}/{new_version}/rollback-of-{target.version}.zip"
        metadata = {
            "version": new_version,
            "status": Status.RELEASED.value,
            "channel": target.channel,
            "rollback-of": target.version,
            "changelog": f"Rolls back to the code of {target.version}.",
            "uploaded-by": self.actor,
        }
        if force_update:
            metadata["force_update"] = "true"
        if exclude_target_sites:
            metadata["offer-above"] = target.version
        if target.package_expires_at is not None:  # a rollback target is kept after all
            kept = dataclasses.replace(target, package_expires_at=None)
            self.repo.save_version(kept, expected=target)
            self.store.set_expirable(target.file_path, expirable=False)
        self.store.copy_package_to_source(target.file_path, source_key, metadata)
        for bad in replaced:
            self.apply(slug, bad.version, "pull")
        self.repo.append_audit(
            AuditEntry(
                slug=slug,
                at=self.now,
                actor=self.actor,
                action="rollback",
                version=new_version,
                before={"latest": replaced[0].version if replaced else None},
                after={"republishes": target.version, "as": new_version, "forced": force_update},
            )
        )
        return {
            "version": new_version,
            "rollback_of": target.version,
            "pulled": replaced[0].version if replaced else None,
            "pulled_versions": [v.version for v in replaced],
            "source_key": source_key,
        }

    def plan_rollback(self, slug: str, to: str) -> tuple[PluginVersion, str, list[PluginVersion]]:
        """What ``rollback --to`` republishes: the target, its new (higher) version number, and the
        versions it replaces (every one offered above it on its channel, newest first: pulled)."""
        versions = self.repo.versions(slug)
        target = next((v for v in versions if version_compare(v.version, check_version(to)) == 0), None)
        if target is None or target.status not in DOWNLOADABLE or not target.file_path:
            raise NotFound(f"{slug} {to} has no package to roll back to", code="no_rollback_target")
        if target.package_expires_at is not None and self.now >= target.package_expires_at:
            raise Conflict(f"{slug} {to}'s package has expired", code="expired")
        replaced = [
            v
            for v in versions
            if v.status in OFFERED
            and v.channel == target.channel
            and version_compare(v.version, target.version) > 0
        ]
        return target, next_patch(versions[0].version), replaced

    def _audit(
        self, action: str, version: PluginVersion, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        self.repo.append_audit(
            AuditEntry(
                slug=version.slug,
                at=self.now,
                actor=self.actor,
                action=action,
                version=version.version,
                before=before,
                after=after,
            )
        )


def next_patch(version: str) -> str:
    """The next release above ``version``: its patch bumped (1.2.0 -> 1.2.1, 1.3.0-beta1 -> 1.3.1),
    else its minor (1.2.0.pl1 -> 1.3.0), else its major, which is always above (the grammar starts
    every version with its major number)."""
    numbers = [int(n) for n in re.findall(r"\d+", re.match(r"^[\d.]*", version).group())[:3]]  # type: ignore[union-attr]
    major, minor, patch = [*numbers, 0, 0, 0][:3]
    for candidate in (f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}.0", f"{major + 1}.0.0"):
        try:
            check_version(candidate)
        except InvalidInput:
            continue
        if version_compare(candidate, version) > 0:
            return candidate
    raise InvalidInput(f"no version can follow {version!r}", code="invalid_version")


def _pick(new: Any, old: Any) -> Any:
    return old if new is None else new
