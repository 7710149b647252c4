"""Whether a refused site key tells a real site id from an unknown one by its timing.

Run from the repository root::

    .venv/bin/python -m bench.site_auth_bench [--requests 500]

With one registered site, two kinds of refused request, interleaved so that the shared machine's
drift hits both alike:

* known id, wrong key: ``X-IGNY8-Site-ID`` names the site, the key is someone else's;
* unknown id: a site id that was never registered, with a key of the same shape.

Measured at four depths: ``Sites.authenticate`` on a repository that returns the site or None at
no cost (the logic alone), the same on ``DynamoRepository`` over the service's template deployed
into moto in this process (plus the GetItem of a present or an absent item), a whole
``GET /plugins/{slug}/download-url`` through the app on Chalice's test client, and the same
request over HTTP to the local stack (``infra.local``: moto's server, Chalice's local server),
401 every time. Each depth is measured as served (refusals answered on the pace's grid,
``chalicelib/logic/pacing.py``) and with the pace switched off, which shows the difference it
hides. Medians and their ratio (known / unknown) are printed; 1.00 means nothing to see. Last,
a valid key on ``DynamoRepository`` with the pace and without it: what the grid costs a site
that has its key (ratio 1.00: nothing).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
import requests
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import adapters
from chalicelib.clock import now
from chalicelib.logic import sites as sites_module
from chalicelib.logic.commands import CreateSite
from chalicelib.logic.errors import Unauthorized
from chalicelib.logic.model import Site
from chalicelib.logic.pacing import Pace
from chalicelib.logic.ports import Repository
from chalicelib.logic.sites import Sites
from infra import stack
from infra.local import running
from tests.e2e.wordpress import free_port

ROUTE = "/plugins/igny8-wp-bridge/download-url"
KINDS = ("known id, wrong key", "unknown id")
UNKNOWN = "site-unknown"
#: A probe is one refused request of each kind.
Probe = dict[str, Callable[[], object]]


class _OneSite:
    """A repository of one site that hands it out as is: no store, no copy, only the logic (it has
    only the one method ``authenticate`` calls)."""

    def __init__(self, site: Site) -> None:
        self._site = site

    def get_site(self, site_id: str) -> Site | None:
        return self._site if site_id == self._site.site_id else None


def _medians(calls: Probe, rounds: int) -> dict[str, float]:
    """Each call ``rounds`` times, alternating; the median milliseconds of each."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def _interleaved(calls: Probe, rounds: int) -> tuple[float, float]:
    """The median milliseconds of each kind of refusal."""
    medians = _medians(calls, rounds)
    return medians[KINDS[0]], medians[KINDS[1]]


