"""API Gateway, locally: both APIs of the service on one port, under ``/api`` as deployed.

Deployed, the public edge and the admin API are two REST APIs behind one custom domain (README:
Deploy): base path ``api`` is the public one, ``api/admin`` the admin one. Here one Chalice local
server answers for both: a path under ``/api/admin`` goes to the admin app (``admin/app.py``),
any other to the public app (``app.py``), so every URL, the CLI, the bridge and the end-to-end
tests see one service, as sites and admins do.

Deployed, the public function's handler is not the app but ``chalicelib.api.entry.handler``
(``infra/package.py``), which answers the check-updates it can without importing the app. Here the
public app's requests go through it too, so every test of the local stack serves what is deployed:
routes still match against the whole app's, as API Gateway's resources are the app's routes.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalGateway, LocalGatewayException

from chalicelib.api import entry
from infra import local_gzip

API_PREFIX = "/api"
#: The admin API's routes: its own REST API when deployed, its own Chalice app here.
ADMIN_PREFIX = "/admin"

log = logging.getLogger("igny8.local")


def is_admin_route(route: str) -> bool:
    """Whether a path below ``/api`` is the admin API's."""
    return route == ADMIN_PREFIX or route.startswith(ADMIN_PREFIX + "/")


class ThroughEntry:
    """The public app as Chalice's local gateway uses it: its routes, CORS and authorizers for
    matching, but each matched request handed to the deployed function's handler."""

    def __init__(self, app: Chalice) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return entry.handler(event, context)


def api_handler(admin_app: Chalice, config: Config) -> type:
    """Chalice's local request handler, serving the public app (the one ``LocalDevServer`` is
    given, through ``ThroughEntry``) and ``admin_app`` under ``/api``, with or without a trailing slash, as API Gateway's
    stage path does when deployed."""

    class ApiHandler(ChaliceRequestHandler):
        path: str  # BaseHTTPRequestHandler's field; declared so mypy sees it through Chalice's class

        def __init__(
            self, request: Any, client_address: Any, server: Any, app_object: Chalice, config: Config
        ) -> None:
            # Chalice's handler builds its gateway here and serves the request before returning.
            super().__init__(request, client_address, server, ThroughEntry(app_object), config)  # type: ignore[arg-type]

        def _generic_handle(self) -> None:
            route, sep, query = self.path.partition("?")
            if route != API_PREFIX and not route.startswith(API_PREFIX + "/"):
                self._send_error_json(404, "not_found", f"nothing at {route}")
                return
            length = self.headers.get("content-length", "0")
            if not length.isascii() or not length.isdigit():  # Chalice's int() would drop the connection
                self._send_error_json(400, "bad_request", "Content-Length is not a number")
                return
            route = route[len(API_PREFIX) :].rstrip("/") or "/"
            if is_admin_route(route):
                self.local_gateway = LocalGateway(admin_app, config)
            self.path = route + sep + query
            super()._generic_handle()

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle
        _send_http_response = local_gzip.sender(is_admin_route)  # API Gateway's, public API only

        def _send_error_response(self, error: LocalGatewayException) -> None:
            """Chalice's local gateway answers before the app (no middleware sees it): an unknown
            route is its 403 "Missing Authentication Token". Answer in the service's shape; a 404,
            since locally no signature is ever missing (deployed, see infra/deploy.py)."""
            if isinstance(error, ForbiddenError):
                route = API_PREFIX + self.path.partition("?")[0]
                self._send_error_json(404, "not_found", f"no route {self.command} {route}")
            else:
                self._send_error_json(error.CODE, "unauthorized", "the request is not authorised")

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """http.server's own refusals (a malformed request line, an oversize line or header,
            an unknown method), in the service's shape instead of its HTML page. All are the
            client's fault: its 501 for an unknown method is a 405, its 505 for HTTP/2+ a 400."""
            if code == HTTPStatus.NOT_IMPLEMENTED:
                code, kind = HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed"
            else:
                code, kind = (code, "bad_request") if code < 500 else (HTTPStatus.BAD_REQUEST, "bad_request")
            self.close_connection = True
            self._send_error_json(code, kind, message or HTTPStatus(code).phrase, {"Connection": "close"})

        def _send_error_json(
            self, status: int, code: str, message: str, headers: dict[str, str] | None = None
        ) -> None:
            body = json.dumps({"error": {"code": code, "message": message}})
            if self.command == "HEAD":
                self._send_http_response(
                    status, {"Content-Type": "application/json", **(headers or {})}, None
                )
                return
            self._send_http_response(status, {"Content-Type": "application/json", **(headers or {})}, body)

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return ApiHandler
