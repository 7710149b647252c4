"""Starting and resuming a planned rollout: the admin's side of the guard.

``start`` releases a version at its plan's first percentage (one conditional write, audited with
the plan and whether it is gated: a forced security release may opt out, and the audit says who
did). ``resume`` restarts a halted rollout at the percentage it stopped at; what the gate saw
until then is accepted (``RolloutPlan.accepted``), so it judges only what comes after, or it would
halt again on the same evidence. ``pull`` and ``rollback`` stay the release commands they were.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from chalicelib.logic.commands import StartRollout
from chalicelib.logic.errors import Conflict, InvalidInput, NotFound
from chalicelib.logic.guard import funnel, sizing
from chalicelib.logic.guard.gate import GateConfig
from chalicelib.logic.model import (
    OFFERED,
    AuditEntry,
    Plugin,
    PluginVersion,
    RolloutPlan,
    Status,
    check_version,
)
from chalicelib.logic.ports import Repository
from chalicelib.logic.releases import RELEASABLE, Releases, snapshot
from chalicelib.logic.rollout import bucket, salt_of


def audit(
    repo: Repository, now: datetime, version: PluginVersion, *, actor: str, action: str, after: dict[str, Any]
) -> None:
    """One rollout event in the plugin's audit trail (the dashboard's timeline reads these)."""
    repo.append_audit(
        AuditEntry(
            slug=version.slug,
            at=now,
            actor=actor,
            action=action,
            version=version.version,
            before={},
            after={"percent": version.rollout_percent, **after},
        )
    )


#: A site that reported nothing for this long is not counted in the fleet a first step is sized on.
ACTIVE_WITHIN = timedelta(days=30)


def active_buckets(repo: Repository, plugin: Plugin, now: datetime) -> list[int]:
    """The rollout buckets of the sites known to run the plugin (active installations that
    reported lately), sorted: what a first step is sized on (one query per rollout start, never
    on a site's request)."""
    salt = salt_of(plugin)
    return sorted(
        bucket(salt, i.site_id)
        for i in repo.installations_of(plugin.slug)
        if i.is_active and i.last_reported_at is not None and now - i.last_reported_at <= ACTIVE_WITHIN
    )


class Rollouts:
    def __init__(self, releases: Releases) -> None:
        self.releases = releases
        self.repo = releases.repo
        self.now = releases.now
        self.actor = releases.actor

    def start(self, slug: str, version: str, body: StartRollout) -> PluginVersion:
        record, plugin = self._version(slug, version)
        if record.status not in RELEASABLE | OFFERED:
            raise Conflict(
                f"{slug} {record.version} is {record.status.value}; a rollout needs a releasable version",
                code="invalid_transition",
            )
        if record.rollout is not None and record.rollout.state != "completed":
            raise Conflict(
                f"{slug} {record.version} already has a {record.rollout.state} rollout", code="rollout_exists"
            )
        if body.stall_hours <= body.step_hours:
            raise InvalidInput(
                f"stall_hours ({body.stall_hours}) must exceed step_hours ({body.step_hours}): a step "
                "runs that long by plan",
                code="invalid_stall_hours",
            )
        gate = GateConfig(min_installs=body.min_installs)
        sized = sizing.size(body.plan, active_buckets(self.repo, plugin, self.now), gate, gated=body.gate)
        first = sized.steps[0]
        if record.status in OFFERED and record.rollout_percent > first:
            raise Conflict(
                f"{slug} {record.version} is offered to {record.rollout_percent} % already; a plan may "
                "only raise it (start it at that percentage or above)",
                code="rollout_lowers",
            )
        plan = RolloutPlan(
            steps=sized.steps,
            step_hours=body.step_hours,
            step_started_at=self.now,
            gated=body.gate,
            margin_points=body.margin_points,
            min_installs=body.min_installs,
            stall_hours=body.stall_hours,
            sizing=sized.reason,
        )
        changed = dataclasses.replace(
            record,
            status=record.status if record.status in OFFERED else Status.RELEASED,
            released_at=record.released_at or self.now,
            rollout_percent=first,
            force_update=record.force_update if body.force_update is None else body.force_update,
            rollout=plan,
        )
        self.repo.save_version(changed, expected=record)
        audit(
            self.repo,
            self.now,
            changed,
            actor=self.actor,
            action="rollout-start",
            after={
                "before": snapshot(record),
                "plan": plan.steps,
                "requested_plan": list(body.plan),
                "reason": plan.sizing,
                "stall_hours": plan.stall_hours,
                "step_hours": plan.step_hours,
                "gated": plan.gated,
                "margin_points": plan.margin_points,
                "min_installs": plan.min_installs,
            },
        )
        self.releases.refresh_latest(slug)
        return changed

    def resume(self, slug: str, version: str) -> PluginVersion:
        record, _ = self._version(slug, version)
        plan = record.rollout
        if plan is None or plan.state != "halted":
            raise Conflict(f"{slug} {record.version} has no halted rollout to resume", code="not_halted")
        seen = funnel.total(funnel.read(self.repo, slug, record.version))
        resumed = dataclasses.replace(
            plan, state="running", step_started_at=self.now, accepted=seen.as_dict()
        )
        changed = dataclasses.replace(record, rollout=resumed)
        self.repo.save_version(changed, expected=record)
        audit(
            self.repo,
            self.now,
            changed,
            actor=self.actor,
            action="rollout-resume",
            after={"accepted": seen.as_dict()},
        )
        return changed

    def _version(self, slug: str, version: str) -> tuple[PluginVersion, Plugin]:
        record = self.repo.get_version(slug, check_version(version))
        plugin = self.repo.get_plugin(slug)
        if record is None or plugin is None:
            raise NotFound(f"{slug} {version} does not exist")
        return record, plugin
