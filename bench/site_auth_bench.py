"""Whether a refused site key tells a real site id from an unknown one by its timing.

Run from the repository root::

    .venv/bin/python -m bench.site_auth_bench [--requests 500]

In one process, on the service's own template deployed into moto (DynamoDB as the Lambda sees
it through ``DynamoRepository``), with one registered site. Two kinds of refused request,
interleaved so that the shared machine's drift hits both alike:

* known id, wrong key: ``X-IGNY8-Site-ID`` names the site, the key is someone else's;
* unknown id: a site id that was never registered, with a key of the same shape.

Measured at three depths: ``Sites.authenticate`` on a repository that returns the site or None
at no cost (the logic alone: what the fix changed), the same on ``DynamoRepository`` (plus the GetItem of a present or an
absent item), and a whole ``GET /plugins/{slug}/download-url`` request through the app on
Chalice's test client (401 either way). Medians and their ratio (known / unknown) are printed;
1.00 means nothing to see.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import adapters
from chalicelib.logic.commands import CreateSite
from chalicelib.logic.errors import Unauthorized
from chalicelib.logic.model import Site
from chalicelib.logic.sites import Sites
from infra import stack

ROUTE = "/plugins/igny8-wp-bridge/download-url"


class _OneSite:
    """A repository of one site that hands it out as is: no store, no copy, only the logic."""

    def __init__(self, site: Site) -> None:
        self._site = site

    def get_site(self, site_id: str) -> Site | None:
        return self._site if site_id == self._site.site_id else None


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _interleaved(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Each call ``rounds`` times, alternating; the median milliseconds of each."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: _median_ms(values) for name, values in samples.items()}


def _refused(authenticate: Callable[[], object]) -> Callable[[], object]:
    def call() -> object:
        try:
            authenticate()
        except Unauthorized:
            return None
        raise AssertionError("a wrong key was accepted")

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="per kind and depth (at least 200)")
    rounds = max(200, parser.parse_args().requests)

    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.delenv("AWS_PROFILE", raising=False)
        for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
            env.setenv(name, value)
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("STAGE", "bench")
        outputs = stack.deploy(stage="bench")
        for name, value in stack.environment(outputs).items():
            env.setenv(name, value)
        env.setenv("ADMIN_AUTH", "token")
        env.setenv("ADMIN_TOKEN_SHA256", "0" * 64)
        adapters.reset()
        repo = adapters.repository()
        site, key = Sites(repo, adapters.now(), timedelta(hours=1)).create(
            CreateSite(name="Shop", url="https://shop.example", site_id="site-known")
        )
        wrong = key[:-4] + "AAAA"
        in_memory = Sites(_OneSite(site), adapters.now(), timedelta(hours=1))
        logic = _interleaved(
            {
                "known id, wrong key": _refused(lambda: in_memory.authenticate(site.site_id, wrong)),
                "unknown id": _refused(lambda: in_memory.authenticate("site-unknown", wrong)),
            },
            rounds,
        )
        sites = Sites(repo, adapters.now(), timedelta(hours=1))
        direct = _interleaved(
            {
                "known id, wrong key": _refused(lambda: sites.authenticate(site.site_id, wrong)),
                "unknown id": _refused(lambda: sites.authenticate("site-unknown", wrong)),
            },
            rounds,
        )
        with Client(app, stage_name="bench") as client:

            def request(site_id: str) -> Callable[[], object]:
                def call() -> object:
                    response = client.http.get(
                        ROUTE, headers={"X-IGNY8-Site-ID": site_id, "X-IGNY8-API-Key": wrong}
                    )
                    assert response.status_code == 401, response.body
                    return None

                return call

            http = _interleaved(
                {"known id, wrong key": request(site.site_id), "unknown id": request("site-unknown")}, rounds
            )
        adapters.reset()

    print(f"refused site keys, median of {rounds} each, interleaved (ms)")
    print(f"{'depth':<34}{'known id':>10}{'unknown id':>12}{'ratio':>8}")
    depths = (
        ("Sites.authenticate (logic only)", logic),
        ("Sites.authenticate (DynamoDB)", direct),
        ("GET download-url (whole app)", http),
    )
    for depth, medians in depths:
        known, unknown = medians["known id, wrong key"], medians["unknown id"]
        print(f"{depth:<34}{known:>10.3f}{unknown:>12.3f}{known / unknown:>8.2f}")


if __name__ == "__main__":
    main()
