"""What sites report and what we count: installations, health, offers and downloads (seed §10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.model import Installation, check_version
from chalicelib.logic.ports import Repository
from chalicelib.logic.sites import check_url
from chalicelib.logic.versions import version_compare

HEALTH_STATUSES = ("active", "inactive", "error")


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(f"must be text of at most {limit} characters")
        return value

    return check


def _version(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a version string")
    return check_version(value)


def _status(value: Any) -> str:
    if value not in HEALTH_STATUSES:
        raise ValueError(f"must be one of {', '.join(HEALTH_STATUSES)}")
    return str(value)


_FIELDS: dict[str, Callable[[Any], str]] = {
    "version": _version,
    "wp_version": _version,
    "php_version": _version,
    "site_url": check_url,
    "status": _status,
    "message": _text(500),
}


def validated(
    body: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, str]:
    """The body's fields, each checked; unknown, missing or ill-typed ones are a 400 naming them."""
    unknown = set(body) - set(required) - set(optional)
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", code="invalid_body")
    missing = [name for name in required if body.get(name) is None]
    if missing:
        raise InvalidInput(f"missing fields: {', '.join(missing)}", code="invalid_body")
    checked = {}
    for name in (*required, *optional):
        if body.get(name) is None:
            continue
        try:
            checked[name] = _FIELDS[name](body[name])
        except (ValueError, InvalidInput) as exc:
            raise InvalidInput(f"{name} {getattr(exc, 'message', exc)}", code="invalid_body") from None
    return checked


def own_body(site_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body without the seed's ``site_id`` field, which may only repeat the site the request's
    headers proved (the seed's sites send it as a number): a body about another site is refused
    before anything is read or written."""
    if "site_id" not in body:
        return body
    claimed = body["site_id"]
    if isinstance(claimed, bool) or not isinstance(claimed, str | int):
        raise InvalidInput("site_id must be a string or an integer", code="invalid_body")
    if str(claimed) != site_id:
        raise InvalidInput(
            "site_id in the body is not the site named by X-IGNY8-Site-ID", code="site_id_mismatch"
        )
    return {name: value for name, value in body.items() if name != "site_id"}


def downloads_key(slug: str) -> str:
    return f"downloads#{slug}"


class Telemetry:
    def __init__(self, repo: Repository, now: datetime) -> None:
        self.repo = repo
        self.now = now

    def register(self, site_id: str, slug: str, body: dict[str, Any]) -> Installation:
        """On activation and after each upgrade: the site runs ``version`` now."""
        fields = validated(own_body(site_id, body), ("version",), ("wp_version", "php_version", "site_url"))
        return self._report(site_id, slug, fields)

    def health(self, site_id: str, slug: str, body: dict[str, Any]) -> Installation:
        fields = validated(
            own_body(site_id, body), ("version", "status"), ("wp_version", "php_version", "message")
        )
        return self._report(site_id, slug, fields, health=fields["status"])

    def installed(self, site_id: str, slug: str, body: dict[str, Any]) -> Installation:
        """The site confirms it installed a download: it runs ``version`` now."""
        return self._report(site_id, slug, validated(own_body(site_id, body), ("version",)))

    def record_offer(self, site_id: str, slug: str, version: str) -> None:
        """A check-update from a known site offered it ``version`` (for the update success rate)."""
        installation = self._installation(site_id, slug)
        if installation.offered_version == version:
            return
        installation.offered_version = version
        installation.update_offered_at = self.now
        installation.updated_at = self.now
        self.repo.save_installation(installation)

    def record_download(self, slug: str, version: str) -> None:
        self.repo.add(downloads_key(slug), f"{self.now:%Y-%m-%d}#{version}")

    def _report(
        self, site_id: str, slug: str, fields: dict[str, str], health: str | None = None
    ) -> Installation:
        installation = self._installation(site_id, slug)
        version = fields["version"]
        if (
            installation.current_version is None
            or version_compare(version, installation.current_version) != 0
        ):
            installation.version_reported_at = self.now
        installation.current_version = version
        installation.is_active = health != "inactive"
        installation.wp_version = fields.get("wp_version", installation.wp_version)
        installation.php_version = fields.get("php_version", installation.php_version)
        installation.site_url = fields.get("site_url", installation.site_url)
        if installation.pending_update and version_compare(version, installation.pending_update) >= 0:
            installation.pending_update = None
        if health is not None:
            installation.health_status = health
            installation.health_message = fields.get("message")
            installation.last_health_check = self.now
        installation.last_reported_at = self.now
        installation.updated_at = self.now
        self.repo.save_installation(installation)
        return installation

    def _installation(self, site_id: str, slug: str) -> Installation:
        return self.repo.get_installation(site_id, slug) or Installation(
            site_id=site_id, slug=slug, created_at=self.now, updated_at=self.now
        )
