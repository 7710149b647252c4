"""Synthetic sites, each doing what the bridge on a WordPress site does.

WordPress checks for plugin updates twice a day from WP-cron, which runs on the first page visit
after the event is due: a 12 h interval plus a visit delay (exponential, mean 20 min here), from a
random phase. On an offer the bridge fetches the package through download-url (counted as the
site's download), installs it, confirms with track-download, and the new code registers and reports
health. A site on a bad release reports a health error after updating, or goes silent (never
reports the new code); a small share of sites is flaky (an error on any version, the baseline's
failure rate). Every site sends its daily health report.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests

CHECK_EVERY = timedelta(hours=12)
VISIT_DELAY_MINUTES = 20.0
HEALTH_EVERY = timedelta(hours=24)


@dataclass
class Behaviour:
    """How one plugin's candidate behaves across the fleet."""

    slug: str
    baseline: str
    candidate: str
    #: Share of sites the candidate breaks (0: a good release).
    bad_share: float = 0.0
    #: Of the broken sites, the share that goes silent instead of reporting an error.
    silent_share: float = 0.2


@dataclass
class SimSite:
    site_id: str
    key: str
    next_check: datetime
    flaky: bool
    #: slug -> the version the site runs.
    versions: dict[str, str] = field(default_factory=dict)
    #: slug -> "error" (broken by the candidate), "silent", or "" (fine).
    fate: dict[str, str] = field(default_factory=dict)
    last_health: datetime | None = None


class Fleet:
    def __init__(self, api: str, behaviours: list[Behaviour], rng: random.Random) -> None:
        self.api = api
        self.behaviours = behaviours
        self.rng = rng
        self.sites: list[SimSite] = []
        self.requests = 0
        #: Plugins whose rollout halted: no site is offered them any more, so nobody asks.
        self.ended: set[str] = set()
        self._local = threading.local()
        self._lock = threading.Lock()

    def add(self, site_id: str, key: str, start: datetime, flaky_share: float) -> SimSite:
        site = SimSite(
            site_id=site_id,
            key=key,
            next_check=start + CHECK_EVERY * self.rng.random(),
            flaky=self.rng.random() < flaky_share,
            versions={b.slug: b.baseline for b in self.behaviours},
        )
        for b in self.behaviours:
            broken = self.rng.random() < b.bad_share
            site.fate[b.slug] = (
                ("silent" if self.rng.random() < b.silent_share else "error") if broken else ""
            )
        self.sites.append(site)
        return site

    def due(self, now: datetime) -> list[SimSite]:
        return [site for site in self.sites if site.next_check <= now]

    def register_all_plugins(self, site: SimSite) -> None:
        """The bridge's first report from each plugin it manages: the fleet's baseline."""
        for b in self.behaviours:
            self._post(site, b.slug, "register-installation", {"version": b.baseline})

    def check(self, site: SimSite, now: datetime) -> None:
        """One WP-cron update check of every plugin, the installs it leads to, the daily health."""
        for b in self.behaviours:
            self._check_plugin(site, b)
        if site.last_health is None or now - site.last_health >= HEALTH_EVERY:
            for b in self.behaviours:
                self._daily_health(site, b)
            site.last_health = now
        delay = timedelta(minutes=self.rng.expovariate(1 / VISIT_DELAY_MINUTES))
        site.next_check = now + CHECK_EVERY + delay

    def _daily_health(self, site: SimSite, b: Behaviour) -> None:
        """The bridge's daily report. A healthy site still on the baseline is skipped: its report
        changes no count the gate reads (the site is counted as running the baseline from its
        registration), and it would be a third of the simulation's requests."""
        version = site.versions[b.slug]
        on_candidate = version == b.candidate
        if on_candidate and site.fate[b.slug] == "silent":
            return
        broken = on_candidate and site.fate[b.slug] == "error"
        if not (on_candidate or broken or site.flaky):
            return
        status = "error" if broken or site.flaky else "active"
        self._post(site, b.slug, "health-check", {"version": version, "status": status})

    def got(self, slug: str, version: str) -> list[SimSite]:
        return [site for site in self.sites if site.versions[slug] == version]

    def _check_plugin(self, site: SimSite, b: Behaviour) -> None:
        """Asks only when the answer could change something: not once the site runs the
        candidate (nothing newer exists), nor once the rollout halted (nobody is offered it)."""
        current = site.versions[b.slug]
        if current == b.candidate or b.slug in self.ended:
            return
        answer = self._get(site, b.slug, f"check-update?current_version={current}")
        if not answer.get("update_available") or answer.get("latest_version") != b.candidate:
            return
        self._get(site, b.slug, f"download-url?version={b.candidate}")
        self._post(site, b.slug, "track-download", {"version": b.candidate})
        site.versions[b.slug] = b.candidate
        fate = site.fate[b.slug]
        if fate == "silent":
            return
        self._post(site, b.slug, "register-installation", {"version": b.candidate})
        status = "error" if fate == "error" or site.flaky else "active"
        self._post(site, b.slug, "health-check", {"version": b.candidate, "status": status})

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _headers(self, site: SimSite) -> dict[str, str]:
        return {"X-IGNY8-Site-ID": site.site_id, "X-IGNY8-API-Key": site.key}

    def _get(self, site: SimSite, slug: str, path: str) -> dict[str, Any]:
        response = self._session().get(
            f"{self.api}/plugins/{slug}/{path}", headers=self._headers(site), timeout=60
        )
        self._count()
        response.raise_for_status()
        return dict(response.json())

    def _post(self, site: SimSite, slug: str, path: str, body: dict[str, Any]) -> None:
        url = f"{self.api}/plugins/{slug}/{path}"
        response = self._session().post(url, json=body, headers=self._headers(site), timeout=60)
        self._count()
        response.raise_for_status()

    def _count(self) -> None:
        with self._lock:
            self.requests += 1
