"""Hostile requests, one table for the integration (Chalice's test client) and end-to-end (real
HTTP) error-shape tests: each must be a 4xx in the service's one error shape and change nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

SLUG = "igny8-wp-bridge"
Auth = Literal["none", "admin", "site"]
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    auth: Auth = "none"
    body: bytes | None = None
    content_type: str | None = "application/json"
    #: Statuses the answer may have (any 4xx when empty).
    status: tuple[int, ...] = ()
    code: str | None = None
    #: Only over real HTTP: Chalice's test client answers unknown routes from its own gateway.
    http_only: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _nested(depth: int) -> bytes:
    return b'{"version": ' + b"[" * depth + b"]" * depth + b"}"


CASES: tuple[Hostile, ...] = (
    Hostile("unknown route", "GET", "/no/such/route", status=(403, 404), http_only=True),
    Hostile(
        "unknown route, admin",
        "POST",
        "/admin/nothing-here",
        "admin",
        b"{}",
        status=(403, 404),
        http_only=True,
    ),
    Hostile("wrong method", "DELETE", f"/plugins/{SLUG}/info", status=(405,), code="method_not_allowed"),
    Hostile(
        "wrong method, admin",
        "PUT",
        "/admin/plugins",
        "admin",
        b"{}",
        status=(405,),
        code="method_not_allowed",
    ),
    Hostile(
        "form body on a JSON-only admin route",
        "POST",
        "/admin/sites",
        "admin",
        b"name=x&url=https://x.example",
        FORM,
        status=(415,),
        code="unsupported_media_type",
    ),
    Hostile(
        "xml body",
        "POST",
        f"/plugins/{SLUG}/health-check",
        "site",
        b"<a/>",
        "text/xml",
        (415,),
        "unsupported_media_type",
    ),
    Hostile(
        "invalid JSON, site",
        "POST",
        f"/plugins/{SLUG}/register-installation",
        "site",
        b"{nope",
        status=(400,),
        code="invalid_json",
    ),
    Hostile(
        "invalid JSON, admin",
        "POST",
        "/admin/plugins",
        "admin",
        b'{"slug": ',
        status=(400,),
        code="invalid_json",
    ),
    Hostile(
        "JSON nested 100000 deep, site",
        "POST",
        f"/plugins/{SLUG}/register-installation",
        "site",
        _nested(100_000),
        status=(400,),
    ),
    Hostile("JSON nested 30000 deep, admin", "POST", "/admin/sites", "admin", _nested(30_000), status=(400,)),
    Hostile(
        "JSON nested 900 deep (under Python's limit)",
        "POST",
        "/admin/sites",
        "admin",
        _nested(900),
        status=(400,),
        code="body_too_deep",
    ),
    Hostile(
        "JSON nested deep, session login",
        "POST",
        "/admin/session",
        body=b'{"token": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        status=(400, 401),
    ),
    Hostile(
        "JSON nested deep, anonymous admin",
        "PATCH",
        f"/admin/plugins/{SLUG}/versions/1.0.0",
        body=_nested(100_000),
        status=(401,),
        code="unauthorized",
    ),
    Hostile(
        "invalid body, anonymous admin (credentials first)",
        "PATCH",
        f"/admin/plugins/{SLUG}/versions/1.0.0",
        body=b'{"rollout_percent": "lots", "colour": 1}',
        status=(401,),
        code="unauthorized",
    ),
    Hostile(
        "10 MB body",
        "POST",
        f"/plugins/{SLUG}/track-download",
        "site",
        b'{"version": "' + b"1" * 10_000_000 + b'"}',
        status=(400, 413),
        code="body_too_large",
    ),
    Hostile(
        "10 MB form",
        "POST",
        f"/plugins/{SLUG}/track-download",
        "site",
        b"version=" + b"1" * 10_000_000,
        FORM,
        (400, 413),
    ),
    Hostile(
        "non-UTF-8 JSON",
        "POST",
        f"/plugins/{SLUG}/register-installation",
        "site",
        b'{"version": "\xff\xfe"}',
        status=(400,),
        code="invalid_json",
    ),
    Hostile(
        "UTF-16 JSON",
        "POST",
        "/admin/sites",
        "admin",
        '{"name": "x"}'.encode("utf-16"),
        status=(400,),
        code="invalid_json",
    ),
    Hostile(
        "lone surrogate",
        "POST",
        "/admin/sites",
        "admin",
        b'{"name": "\\ud800", "url": "https://x.example"}',
        status=(400,),
        code="invalid_unicode",
    ),
    Hostile(
        "NaN",
        "POST",
        f"/plugins/{SLUG}/health-check",
        "site",
        b'{"version": NaN, "status": "active"}',
        status=(400,),
        code="invalid_json",
    ),
    Hostile(
        "5000-digit number",
        "POST",
        f"/plugins/{SLUG}/health-check",
        "site",
        b'{"version": ' + b"9" * 5000 + b"}",
        status=(400,),
    ),
    Hostile(
        "non-UTF-8 form",
        "POST",
        f"/plugins/{SLUG}/register-installation",
        "site",
        b"version=%ff%fe",
        FORM,
        (400,),
        "invalid_form",
    ),
    Hostile("NUL in slug", "GET", "/plugins/%00/info", status=(400, 404)),
    Hostile("dot-dot slug", "GET", "/plugins/../info", status=(400, 404)),
    Hostile("dot-dot slug, admin", "GET", "/admin/plugins/..", "admin", status=(400, 404)),
    Hostile(
        "5000-char slug",
        "GET",
        f"/plugins/{'a' * 5000}/check-update?current_version=1.0.0",
        status=(400, 404),
    ),
    Hostile(
        "5000-char version, check-update",
        "GET",
        f"/plugins/{SLUG}/check-update?current_version={'1' * 5000}",
        status=(400,),
    ),
    Hostile(
        "5000-char version, download",
        "GET",
        f"/plugins/{SLUG}/download?version={'1.' * 2500}",
        status=(400, 404),
    ),
    Hostile(
        "5000-char version, upload URL",
        "POST",
        f"/admin/plugins/{SLUG}/versions/{'1' * 5000}/upload",
        "admin",
        b"{}",
        status=(400,),
        code="invalid_version",
    ),
    Hostile(
        "odd version, upload URL",
        "POST",
        f"/admin/plugins/{SLUG}/versions/..%2F..%00/upload",
        "admin",
        b"{}",
        status=(400,),
    ),
    Hostile(
        "5000-char version, transition",
        "POST",
        f"/admin/plugins/{SLUG}/versions/{'9' * 5000}/release",
        "admin",
        b"{}",
        status=(400, 404),
    ),
    Hostile(
        "5000-char version, PATCH",
        "PATCH",
        f"/admin/plugins/{SLUG}/versions/{'9' * 5000}",
        "admin",
        b"{}",
        status=(400, 404),
    ),
    Hostile(
        "superscript days",
        "GET",
        f"/admin/plugins/{SLUG}/stats?days=%C2%B2",
        "admin",
        status=(400,),
        code="invalid_days",
    ),
    Hostile(
        "5000-digit days",
        "GET",
        f"/admin/plugins/{SLUG}/stats?days={'9' * 5000}",
        "admin",
        status=(400,),
        code="invalid_days",
    ),
    Hostile(
        "unclosed IPv6 site URL, admin",
        "POST",
        "/admin/sites",
        "admin",
        json.dumps({"name": "x", "url": "http://[::1"}).encode(),
        status=(400,),
        code="invalid_url",
    ),
    Hostile(
        "unclosed IPv6 site URL, site",
        "POST",
        f"/plugins/{SLUG}/register-installation",
        "site",
        json.dumps({"version": "1.0.0", "site_url": "http://[::1"}).encode(),
        status=(400,),
    ),
    Hostile(
        "unclosed IPv6 site URL, form",
        "POST",
        f"/plugins/{SLUG}/register",
        "site",
        b"version=1.0.0&site_url=http%3A%2F%2F%5B%3A%3A1",
        FORM,
        (400,),
    ),
)


def check_answer(case: Hostile, status: int, content_type: str, body: Any) -> None:
    """A 4xx (of the expected statuses), JSON, exactly ``{"error": {"code", "message"}}``."""
    assert 400 <= status < 500, (case.name, status, body)
    assert not case.status or status in case.status, (case.name, status, body)
    assert content_type.split(";", maxsplit=1)[0].strip() == "application/json", (case.name, content_type)
    assert isinstance(body, dict) and set(body) == {"error"}, (case.name, body)
    assert set(body["error"]) == {"code", "message"}, (case.name, body)
    assert all(isinstance(body["error"][k], str) and body["error"][k] for k in ("code", "message")), case.name
    assert case.code is None or body["error"]["code"] == case.code, (case.name, body)
    assert "Traceback" not in json.dumps(body), case.name
