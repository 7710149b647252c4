"""The local gateway compresses as API Gateway does with the stage's ``minimumCompressionSize``
(``.chalice/config.json``'s ``minimum_compression_size``): over real HTTP, a client that accepts
gzip gets gzip whose bytes are the plain answer's; one that does not, or a small answer, gets it plain."""

from __future__ import annotations

import gzip
import socket
from urllib.parse import urlparse

import pytest
import requests

from infra.local_gzip import minimum_compression_size
from tests.e2e.conftest import SLUG, Stack

pytestmark = pytest.mark.e2e


def raw_get(url: str, accept_encoding: str | None) -> tuple[dict[str, str], bytes]:
    """One GET with exactly these headers (requests would add its own Accept-Encoding and decode)."""
    parts = urlparse(url)
    request = f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
    if accept_encoding is not None:
        request += f"Accept-Encoding: {accept_encoding}\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall((request + "\r\n").encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    assert int(headers["content-length"]) == len(body)
    return headers, body


@pytest.mark.parametrize("path", ["check-update/?current_version=0.0.1", "info/"])
def test_a_gzip_client_gets_gzip_whose_bytes_are_the_plain_answer(stack: Stack, path: str) -> None:
    url = f"{stack.api}/plugins/{SLUG}/{path}"
    plain_headers, plain = raw_get(url, None)
    packed_headers, packed = raw_get(url, "deflate;q=1.0, compress;q=0.5, gzip;q=0.5")  # WordPress' WP_Http

    assert "content-encoding" not in plain_headers
    assert len(plain) >= (minimum_compression_size() or 0) > 0
    assert packed_headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain)
    assert requests.get(url, timeout=10).content == plain  # a client that decodes sees no difference


def test_no_gzip_when_refused_or_below_the_threshold(stack: Stack) -> None:
    url = f"{stack.api}/plugins/{SLUG}/info/"
    refused_headers, refused = raw_get(url, "gzip;q=0, identity")
    assert "content-encoding" not in refused_headers
    small_headers, small = raw_get(f"{stack.api}/plugins/no-such-plugin/info/", "gzip")
    assert len(small) < (minimum_compression_size() or 0)
    assert "content-encoding" not in small_headers
    assert b'"not_found"' in small
    assert refused.startswith(b"{")


def test_the_admin_api_is_not_compressed_as_its_stage_sets_no_size(stack: Stack) -> None:
    headers, body = raw_get(f"{stack.api}/admin/openapi.json", "gzip")
    assert len(body) >= (minimum_compression_size() or 0)
    assert "content-encoding" not in headers
    assert body.startswith(b"{")
