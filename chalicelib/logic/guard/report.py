"""Where each planned rollout stands, for ``status``, the admin API and the dashboard: its plan and
step, the gate's live verdict, the halt's evidence, the funnel per step with the previous
version's alongside, and the timeline of its steps from the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.logic.guard import funnel
from chalicelib.logic.guard.evaluation import look, stalled
from chalicelib.logic.guard.runner import baseline_counts, baseline_of
from chalicelib.logic.model import AuditEntry, PluginVersion, iso
from chalicelib.logic.ports import Repository

#: Planned rollouts shown, newest first.
SHOWN = 5
#: Audit entries searched for the timelines.
AUDIT_DEPTH = 500


def rollout_report(repo: Repository, slug: str, now: datetime) -> dict[str, Any]:
    versions = repo.versions(slug)
    planned = [v for v in versions if v.rollout is not None][:SHOWN]
    events = (
        [e for e in repo.audit(slug, limit=AUDIT_DEPTH) if e.action.startswith("rollout-")] if planned else []
    )
    return {
        "slug": slug,
        "generated_at": iso(now),
        "rollouts": [_one(repo, v, versions, events, now) for v in planned],
    }


def _one(
    repo: Repository,
    version: PluginVersion,
    versions: list[PluginVersion],
    events: list[AuditEntry],
    now: datetime,
) -> dict[str, Any]:
    plan = version.rollout
    assert plan is not None
    base = baseline_of(version, versions)
    baseline = baseline_counts(repo, version.slug, base)
    by_step = funnel.read(repo, version.slug, version.version)
    seen = look(plan, by_step, baseline, now)
    due = plan.step_started_at + timedelta(hours=plan.step_hours)
    return {
        "version": version.version,
        "status": version.status.value,
        "percent": version.rollout_percent,
        "plan": {
            "steps": plan.steps,
            "step": plan.step,
            "state": plan.state,
            "gated": plan.gated,
            "step_hours": plan.step_hours,
            "step_started_at": iso(plan.step_started_at),
            "next_look_at": iso(due) if plan.state == "running" else None,
            "margin_points": plan.margin_points,
            "min_installs": plan.min_installs,
            "sizing": plan.sizing,
            "stall_hours": plan.stall_hours,
            "stalled": stalled(plan, now),
            "stalled_since": iso(plan.step_started_at + timedelta(hours=plan.stall_hours))
            if stalled(plan, now)
            else None,
        },
        "gate": seen.evidence(base.version if base else None, baseline),
        "halt": plan.evidence if plan.state == "halted" else None,
        "funnel": {
            "steps": [{"percent": step, **counts.as_dict()} for step, counts in by_step.items()],
            "total": funnel.total(by_step).as_dict(),
            "baseline": {"version": base.version if base else None, "counts": baseline.as_dict()},
        },
        "timeline": [
            {
                "at": iso(e.at),
                "action": e.action.removeprefix("rollout-"),
                "actor": e.actor,
                "percent": e.after.get("percent"),
                "reason": e.after.get("reason", ""),
            }
            for e in reversed(events)
            if e.version == version.version
        ],
    }
