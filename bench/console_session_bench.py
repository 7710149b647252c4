"""What a console session costs per request, against the CLI's bearer token as the floor.

Run from the repository root::

    .venv/bin/python -m bench.console_session_bench [--requests 400]

The service's template deployed into moto in this process (the user pool included), one admin
account signed in through ``POST /admin/console/session``. Measured at two depths, each pair
interleaved so that the shared machine's drift hits both alike:

* the credential check alone: ``PoolTokens.person`` on the session (RS256 signature and claims,
  keys cached per container) against ``token_is_valid`` on the admin token (one SHA-256);
* a whole read through the admin app on Chalice's test client: ``GET /admin/console/plugins``
  with the session cookie against ``GET /admin/plugins`` with the bearer token (same view).

Medians in microseconds and their ratio (session / token) are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import boto3
import requests
from chalice.test import Client
from moto import mock_aws

import tests.conftest as test_environment  # the settings a test stage reads, before the app
from chalicelib import adapters, identity
from chalicelib.api.auth import token_is_valid
from chalicelib.settings import get_settings
from infra import people, stack


def _median_us(call: Callable[[], object], other: Callable[[], object], n: int) -> tuple[float, float]:
    first: list[float] = []
    second: list[float] = []
    for _ in range(n):
        for call_, out in ((call, first), (other, second)):
            started = time.perf_counter()
            call_()
            out.append((time.perf_counter() - started) * 1e6)
    return statistics.median(first), statistics.median(second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    with mock_aws():
        outputs = stack.deploy(stage="test")
        os.environ.update(stack.environment(outputs))
        adapters.reset()
        identity.fetch_json = lambda url: requests.get(url, timeout=5).json()  # moto answers the JWKS URL
        from admin.app import app  # noqa: PLC0415 - after the settings exist

        password = people.create_account(boto3.client("cognito-idp"), outputs["UserPoolId"], "bench", "admin")
        client = Client(app, stage_name="test")
        signed_in = client.http.post(
            "/admin/console/session",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"username": "bench", "password": password}).encode(),
        )
        session_cookie = next(c for c in signed_in.headers["Set-Cookie"] if c.startswith("igny8_session="))
        cookie = session_cookie.split(";", 1)[0]
        session = cookie.split("=", 1)[1]
        verifier = identity.tokens()
        settings = get_settings()
        check = _median_us(
            lambda: verifier.person(session),
            lambda: token_is_valid(settings, test_environment.ADMIN_TOKEN),
            args.requests,
        )
        whole = _median_us(
            lambda: client.http.get("/admin/console/plugins", headers={"Cookie": cookie}),
            lambda: client.http.get(
                "/admin/plugins", headers={"Authorization": f"Bearer {test_environment.ADMIN_TOKEN}"}
            ),
            args.requests,
        )
    print(f"{'depth':<34}{'session us':>12}{'token us':>12}{'ratio':>8}   (n={args.requests} each, medians)")
    for name, (with_session, with_token) in (
        ("credential check alone", check),
        ("GET plugins through the app", whole),
    ):
        print(f"{name:<34}{with_session:>12.1f}{with_token:>12.1f}{with_session / with_token:>8.2f}")


if __name__ == "__main__":
    main()
