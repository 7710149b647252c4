"""The scheduled look at every running rollout, and what it writes.

Safe to run twice at once, or twice in a row: each transition is one conditional write over the
version exactly as it was read (``Repository.save_version``), so of two concurrent runs one writes
and the other's write is refused (``Conflict``) and skipped; the audit entry is appended only by
the run whose write landed, and a second look at a version that has just moved on sees its new
step, not yet due. Holding and waiting write nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.logic.errors import Conflict
from chalicelib.logic.guard import funnel
from chalicelib.logic.guard.evaluation import Look, look
from chalicelib.logic.guard.gate import Counts
from chalicelib.logic.guard.plan import audit
from chalicelib.logic.model import DOWNLOADABLE, OFFERED, Platform, PluginVersion
from chalicelib.logic.ports import Repository
from chalicelib.logic.versions import version_compare

log = logging.getLogger(__name__)

ACTOR = "rollout-guard"
#: Failing sites named in a halt's evidence (the rest are counted).
SITES_SHOWN = 50


@dataclass(frozen=True)
class Transition:
    slug: str
    version: str
    action: str
    percent: float
    evidence: dict[str, Any]


def baseline_of(version: PluginVersion, versions: Sequence[PluginVersion]) -> PluginVersion | None:
    """The version sites ran before this one: the highest released below it on its channel."""
    return next(
        (
            v
            for v in versions
            if v.channel == version.channel
            and v.released_at is not None
            and v.status in DOWNLOADABLE
            and version_compare(v.version, version.version) < 0
        ),
        None,
    )


def baseline_counts(repo: Repository, slug: str, baseline: PluginVersion | None) -> Counts:
    """The previous version's whole funnel; all its steps are settled, so its silent sites count."""
    if baseline is None:
        return Counts()
    return funnel.settled(funnel.read(repo, slug, baseline.version))


class Guard:
    def __init__(self, repo: Repository, now: datetime) -> None:
        self.repo = repo
        self.now = now

    def run(self) -> list[Transition]:
        """Look at every running rollout of every plugin; the transitions this run wrote."""
        made: list[Transition] = []
        for platform in Platform:
            for plugin in self.repo.plugins_on_platform(platform.value):
                versions = self.repo.versions(plugin.slug)
                for version in versions:
                    running = version.rollout is not None and version.rollout.state == "running"
                    if running and version.status in OFFERED:
                        moved = self.step(version, versions)
                        made += [moved] if moved else []
        return made

    def step(self, version: PluginVersion, versions: Sequence[PluginVersion]) -> Transition | None:
        plan = version.rollout
        assert plan is not None
        base = baseline_of(version, versions)
        baseline = baseline_counts(self.repo, version.slug, base)
        seen = look(plan, funnel.read(self.repo, version.slug, version.version), baseline, self.now)
        if seen.action not in ("advance", "complete", "halt", "stall"):
            return None
        evidence = seen.evidence(base.version if base else None, baseline)
        if seen.action == "halt":
            evidence["sites"] = self._failing_sites(version)
        changed = dataclasses.replace(
            version, rollout_percent=seen.percent, rollout=self._moved(version, seen, evidence)
        )
        try:
            self.repo.save_version(changed, expected=version)
        except Conflict:
            log.info("rollout moved meanwhile", extra={"slug": version.slug, "version": version.version})
            return None
        audit(self.repo, self.now, changed, actor=ACTOR, action=f"rollout-{seen.action}", after=evidence)
        log.info(
            "rollout %s",
            seen.action,
            extra={
                "slug": version.slug,
                "version": version.version,
                "percent": seen.percent,
                "reason": seen.reason,
            },
        )
        return Transition(version.slug, version.version, seen.action, seen.percent, evidence)

    def _moved(self, version: PluginVersion, seen: Look, evidence: dict[str, Any]) -> Any:
        plan = version.rollout
        assert plan is not None
        if seen.action == "advance":
            return dataclasses.replace(plan, step=plan.step + 1, step_started_at=self.now, evidence=evidence)
        if seen.action == "stall":  # still running where it was; the evidence marks the alarm raised
            return dataclasses.replace(plan, evidence=evidence)
        state = "halted" if seen.action == "halt" else "completed"
        return dataclasses.replace(plan, state=state, evidence=evidence)

    def _failing_sites(self, version: PluginVersion) -> list[str]:
        """Sites whose last health report failed on this version or on updating to it."""
        failing = [
            i.site_id
            for i in self.repo.installations_of(version.slug)
            if i.health_status == "error" and version.version in (i.current_version, i.offered_version)
        ]
        return sorted(failing)[:SITES_SHOWN]
