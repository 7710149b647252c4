"""Whether a request's site key is the site's: the one proof the site routes (``logic/sites.py``)
and check-update's fast path (``api/hot_check.py``) both make, so neither can accept a key the
other would refuse.

A key is stored only as its SHA-256 (it is high-entropy, so a fast hash is enough) and compared in
constant time; the previous key after a rotation works until its overlap ends; a revoked site has
no working key. Both comparisons always run, against a dummy hash when there is nothing to compare
with, so the work does not depend on what the site has.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Protocol

from chalicelib.logic.vocabulary import SITE_ID_RE

#: The longest key a request may send (ours are about 55 characters); longer is not hashed.
MAX_KEY_LENGTH = 200
#: What a key is compared with when there is no site (or key) to compare it with: random per
#: process, so no key hashes to it.
_NO_SUCH_KEY = secrets.token_hex(32)


class KeyHashes(Protocol):
    """What the proof reads of a site: a ``Site`` record, or the fast path's reading of its item."""

    @property
    def key_sha256(self) -> str: ...
    @property
    def previous_key_sha256(self) -> str: ...
    @property
    def previous_key_valid_until(self) -> datetime | None: ...
    @property
    def revoked_at(self) -> datetime | None: ...


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def claimable(site_id: str | None, key: str | None) -> bool:
    """Whether these headers can name a site and a key at all (else nothing is read)."""
    return bool(site_id and key and SITE_ID_RE.fullmatch(site_id) and len(key) <= MAX_KEY_LENGTH)


def proves(site: KeyHashes | None, key: str, now: datetime) -> bool:
    """Whether ``key`` is the current key of this unrevoked site, or its previous one within the
    overlap. ``site`` is None when no such site exists."""
    active = site if site is not None and site.revoked_at is None else None
    given = digest(key)
    current = hmac.compare_digest(given, active.key_sha256 if active else _NO_SUCH_KEY)
    previous = hmac.compare_digest(
        given, active.previous_key_sha256 if active and active.previous_key_sha256 else _NO_SUCH_KEY
    )
    in_overlap = bool(
        active
        and active.previous_key_sha256
        and active.previous_key_valid_until is not None
        and now < active.previous_key_valid_until
    )
    return active is not None and (current or (previous and in_overlap))