def _paced_and_raw(calls: Probe, rounds: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The medians as served, then with the refusal pace off (what it hides)."""
    served = _interleaved(calls, rounds)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sites_module, "REFUSAL_PACE", Pace(granule=0))
        raw = _interleaved(calls, rounds)
    return served, raw


def _refused(authenticate: Callable[[str], object], known: str, wrong: str) -> Probe:
    def kind(site_id: str) -> Callable[[], object]:
        def call() -> object:
            try:
                authenticate(site_id)
            except Unauthorized:
                return None
            raise AssertionError(f"{wrong!r} was accepted for {site_id}")

        return call

    return {KINDS[0]: kind(known), KINDS[1]: kind(UNKNOWN)}


def _requests(get: Callable[[str], int], known: str) -> Probe:
    def kind(site_id: str) -> Callable[[], object]:
        def call() -> object:
            status = get(site_id)
            assert status == 401, status
            return None

        return call

    return {KINDS[0]: kind(known), KINDS[1]: kind(UNKNOWN)}


def _new_site() -> tuple[Site, str, str]:
    """The registered site, its key, and a wrong key of the same shape."""
    sites = Sites(adapters.repository(), now(), timedelta(hours=1))
    site, key = sites.create(CreateSite(name="Shop", url="https://shop.example", site_id="site-known"))
    return site, key, key[:-4] + "AAAA"


@contextmanager
def _moto_in_process() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.delenv("AWS_PROFILE", raising=False)
        for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
            env.setenv(name, value)
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("STAGE", "bench")
        for name, value in stack.environment(stack.deploy(stage="bench")).items():
            env.setenv(name, value)
        env.setenv("ADMIN_AUTH", "token")
        env.setenv("ADMIN_TOKEN_SHA256", "0" * 64)
        adapters.reset()
        try:
            yield
        finally:
            adapters.reset()


def _in_process(
    rounds: int,
) -> tuple[dict[str, tuple[tuple[float, float], tuple[float, float]]], dict[str, float]]:
    """The refusals at three depths, and what a valid key costs with the pace and without it."""
    with _moto_in_process():
        site, key, wrong = _new_site()
        overlap = timedelta(hours=1)
        served = Sites(adapters.repository(), now(), overlap, pace=Pace())
        unpaced = Sites(adapters.repository(), now(), overlap, pace=Pace(granule=0))
        valid = _medians(
            {
                "as served": lambda: served.authenticate(site.site_id, key),
                "without the pace": lambda: unpaced.authenticate(site.site_id, key),
            },
            rounds,
        )
        in_memory = Sites(cast("Repository", _OneSite(site)), now(), timedelta(hours=1))
        sites = Sites(adapters.repository(), now(), timedelta(hours=1))
        depths = {
            "Sites.authenticate (logic only)": _paced_and_raw(
                _refused(lambda sid: in_memory.authenticate(sid, wrong), site.site_id, wrong), rounds
            ),
            "Sites.authenticate (DynamoDB)": _paced_and_raw(
                _refused(lambda sid: sites.authenticate(sid, wrong), site.site_id, wrong), rounds
            ),
        }
        with Client(app, stage_name="bench") as client:

            def get(site_id: str) -> int:
                headers = {"X-IGNY8-Site-ID": site_id, "X-IGNY8-API-Key": wrong}
                return int(client.http.get(ROUTE, headers=headers).status_code)

            depths["GET download-url (whole app)"] = _paced_and_raw(_requests(get, site.site_id), rounds)
    return depths, valid


def _over_http(rounds: int) -> tuple[tuple[float, float], tuple[float, float]]:
    with (
        tempfile.TemporaryDirectory(prefix="igny8-site-auth-bench-") as scratch,
        pytest.MonkeyPatch.context() as env,
    ):
        env.delenv("AWS_PROFILE", raising=False)  # the stack sets its own credentials
        with running("127.0.0.1", free_port(), 0, Path(scratch), fresh=True) as local:
            adapters.reset()
            site, _, wrong = _new_site()
            http = requests.Session()

            def get(site_id: str) -> int:
                headers = {"X-IGNY8-Site-ID": site_id, "X-IGNY8-API-Key": wrong}
                return http.get(local.api_url + ROUTE, headers=headers, timeout=30).status_code

            measured = _paced_and_raw(_requests(get, site.site_id), rounds)
            adapters.reset()
            return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="per kind and depth (at least 200)")
    rounds = max(200, parser.parse_args().requests)
    logging.disable(logging.INFO)  # a log line per refusal would bury the table

    depths, valid = _in_process(rounds)
    depths["GET download-url (local stack, HTTP)"] = _over_http(rounds)

    print(f"refused site keys, median of {rounds} each, interleaved (ms)")
    print(f"{'':38}{'as served':^30}{'without the pace':^30}")
    columns = f"{'known id':>10}{'unknown id':>12}{'ratio':>8}"
    print(f"{'depth':<38}{columns}{columns}")
    for depth, ((known, unknown), (raw_known, raw_unknown)) in depths.items():
        served = f"{known:>10.3f}{unknown:>12.3f}{known / unknown:>8.2f}"
        raw = f"{raw_known:>10.3f}{raw_unknown:>12.3f}{raw_known / raw_unknown:>8.2f}"
        print(f"{depth:<38}{served}{raw}")
    paced, unpaced = valid["as served"], valid["without the pace"]
    print(f"\nvalid key, Sites.authenticate (DynamoDB), median of {rounds} each, interleaved (ms)")
    print(f"as served {paced:.3f}, without the pace {unpaced:.3f}, ratio {paced / unpaced:.2f}")


if __name__ == "__main__":
    main()
