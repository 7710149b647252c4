"""What sites report and what we count: installations, health, offers and downloads (seed §10),
and each site's place in a version's update funnel (``logic/guard/funnel.py``)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.guard.funnel import HEALTHY_AFTER, Funnel
from chalicelib.logic.model import Installation
from chalicelib.logic.ports import Repository
from chalicelib.logic.site_inputs import HealthReport, InstallReport, Registration, SiteReport
from chalicelib.logic.versions import version_compare


def _own(site_id: str, report: SiteReport) -> SiteReport:
    """The seed's ``site_id`` body field may only repeat the site the request's headers proved (its
    sites send it as a number): a report about another site is refused before anything is read or
    written."""
    if report.site_id is not None and str(report.site_id) != site_id:
        raise InvalidInput(
            "site_id in the body is not the site named by X-IGNY8-Site-ID", code="site_id_mismatch"
        )
    return report


def downloads_key(slug: str) -> str:
    return f"downloads#{slug}"


class Telemetry:
    def __init__(self, repo: Repository, now: datetime) -> None:
        self.repo = repo
        self.now = now
        self.funnel = Funnel(repo, now)

    def register(self, site_id: str, slug: str, report: Registration) -> Installation:
        """On activation and after each upgrade: the site runs ``version`` now."""
        installation = self._report(site_id, slug, _own(site_id, report))
        if report.site_url is not None:
            installation.site_url = report.site_url
        self.funnel.count(installation, report.version, "installed")
        return self._save(installation)

    def health(self, site_id: str, slug: str, report: HealthReport) -> Installation:
        installation = self._report(site_id, slug, _own(site_id, report))
        installation.is_active = report.status != "inactive"
        installation.health_status = report.status
        installation.health_message = report.message
        installation.last_health_check = self.now
        self._count_health(installation, report)
        return self._save(installation)

    def installed(self, site_id: str, slug: str, report: InstallReport) -> Installation:
        """The site confirms it installed a verified download (sent by the code that updated, not
        yet by the new code: the funnel counts it as downloaded)."""
        installation = self._report(site_id, slug, _own(site_id, report))
        self.funnel.count(installation, report.version, "downloaded")
        return self._save(installation)

    def record_offer(self, site_id: str, slug: str, version: str, step: float | None = None) -> None:
        """A check-update from a known site offered it ``version`` (for the update success rate);
        ``step``: the version's rollout percentage, when the caller has it (spares a read)."""
        installation = self._installation(site_id, slug)
        if installation.offered_version == version:
            return
        installation.offered_version = version
        installation.update_offered_at = self.now
        installation.updated_at = self.now
        self.funnel.count(installation, version, "offered", step)
        self.repo.save_installation(installation)

    def record_download(self, slug: str, version: str, site_id: str | None = None) -> None:
        """A package served; to a known site, that site fetched ``version`` (its funnel)."""
        self.repo.add(downloads_key(slug), f"{self.now:%Y-%m-%d}#{version}")
        if site_id is None:
            return
        installation = self._installation(site_id, slug)
        if self.funnel.count(installation, version, "downloaded"):
            installation.updated_at = self.now
            self.repo.save_installation(installation)

    def _count_health(self, installation: Installation, report: HealthReport) -> None:
        """A health report is the running code speaking: it installed ``version``; an error while
        a newer version was offered is that update failing (the bridge reports a refused package
        so), an error on the version itself is its health failing."""
        version = report.version
        self.funnel.count(installation, version, "installed")
        offered = installation.offered_version
        if report.status == "error":
            self.funnel.count(installation, version, "health_failed")
            if offered and version_compare(offered, version) > 0:
                self.funnel.count(installation, offered, "install_failed")
        elif report.status == "active" and self._settled(installation):
            self.funnel.count(installation, version, "healthy")

    def _settled(self, installation: Installation) -> bool:
        """The site has run its version for ``HEALTHY_AFTER`` (healthy then means healthy)."""
        since = installation.version_reported_at
        return since is not None and self.now - since >= HEALTHY_AFTER

    def _report(self, site_id: str, slug: str, report: SiteReport) -> Installation:
        """The installation as this report leaves it (not yet saved)."""
        installation = self._installation(site_id, slug)
        version = report.version
        if (
            installation.current_version is None
            or version_compare(version, installation.current_version) != 0
        ):
            installation.version_reported_at = self.now
        installation.current_version = version
        installation.is_active = True
        installation.wp_version = report.wp_version or installation.wp_version
        installation.php_version = report.php_version or installation.php_version
        if installation.pending_update and version_compare(version, installation.pending_update) >= 0:
            installation.pending_update = None
        installation.last_reported_at = self.now
        installation.updated_at = self.now
        return installation

    def _save(self, installation: Installation) -> Installation:
        self.repo.save_installation(installation)
        return installation

    def _installation(self, site_id: str, slug: str) -> Installation:
        return self.repo.get_installation(site_id, slug) or Installation(
            site_id=site_id, slug=slug, created_at=self.now, updated_at=self.now
        )
