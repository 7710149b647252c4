"""Update answers sent signed (``logic/metadata_signing.py``): the route seals the answer (its
``signed_at`` and ``expires``) before its ETag is computed, so a cache revalidating with 304 keeps
bytes whose signature matches them, then the body goes out as the exact text that was signed."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Response

from chalicelib.clock import now
from chalicelib.logic.metadata_signing import sealed, serialized, signature_headers
from chalicelib.settings import get_settings
from chalicelib.signing import MetadataSigner, SigningUnavailable

log = logging.getLogger(__name__)


def seal(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with the moment it is signed and the moment it expires, from the clock of this
    request: a warm container's cached records never carry an old expiry into a new answer."""
    return sealed(answer, now())


def signed(response: Response) -> Response:
    """A sealed 200 answer as the text signed, with ``X-IGNY8-Signature`` and ``X-IGNY8-Key-Id``
    (a 304 has no body to sign; the cache keeps the signed bytes its ETag names). Without a usable
    metadata key the answer goes out unsigned, logged: bridges refuse it (and keep their last
    verified answer), other clients (plugin-update-checker, the seed's) are still served."""
    secret = get_settings().metadata_key_secret
    if response.status_code != 200 or not isinstance(response.body, dict) or not secret:
        return response
    text = serialized(response.body)
    try:
        headers = signature_headers(text, MetadataSigner(secret))
    except SigningUnavailable as exc:
        log.warning("answer sent unsigned", extra={"reason": "signing_unavailable", "detail": str(exc)})
        return response
    response.body = text
    response.headers = {**response.headers, **headers}
    return response
