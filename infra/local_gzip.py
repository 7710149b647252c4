"""API Gateway's response compression, emulated by the local gateway (Chalice's does not compress).

Deployed, API Gateway gzips an answer when the stage's ``minimumCompressionSize`` is set (Chalice's
``minimum_compression_size`` in ``.chalice/config.json``, read here so both use one value), the
body is at least that many bytes, the client's ``Accept-Encoding`` accepts gzip, and the answer
is not already encoded. Locally the same rule runs on the way out of ``infra/local_gateway.py``'s
handler, for the public API only (the admin project's stage sets no compression size), so a client
sees what it would see deployed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


@cache
def minimum_compression_size(config: Path = CONFIG) -> int | None:
    """The bytes an answer needs before it is compressed, or None when compression is off."""
    value = json.loads(config.read_text(encoding="utf-8")).get("minimum_compression_size")
    return None if value is None else int(value)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value admits gzip (``gzip``, ``x-gzip`` or ``*``, q above 0)."""
    for item in (accept_encoding or "").split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if coding.lower() in ("gzip", "x-gzip", "*"):
            quality = next((param[2:] for param in params if param.startswith("q=")), "1")
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def compressed(
    accept_encoding: str | None, headers: dict[str, Any], body: str | bytes | None
) -> tuple[dict[str, Any], str | bytes | None]:
    """``headers`` and ``body`` as API Gateway would send them to this client."""
    threshold = minimum_compression_size()
    if body is None or threshold is None or not accepts_gzip(accept_encoding):
        return headers, body
    if any(name.lower() == "content-encoding" for name in headers):
        return headers, body
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) < threshold:
        return headers, body
    return {**headers, "Content-Encoding": "gzip"}, gzip.compress(raw, mtime=0)


def sender(uncompressed: Callable[[str], bool]) -> Any:  # a method of the handler class
    """Chalice's ``_send_http_response`` with API Gateway's compression in front, for the local
    handler (``_send_http_response = local_gzip.sender(...)``). Routes ``uncompressed`` names are
    sent as they are: the admin API's stage sets no compression size."""

    def send(handler: Any, code: int, headers: dict[str, Any], body: str | bytes | None) -> None:
        # http.server refuses a malformed request line or an oversize header before it has headers.
        request_headers = getattr(handler, "headers", None)
        route = str(getattr(handler, "path", "")).partition("?")[0]
        if request_headers is not None and not uncompressed(route):
            headers, body = compressed(request_headers.get("accept-encoding"), headers, body)
        ChaliceRequestHandler._send_http_response(handler, code, headers, body)

    return send
