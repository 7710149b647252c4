"""What is signed in an update answer: the same bytes for a whole 10-minute epoch (one ETag, one
signature), an expiry a day later, and text no encoding can change."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.logic.metadata_signing import sealed, serialized, signature_headers

ANSWER = {"slug": "demo", "update_available": False, "upgrade_notice": "Mise à jour ✓"}


def test_an_answer_keeps_its_bytes_within_an_epoch_and_expires_a_day_after_it_began() -> None:
    early = serialized(sealed(ANSWER, datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)))
    late = serialized(sealed(ANSWER, datetime(2026, 11, 29, 12, 9, 59, tzinfo=UTC)))
    next_epoch = serialized(sealed(ANSWER, datetime(2026, 11, 29, 12, 10, 0, tzinfo=UTC)))

    assert early == late != next_epoch
    body = json.loads(early)
    assert (body["signed_at"], body["expires"]) == ("2026-11-29T12:00:00Z", "2026-11-30T12:00:00Z")
    assert {k: body[k] for k in ANSWER} == ANSWER  # nothing else changed


def test_the_signed_text_is_ascii_and_its_signature_is_over_those_exact_bytes() -> None:
    key = Ed25519PrivateKey.generate()
    text = serialized(sealed(ANSWER, datetime(2026, 11, 29, 12, 0, tzinfo=UTC)))

    headers = signature_headers(text, lambda message: ("k1", base64.b64encode(key.sign(message)).decode()))

    assert text.isascii() and "\\u00e0" in text
    assert headers["X-IGNY8-Key-Id"] == "k1"
    key.public_key().verify(base64.b64decode(headers["X-IGNY8-Signature"]), text.encode())
