"""The one way a Chalice app of this service is made: the public edge (``app.py``) and the control
plane (``admin/app.py``) share its logging and the middleware every answer passes through."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.api.errors import one_error_shape
from chalicelib.observability import configure_logging, observe


def new_app(app_name: str) -> Chalice:
    """An app whose every answer, Chalice's own errors included, has the service's error shape and
    whose every invocation is logged and counted with one correlation id."""
    # Powertools' Logger owns logging; Chalice's own handler would print every line twice.
    app = Chalice(app_name=app_name, configure_logs=False)
    configure_logging()
    # First registered, outermost: Chalice's own error answers (405, 415, 400, 500) pass through it.
    app.register_middleware(one_error_shape, "http")
    app.register_middleware(observe, "all")
    return app
