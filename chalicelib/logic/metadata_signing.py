"""Signed, expiring update answers: the TUF "timestamp" idea, sized for this service.

A check-update or info answer that anyone between the service and a site (a CDN, a TLS-inspecting
proxy, a compromised API front) could replay for ever would let them freeze a site on an old
"no update", or offer it an older version. So each answer states when it was signed and when it
expires *inside its body*, and the exact bytes of that body are signed with the stage's metadata
key (an Ed25519 key of its own, certified by the root in the key list with role ``metadata``):

- ``X-IGNY8-Signature``: base64 Ed25519 over the raw body bytes as sent (no canonical JSON: the
  client verifies the bytes it received, then parses them);
- ``X-IGNY8-Key-Id``: the metadata key that signed them.

The numbers, and why: ``signed_at`` is the signing time rounded down to ``EPOCH_SECONDS`` (10 min)
so that an unchanged answer keeps the same bytes (ETag, 304, and the same deterministic Ed25519
signature) for that long; ``expires`` is ``VALIDITY_SECONDS`` (24 h) after ``signed_at``. An answer
is therefore served with at least 23 h 50 min left, more than WordPress' 12 h between checks, the
bridge's 1 h answer cache and 6 h longest back-off, and the 60 s a shared cache may keep it
(``PUBLIC_CACHE_SECONDS``): no honest path ever hands a site an expired answer, and a replayed one
stops working within a day. The bridge allows one hour of clock skew either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

#: Answers are signed for this long (seconds) after ``signed_at``.
VALIDITY_SECONDS = 24 * 3600
#: ``signed_at`` is rounded down to a multiple of this (seconds): stable bytes in between.
EPOCH_SECONDS = 600
#: The response headers that carry the signature and the key that made it.
SIGNATURE_HEADER = "X-IGNY8-Signature"
KEY_ID_HEADER = "X-IGNY8-Key-Id"

#: Signs bytes with the active metadata key: (key id, base64 signature).
Sign = Callable[[bytes], tuple[str, str]]


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sealed(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``body`` with its ``signed_at`` and ``expires``: what is then serialized and signed. The
    same answer within one epoch gets the same two values, hence the same bytes."""
    stamp = int(now.timestamp()) // EPOCH_SECONDS * EPOCH_SECONDS
    signed_at = datetime.fromtimestamp(stamp, UTC)
    return {
        **body,
        "signed_at": _moment(signed_at),
        "expires": _moment(signed_at + timedelta(seconds=VALIDITY_SECONDS)),
    }


def serialized(body: dict[str, Any]) -> str:
    """The exact text sent, hence signed: compact, ASCII only (no encoding can differ)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True)


def signature_headers(text: str, sign: Sign) -> dict[str, str]:
    """The headers that let a site check ``text`` came from the service, unchanged."""
    key_id, signature = sign(text.encode("ascii"))
    return {SIGNATURE_HEADER: signature, KEY_ID_HEADER: key_id}
