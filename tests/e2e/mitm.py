"""A man in the middle between a WordPress site and the service: what a compromised CDN, a
TLS-intercepting proxy or a hijacked API front can do. It forwards every request unchanged, and a
test may rewrite the answers on their way back (replay an old one, strip its signature, re-sign
it with some key, offer another version).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import requests

#: Hop-by-hop and body-framing headers the proxy sets itself.
_DROPPED = {"connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive", "host"}


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as it travels back to the site."""

    status: int
    headers: dict[str, str]
    body: bytes

    def with_headers(self, **headers: str) -> Answer:
        kept = {k: v for k, v in self.headers.items() if k.lower() not in {h.lower() for h in headers}}
        return replace(self, headers={**kept, **headers})

    def without(self, *names: str) -> Answer:
        lowered = {n.lower() for n in names}
        return replace(self, headers={k: v for k, v in self.headers.items() if k.lower() not in lowered})


#: path -> the upstream answer -> what the site receives.
Rewrite = Callable[[str, Answer], Answer]


@dataclass
class AnswerProxy:
    """Listening on ``url`` (an API base, like the service's); ``rewrite`` applies to every answer
    while set; ``rewritten`` lists the paths it changed."""

    url: str
    rewrite: Rewrite | None = None
    rewritten: list[str] = field(default_factory=list)


@contextlib.contextmanager
def answer_proxy(upstream_api: str) -> Iterator[AnswerProxy]:
    """A proxy in front of ``upstream_api`` (``http://host:port/api``) for the block's duration."""
    upstream = urlsplit(upstream_api)
    origin = f"{upstream.scheme}://{upstream.netloc}"
    proxy = AnswerProxy(url="")

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _DROPPED}
            upstream_answer = requests.request(
                self.command,
                origin + self.path,
                headers={**headers, "Accept-Encoding": "identity"},
                data=self.rfile.read(length) if length else None,
                allow_redirects=False,
                timeout=60,
            )
            answer = Answer(
                upstream_answer.status_code,
                {k: v for k, v in upstream_answer.headers.items() if k.lower() not in _DROPPED},
                upstream_answer.content,
            )
            if proxy.rewrite is not None:
                changed = proxy.rewrite(self.path, answer)
                if changed != answer:
                    proxy.rewritten.append(self.path)
                answer = changed
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pytest shows what matters

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}{upstream.path}"
    thread = threading.Thread(target=server.serve_forever, name="igny8-mitm", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
