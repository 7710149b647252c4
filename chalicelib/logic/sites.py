"""Sites and their API keys.

A key is a recognisable prefix plus 256 random bits, shown once, stored only as its SHA-256
(the key is high-entropy, so a fast hash is enough) and compared in constant time. Rotation keeps
the previous key valid for a short overlap, so a site can pick up its new one; revocation ends
both at once. No key or key hash ever reaches a log line or an error.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.logic.errors import Conflict, NotFound, Unauthorized
from chalicelib.logic.model import AuditEntry, Site
from chalicelib.logic.pacing import Pace
from chalicelib.logic.ports import Repository
from chalicelib.logic.site_keys import claimable, digest, proves

if TYPE_CHECKING:  # the admin's command: the public function, which checks keys, never creates it
    from chalicelib.logic.commands import CreateSite

KEY_PREFIX = "igny8_sk_"
#: Audit entries about sites live under this pseudo-slug.
AUDIT_SCOPE = "_sites"
_REFUSED = "X-IGNY8-Site-ID and X-IGNY8-API-Key must name a site and its valid key"
#: How every refusal is timed (``logic/pacing.py``); a module attribute so that a benchmark can
#: switch it off to show what it hides.
REFUSAL_PACE = Pace()


class Sites:
    def __init__(
        self, repo: Repository, now: datetime, overlap: timedelta, actor: str = "", pace: Pace | None = None
    ) -> None:
        self.repo = repo
        self.now = now
        self.overlap = overlap
        self.actor = actor
        self.pace = pace

    def create(self, command: CreateSite) -> tuple[Site, str]:
        site_id = command.site_id or f"site_{secrets.token_hex(8)}"
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        site = Site(
            site_id=site_id,
            name=command.name,
            url=command.url,
            key_sha256=digest(key),
            key_prefix=key[: len(KEY_PREFIX) + 6],
            created_at=self.now,
        )
        try:
            self.repo.save_site(site)
        except Conflict:
            raise Conflict(f"site {site_id!r} already exists", code="site_exists") from None
        self._audit("create-site", site)
        return site, key

    def rotate(self, site_id: str) -> tuple[Site, str]:
        site = self._active(site_id)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        rotated = dataclasses.replace(
            site,
            key_sha256=digest(key),
            key_prefix=key[: len(KEY_PREFIX) + 6],
            rotated_at=self.now,
            previous_key_sha256=site.key_sha256,
            previous_key_valid_until=self.now + self.overlap,
        )
        self.repo.save_site(rotated)
        self._audit("rotate-site-key", rotated)
        return rotated, key

    def revoke(self, site_id: str) -> Site:
        site = self._active(site_id)
        revoked = dataclasses.replace(site, revoked_at=self.now, previous_key_valid_until=None)
        self.repo.save_site(revoked)
        self._audit("revoke-site", revoked)
        return revoked

    def authenticate(self, site_id: str | None, key: str | None) -> Site:
        """The site these headers prove to be, or ``Unauthorized`` (one message for every cause,
        so a caller learns nothing about which part was wrong).

        The same work whether the site id exists or not: without a usable site the key is
        compared with a dummy hash, both comparisons always run, and the answer is decided after
        them. The read of the site still costs more when it exists, so every refusal is answered
        on the pace's grid (``logic/pacing.py``), not when that read ends: the time taken does
        not tell a guessed site id from a real one."""
        pace = self.pace or REFUSAL_PACE
        started = pace.start()
        site = self._proven(site_id, key)
        if site is None:
            pace.hold(started)
            raise Unauthorized(_REFUSED)
        return site

    def _proven(self, site_id: str | None, key: str | None) -> Site | None:
        """The active site whose current key (or previous one, within its overlap) ``key`` is."""
        if site_id is None or key is None or not claimable(site_id, key):
            return None
        found = self.repo.get_site(site_id)
        return found if proves(found, key, self.now) else None

    def _active(self, site_id: str) -> Site:
        site = self.repo.get_site(site_id)
        if site is None:
            raise NotFound(f"no site {site_id!r}")
        if site.revoked_at is not None:
            raise Conflict(f"site {site_id!r} is revoked", code="site_revoked")
        return site

    def _audit(self, action: str, site: Site) -> None:
        self.repo.append_audit(
            AuditEntry(
                slug=AUDIT_SCOPE,
                at=self.now,
                actor=self.actor,
                action=action,
                version=None,
                before={},
                after={"site_id": site.site_id, "key_prefix": site.key_prefix},
            )
        )
