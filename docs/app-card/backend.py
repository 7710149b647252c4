"""A stand-in for the IGNY8 app's backend, just enough to run the example download card.

It serves this folder (the card) and two routes of "the app": ``GET /app/config`` (where the plugin
API is) and ``POST /app/plugin-token`` (a short-lived app token for the signed-in user). The real
app authenticates its session before minting; this stand-in has one signed-in user.

The key is read from the plugin service's Secrets Manager secret (on the local stack: moto, named
in ``.local/stack.json``); the page never sees it. ``mint_app_token`` is the README's example, the
code the app team copies: it uses nothing from this repository, so the end-to-end test checks the
documented contract, not a shared helper.

    .venv/bin/python docs/app-card/backend.py --port 8081 --stack-file .local/stack.json
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import time
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

HERE = Path(__file__).resolve().parent


def mint_app_token(key: str, user_id: str, lifetime: int = 300) -> str:
    """An X-IGNY8-App-Token for ``user_id``: v1.<claims>.<HMAC-SHA256 of "v1.<claims>">."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    claims = b64(json.dumps({"sub": user_id, "iat": now, "exp": now + lifetime}).encode())
    signature = hmac.new(key.encode(), f"v1.{claims}".encode(), hashlib.sha256).digest()
    return f"v1.{claims}.{b64(signature)}"


def app_token_key(stack_file: Path) -> str:
    """The current signing key from the local stack's secret (the app keeps its copy in its own
    configuration; it is shared out of band)."""
    stack = json.loads(stack_file.read_text())
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",  # moto's dummy credentials
        aws_secret_access_key="testing",  # noqa: S106 - moto's, not a secret
    )
    value = secrets.get_secret_value(SecretId=stack["app_token_secret"])["SecretString"]
    return str(json.loads(value)["key"])


class AppBackend(SimpleHTTPRequestHandler):
    """The card's files, plus the app's two routes."""

    def __init__(self, *args: Any, api: str, key: str, user: str, **kwargs: Any) -> None:
        self.api, self.key, self.user = api, key, user
        super().__init__(*args, directory=str(HERE), **kwargs)

    def do_GET(self) -> None:
        if self.path == "/app/config":
            self._json({"api": self.api})
        else:
            super().do_GET()

    def do_POST(self) -> None:
        if self.path == "/app/plugin-token":
            self._json({"token": mint_app_token(self.key, self.user)})
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _json(self, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a token minted is never printed."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--api", help="the plugin API's base URL (default: the stack's api_url)")
    parser.add_argument("--stack-file", type=Path, default=Path(".local/stack.json"))
    parser.add_argument("--user", default="demo-user", help="the signed-in app user")
    args = parser.parse_args()
    api = args.api or json.loads(args.stack_file.read_text())["api_url"]
    handler = partial(AppBackend, api=api, key=app_token_key(args.stack_file), user=args.user)
    server = ThreadingHTTPServer((args.host, args.port), handler)
    print(f"example card at http://{args.host}:{args.port}/  (plugin API: {api})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
