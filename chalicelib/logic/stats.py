"""Adoption and health of one plugin (seed §10), computed from installations and counters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.logic.model import DEFAULT_CHANNEL, DOWNLOADABLE, OFFERED, Installation, PluginVersion, iso
from chalicelib.logic.ports import Repository
from chalicelib.logic.telemetry import downloads_key
from chalicelib.logic.versions import version_compare

#: A site counts as active while its last health check or report is this recent.
ACTIVE_DAYS = 7
#: An offered update counts as a success when the site reports it within this many days.
SUCCESS_DAYS = 7


def plugin_stats(repo: Repository, slug: str, now: datetime, days: int) -> dict[str, Any]:
    versions = repo.versions(slug)
    installations = repo.installations_of(slug)
    since = now - timedelta(days=days - 1)
    counts = repo.counts(downloads_key(slug), f"{since:%Y-%m-%d}")
    per_day: dict[str, int] = {f"{since + timedelta(days=n):%Y-%m-%d}": 0 for n in range(days)}
    per_version: dict[str, int] = {}
    for key, count in counts.items():
        day, _, version = key.partition("#")
        per_day[day] = per_day.get(day, 0) + count
        per_version[version] = per_version.get(version, 0) + count
    active = [
        i
        for i in installations
        if i.is_active and (heard := _heard(i)) is not None and now - heard <= timedelta(days=ACTIVE_DAYS)
    ]
    return {
        "slug": slug,
        "generated_at": iso(now),
        "days": days,
        "downloads": {
            "total": sum(per_version.values()),
            "per_version": per_version,
            "per_day": [{"day": day, "count": per_day[day]} for day in sorted(per_day)],
        },
        "installations": {"total": len(installations), "active": len(active), "active_days": ACTIVE_DAYS},
        "version_distribution": _distribution(active),
        "updates": _updates(installations),
        "health": _health(active),
        "forced": _forced(versions, active),
        "adoption": _adoption(versions, active),
    }


def _heard(installation: Installation) -> datetime | None:
    """When the site last told us anything itself (a check-update offer alone does not count)."""
    moments = (
        installation.last_reported_at,
        installation.last_health_check,
        installation.version_reported_at,
    )
    return max((m for m in moments if m is not None), default=None)


def _distribution(active: list[Installation]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for installation in active:
        if installation.current_version:
            counts[installation.current_version] = counts.get(installation.current_version, 0) + 1
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"version": v, "count": c, "share": round(c / total, 4)} for v, c in ordered]


def _updates(installations: list[Installation]) -> dict[str, Any]:
    offered = [i for i in installations if i.offered_version and i.update_offered_at]
    succeeded = [
        i
        for i in offered
        if i.current_version
        and version_compare(i.current_version, i.offered_version or "") >= 0
        and i.version_reported_at is not None
        and i.update_offered_at is not None
        and i.version_reported_at - i.update_offered_at <= timedelta(days=SUCCESS_DAYS)
    ]
    rate = round(len(succeeded) / len(offered), 4) if offered else None
    return {"offered": len(offered), "succeeded": len(succeeded), "success_rate": rate}


def _health(active: list[Installation]) -> dict[str, Any]:
    failing = [i for i in active if i.health_status == "error"]
    sites = [
        {
            "site_id": i.site_id,
            "status": i.health_status,
            "at": iso(i.last_health_check),
            "message": i.health_message,
        }
        for i in failing
    ]
    return {"failing": len(failing), "sites": sites}


def _forced(versions: list[PluginVersion], active: list[Installation]) -> dict[str, Any]:
    forced = next(
        (v for v in versions if v.force_update and v.status in DOWNLOADABLE and v.channel == DEFAULT_CHANNEL),
        None,
    )
    if forced is None:
        return {"version": None, "sites_below": 0, "site_ids": []}
    below = [
        i.site_id
        for i in active
        if i.current_version and version_compare(i.current_version, forced.version) < 0
    ]
    return {"version": forced.version, "sites_below": len(below), "site_ids": sorted(below)}


def _adoption(versions: list[PluginVersion], active: list[Installation]) -> dict[str, Any]:
    """Share of active sites on the latest release (or above), hour by hour since its release."""
    latest = next(
        (v for v in versions if v.status in OFFERED and v.released_at and v.channel == DEFAULT_CHANNEL), None
    )
    if latest is None or latest.released_at is None or not active:
        return {"version": None, "released_at": None, "curve": [], "time_to_80_hours": None}
    released = latest.released_at
    adopted_hours = sorted(
        max(0.0, (i.version_reported_at - released).total_seconds() / 3600)
        for i in active
        if i.current_version
        and version_compare(i.current_version, latest.version) >= 0
        and i.version_reported_at is not None
    )
    curve = [{"hours": 0.0, "share": 0.0}]
    time_to_80 = None
    for n, hours in enumerate(adopted_hours, start=1):
        share = round(n / len(active), 4)
        curve.append({"hours": round(hours, 2), "share": share})
        if time_to_80 is None and share >= 0.8:
            time_to_80 = round(hours, 2)
    return {
        "version": latest.version,
        "released_at": iso(released),
        "curve": curve,
        "time_to_80_hours": time_to_80,
    }
