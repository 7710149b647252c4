"""What the console's pages add to the admin API: naming sites in the statistics, and the page.

Run from the repository root::

    .venv/bin/python -m bench.console_pages_bench [--sites 100 1000] [--rounds 15]

The template's tables in moto, in this process. At each fleet size N: N sites, each running the
plugin (one installation per site), 5 % of them reporting a failing health check. Measured,
interleaved so the shared machine's drift hits both alike:

* the statistics as the API answered them before (``plugin_stats``: the floor), against what the
  stats route answers now (``name_sites``: each listed site read by its id, so a failing site shows
  its name and URL instead of an opaque id), and against the first version of that (one scan of
  the whole sites table);
* the console's page as assembled per request (the shell, nine scripts and two style sheets
  inlined under a fresh nonce) against a constant string the page's size (the floor), and the
  page's bytes, raw and gzipped.

Medians in milliseconds and their ratio to the floor measured in the same run are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from moto import mock_aws

import tests.conftest  # noqa: F401 - the settings a test stage reads, before the app
from chalicelib import adapters
from chalicelib.adapters import repository
from chalicelib.api.console_page import console_body, new_nonce
from chalicelib.logic.console_views import name_sites
from chalicelib.logic.model import Installation, Platform, Site
from chalicelib.logic.plugins import new_plugin
from chalicelib.logic.ports import Repository
from chalicelib.logic.roles import Person, Role
from chalicelib.logic.stats import plugin_stats
from infra import stack

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
SLUG = "bench-plugin"


@contextlib.contextmanager
def bench_repository() -> Iterator[Repository]:
    """The template's tables under moto holding one plugin, ``SLUG``: the world the console's
    benches read, made one way so their figures compare."""
    with mock_aws():
        os.environ.update(stack.environment(stack.deploy(stage="test")))
        adapters.reset()
        repo = repository()
        repo.save_plugin(new_plugin(SLUG, "Bench plugin", Platform.WORDPRESS, NOW))
        yield repo


def _median_ms(call: Callable[[], object], floor: Callable[[], object], rounds: int) -> tuple[float, float]:
    measured: list[float] = []
    floors: list[float] = []
    for _ in range(rounds):
        for call_, out in ((floor, floors), (call, measured)):
            started = time.perf_counter()
            call_()
            out.append((time.perf_counter() - started) * 1e3)
    return statistics.median(measured), statistics.median(floors)


def _fleet(count: int, start: int) -> None:
    """``count`` more sites with the plugin installed, one in twenty failing its health check."""
    repo = repository()
    for n in range(start, start + count):
        site_id = f"site_{n:06d}"
        repo.save_site(
            Site(
                site_id=site_id,
                name=f"Shop {n}",
                url=f"https://shop{n}.example",
                key_sha256="0" * 64,
                key_prefix="igny8_sk_0",
                created_at=NOW,
            )
        )
        failing = n % 20 == 0
        repo.save_installation(
            Installation(
                site_id=site_id,
                slug=SLUG,
                created_at=NOW - timedelta(days=3),
                updated_at=NOW,
                current_version="1.0.0",
                last_health_check=NOW,
                last_reported_at=NOW,
                health_status="error" if failing else "ok",
                health_message="fatal error" if failing else None,
            )
        )


def _scanned(repo: Repository) -> Callable[[str], Site | None]:
    """The first way of naming sites, for comparison: one scan of every site, then a lookup."""
    every = {site.site_id: site for site in repo.sites()}
    return every.get


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with bench_repository() as repo:
        print(
            "| sites | failing | stats before (floor) ms | with names, read by id ms | x floor | with a scan ms | x floor |"
        )
        print("|---|---|---|---|---|---|---|")
        made = 0
        for size in sorted(args.sites):
            _fleet(size - made, made)
            made = size
            stats = plugin_stats(repo, SLUG, NOW, 30)
            named, floor = _median_ms(
                lambda: name_sites(plugin_stats(repo, SLUG, NOW, 30), repo.get_site),
                lambda: plugin_stats(repo, SLUG, NOW, 30),
                args.rounds,
            )
            scanned, floor_again = _median_ms(
                lambda: name_sites(plugin_stats(repo, SLUG, NOW, 30), _scanned(repo)),
                lambda: plugin_stats(repo, SLUG, NOW, 30),
                args.rounds,
            )
            failing = stats["health"]["failing"]
            print(
                f"| {size} | {failing} | {floor:.1f} | {named:.1f} | {named / floor:.2f} "
                f"| {scanned:.1f} | {scanned / floor_again:.2f} |"
            )
        person = Person(actor="bench", role=Role.ADMIN)
        page = console_body(person, "csrf", new_nonce())
        constant = "x" * len(page)
        assembled, floor = _median_ms(
            lambda: console_body(person, "csrf", new_nonce()), lambda: constant.replace("{{", ""), 200
        )
        raw = len(page.encode())
        print(
            f"\nconsole page: {raw:,} B raw, {len(gzip.compress(page.encode())):,} B gzipped; "
            f"assembled in {assembled * 1e3:.0f} us (floor: a constant of that size, {floor * 1e3:.0f} us; "
            f"x {assembled / floor:.1f})"
        )


if __name__ == "__main__":
    main()
