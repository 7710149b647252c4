"""The update funnel: offered -> downloaded -> installed (reported by the running new code) ->
healthy after ``HEALTHY_AFTER``, plus the failures the gate weighs, per version and rollout step.

Counting is cheap at fleet scale: one atomic counter per (version, step, stage), added to
(DynamoDB ADD) where telemetry is already written, and read back as one query per version. A site
is counted once per stage of a version: the installation keeps the stages it was counted for (a
filter that spares most writes), and a per-site marker taken with a conditional write decides
under concurrency (two reports at once count once).

A site is counted in the step that first brought it into the version's funnel (its cohort: the
version's percentage then), so every later stage of that site lands in the same step, and each
step's funnel reads as one group of sites. A step's counter label is its percentage, zero-padded
to three digits so labels sort by percentage ("003", "100"), with two decimals when it has any
("002.50"): labels written before steps took hundredths read unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from chalicelib.logic.guard.gate import Counts
from chalicelib.logic.model import Installation, hundredths, normalized
from chalicelib.logic.ports import Repository

STAGES = ("offered", "downloaded", "installed", "healthy", "health_failed", "install_failed")
#: A site is healthy on a version when it reports "active" at least this long after installing it.
HEALTHY_AFTER = timedelta(hours=12)
#: Stage marks an installation keeps (two or three versions' worth).
MARKS_KEPT = 24
#: How long a per-site marker is kept (the counters table's TTL removes it after).
MARKER_DAYS = 400


def funnel_key(slug: str, version: str) -> str:
    return f"funnel#{slug}#{version}"


#: A step's counter label: "003", "100", "002.50" (``step_label``).
_STEP_LABEL = re.compile(r"[0-9]{3}(?:\.[0-9]{2})?")


def step_label(step: float) -> str:
    whole, part = divmod(hundredths(step), 100)
    return f"{whole:03d}" + (f".{part:02d}" if part else "")


def cohorts(counters: dict[str, int]) -> dict[float, Counts]:
    """A version's counters (``step#stage`` -> sites) as counts per step percentage."""
    grouped: dict[float, dict[str, int]] = {}
    for key, value in counters.items():
        step, _, stage = key.partition("#")
        if _STEP_LABEL.fullmatch(step) and stage in STAGES:
            grouped.setdefault(normalized(float(step)), {})[stage] = value
    return {step: Counts(**stages) for step, stages in sorted(grouped.items())}


def total(by_step: dict[float, Counts]) -> Counts:
    return sum(by_step.values(), Counts())


def settled(by_step: dict[float, Counts], below: float = 101) -> Counts:
    """All steps' counts, with the silent sites of the steps below percentage ``below`` (those had
    a whole step to report running the version: what they fetched and never reported is silent)."""
    silent = sum(
        max(0, c.downloaded - c.installed - c.install_failed) for step, c in by_step.items() if step < below
    )
    return total(by_step) + Counts(silent=silent)


def read(repo: Repository, slug: str, version: str) -> dict[float, Counts]:
    return cohorts(repo.counts(funnel_key(slug, version), "0"))  # step labels are zero-padded digits


class Funnel:
    """Counts one site's funnel stages; the caller saves the installation afterwards."""

    def __init__(self, repo: Repository, now: datetime) -> None:
        self.repo = repo
        self.now = now

    def count(self, installation: Installation, version: str, stage: str, step: float | None = None) -> bool:
        """Count ``installation``'s site at ``stage`` of ``version`` unless it was counted there
        already; True when this call counted it. ``step``: the version's percentage now, if known."""
        mark = f"{version}#{stage}"
        if mark in installation.funnel:
            return False
        step = self._cohort(installation, version, step)
        expires = int((self.now + timedelta(days=MARKER_DAYS)).timestamp())
        marker = f"funnel-site#{installation.slug}#{version}#{installation.site_id}"
        first = self.repo.take(marker, stage, 1, expires)
        installation.funnel = [*installation.funnel, mark][-MARKS_KEPT:]
        if first:
            self.repo.add(funnel_key(installation.slug, version), f"{step_label(step)}#{stage}")
        return first

    def _cohort(self, installation: Installation, version: str, now: float | None) -> float:
        """The step percentage the site entered ``version``'s funnel in (kept on the installation,
        so its later stages count in the same step); ``now``: the version's percentage, if known."""
        prefix = f"{version}@"
        kept = next((m for m in installation.funnel if m.startswith(prefix)), None)
        if kept is not None:
            return normalized(float(kept[len(prefix) :]))
        step = now if now is not None else self._percent(installation.slug, version)
        installation.funnel = [*installation.funnel, f"{prefix}{step}"][-MARKS_KEPT:]
        return step

    def _percent(self, slug: str, version: str) -> float:
        plugin = self.repo.get_plugin(slug)
        entry = plugin.releases.get(version) if plugin else None
        return entry.rollout_percent if entry is not None and entry.complete else 100
