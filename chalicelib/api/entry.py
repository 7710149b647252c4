"""The public function's Lambda handler: check-update's fast path first, the whole app otherwise.

Sites call check-update about a hundred times as often as everything else together, and a cold
start answers its first request before anything else. The whole public app (``app.py``) creates
pydantic models and pynamodb tables at import and builds botocore clients on its first request:
about 650 ms before a cold container can answer (``bench/coldstart_bench.py``). This handler
imports only the fast path (``api/hot_check.py``: the standard library, Chalice's request and
response types, Powertools' logger and metrics, and the pure decision), which answers the checks
it can answer exactly as the app would; any other request, and any check it leaves, goes to the
app, imported on the first such request and kept for the container's life.

Chalice packages every route of ``app.py`` in one function whose handler is ``app.app``;
``infra/package.py`` points that function here instead, and the local stack calls this too
(``infra/local_gateway.py``), so what is deployed is what every test serves.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.api import hot_check
from chalicelib.observability import configure_logging

# The fast path logs as the app does (JSON, one correlation id), before the app is ever imported.
configure_logging()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda's entry point for the public API's proxy events."""
    answered = hot_check.answer(event, context)
    if answered is not None:
        return answered
    full: dict[str, Any] = whole_app()(event, context)
    return full


@lru_cache(maxsize=1)
def whole_app() -> Any:
    """The public Chalice app, imported by the first request the fast path leaves to it."""
    from app import app  # noqa: PLC0415 - deferred on purpose: see the module's docstring

    return app
