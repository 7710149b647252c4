"""The console's test world under moto: the template deployed, two versions packaged, one
account per role (``vera`` viewer, ``rita`` releaser, ``ada`` admin) and a site; a ``Session``
is what a browser holds after signing in. Shared by the console's test modules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from chalice.test import Client

from chalicelib import identity
from infra import people
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Session:
    """A browser's cookies after signing in, and the CSRF token its page was given."""

    cookie: str
    csrf: str
    set_cookies: list[str]

    def headers(self, *, csrf: bool = True, more: dict[str, str] | None = None) -> dict[str, str]:
        token = {"X-CSRF-Token": self.csrf} if csrf else {}
        return {"Cookie": self.cookie, "Sec-Fetch-Site": "same-origin", **JSON, **token, **(more or {})}


@dataclass
class World:
    client: Client
    outputs: dict[str, str]
    passwords: dict[str, str]
    site_id: str

    def sign_in(self, username: str) -> Session:
        body = json.dumps({"username": username, "password": self.passwords[username]}).encode()
        answer = self.client.http.post("/admin/console/session", headers=JSON, body=body)
        assert answer.status_code == 303, answer.body
        assert answer.headers["Location"] == "dashboard"
        set_cookies = set_cookie_headers(answer)
        pairs = [raw.split(";", 1)[0] for raw in set_cookies]
        cookie = "; ".join(pairs)
        page = self.client.http.get("/admin/console/dashboard", headers={"Cookie": cookie})
        assert page.status_code == 200, page.body
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.body.decode())
        assert csrf is not None
        return Session(cookie, csrf.group(1), set_cookies)

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused call might have changed, read with the CLI's credentials."""
        read = self.client.http.get
        return tuple(
            read(path, headers=admin_headers()).json_body
            for path in (
                f"/admin/plugins/{SLUG}",
                "/admin/sites",
                f"/admin/plugins/{SLUG}/audit",
                "/admin/plugins",
            )
        )


def set_cookie_headers(answer: Any) -> list[str]:
    """Each Set-Cookie header (Chalice's test client keeps a multi-value header as a list)."""
    value = answer.headers["Set-Cookie"]
    return list(value) if isinstance(value, list) else [value]


def moto_jwks(url: str) -> dict[str, Any]:
    """The pool's keys, read from the URL the service reads them from (moto answers it)."""
    answer = requests.get(url, timeout=5)
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


@pytest.fixture(scope="module", name="world")
def world_fixture() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch, deployed() as (client, outputs):
        patch.setattr(identity, "fetch_json", moto_jwks)
        identity._tokens.cache_clear()
        identity._sessions.cache_clear()
        bucket = outputs["ArtifactsBucketName"]
        for version in ("1.0.0", "1.1.0"):
            upload(bucket, f"sources/wordpress/{SLUG}/{version}/x.zip", source_zip())
        Packager(client, outputs).run()
        cognito = boto3.client("cognito-idp")
        passwords = {
            name: people.create_account(cognito, outputs["UserPoolId"], name, role)
            for name, role in (("vera", "viewer"), ("rita", "releaser"), ("ada", "admin"))
        }
        site = client.http.post(
            "/admin/sites",
            headers={**admin_headers(), **JSON},
            body=b'{"name": "Shop", "url": "https://shop.example"}',
        )
        assert site.status_code == 201, site.body
        yield World(client, outputs, passwords, site.json_body["site"]["site_id"])
