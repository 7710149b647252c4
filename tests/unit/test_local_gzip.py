"""Which Accept-Encoding values the local gateway gzips for, as API Gateway reads them."""

from __future__ import annotations

import gzip

import pytest

from infra.local_gzip import accepts_gzip, compressed, minimum_compression_size


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip", True),
        ("deflate;q=1.0, compress;q=0.5, gzip;q=0.5", True),  # WordPress' WP_Http with zlib
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("br, gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=banana", False),
        ("br, deflate", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_encoding(header: str | None, gzipped: bool) -> None:
    assert accepts_gzip(header) is gzipped


def test_only_answers_at_the_threshold_and_not_already_encoded_are_compressed() -> None:
    threshold = minimum_compression_size()
    assert threshold is not None
    big, small = b"x" * threshold, b"x" * (threshold - 1)
    headers, body = compressed("gzip", {"Content-Type": "application/json"}, big)
    assert headers["Content-Encoding"] == "gzip"
    assert isinstance(body, bytes) and gzip.decompress(body) == big
    assert compressed("gzip", {}, small) == ({}, small)
    assert compressed("gzip", {"Content-Encoding": "br"}, big) == ({"Content-Encoding": "br"}, big)
    assert compressed("gzip", {}, None) == ({}, None)
