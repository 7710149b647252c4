"""What the console's rollout panel and audit pages cost the admin API.

Run from the repository root::

    .venv/bin/python -m bench.console_rollout_bench [--sites 1000 5000] [--entries 2000] [--rounds 15]

The template's tables in moto, in this process. Measured, interleaved so the shared machine's
drift hits both alike, as medians in milliseconds with their ratio to a floor measured in the
same run:

* a halted rollout's failing sites by name (``GET .../rollouts/halted-sites``: the halt's
  evidence names at most 50 sites by id, each read by its id) against the read it cannot avoid,
  the plugin's versions (the floor), and against what the page would do without the route: read
  every site (``GET /admin/sites``, a scan) and join in the browser;
* an audit trail of ``--entries`` entries read a page at a time: the newest page (no cursor), a
  page ten pages deep (by its cursor), against the one read the API made before paging (the
  newest 100: the floor). A page's cost should not grow with its depth.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import tests.conftest  # noqa: F401 - the settings a test stage reads, before the app
from bench.console_pages_bench import NOW, SLUG, _median_ms, bench_repository
from chalicelib.logic.audit_pages import AuditQuery, audit_page
from chalicelib.logic.console_views import halted_sites
from chalicelib.logic.model import AuditEntry, PluginVersion, RolloutPlan, Site, Status
from chalicelib.logic.ports import Repository

#: Failing sites a halt's evidence names (``guard/runner.SITES_SHOWN``).
NAMED = 50


def _sites(repo: Repository, count: int, start: int) -> None:
    for n in range(start, start + count):
        repo.save_site(
            Site(
                site_id=f"site_{n:06d}",
                name=f"Shop {n}",
                url=f"https://shop{n}.example",
                key_sha256="0" * 64,
                key_prefix="igny8_sk_0",
                created_at=NOW,
            )
        )


def _halted(repo: Repository) -> None:
    """Version 1.1.0 halted, its evidence naming ``NAMED`` failing sites."""
    plan = RolloutPlan(
        steps=[5, 100],
        step_hours=6,
        step_started_at=NOW,
        state="halted",
        evidence={"action": "halt", "sites": [f"site_{n:06d}" for n in range(0, NAMED * 20, 20)]},
    )
    for version, rollout in (("1.0.0", None), ("1.1.0", plan)):
        repo.save_version(
            PluginVersion(
                slug=SLUG,
                version=version,
                status=Status.RELEASED,
                created_at=NOW,
                released_at=NOW,
                rollout_percent=5 if rollout else 100,
                rollout=rollout,
            ),
            expected=None,
        )


def _trail(repo: Repository, entries: int) -> None:
    for n in range(entries):
        repo.append_audit(
            AuditEntry(
                slug=SLUG,
                at=NOW - timedelta(minutes=entries - n),
                actor="bench",
                action="configure",
                version="1.0.0",
                before={},
                after={"n": n},
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with bench_repository() as repo:
        _halted(repo)
        print(
            f"| sites | versions (floor) ms | {NAMED} sites named by id ms | x floor | every site read ms | x floor |"
        )
        print("|---|---|---|---|---|---|")
        made = 0
        for size in sorted(args.sites):
            _sites(repo, size - made, made)
            made = size
            named, floor = _median_ms(
                lambda: halted_sites(repo.versions(SLUG), repo.get_site),
                lambda: repo.versions(SLUG),
                args.rounds,
            )
            scanned, floor_again = _median_ms(
                lambda: (repo.versions(SLUG), repo.sites()), lambda: repo.versions(SLUG), args.rounds
            )
            print(
                f"| {size} | {floor:.1f} | {named:.1f} | {named / floor:.1f} | {scanned:.1f} | {scanned / floor_again:.1f} |"
            )

        _trail(repo, args.entries)
        first = AuditQuery()
        deep = first
        for _ in range(10):  # the cursor of the eleventh page
            _, cursor = audit_page(repo, SLUG, deep)
            deep = AuditQuery.model_validate({"cursor": cursor})
        print(f"\n| audit trail of {args.entries} | ms | x floor |\n|---|---|---|")
        newest, floor = _median_ms(
            lambda: audit_page(repo, SLUG, first), lambda: repo.audit(SLUG), args.rounds
        )
        eleventh, floor_again = _median_ms(
            lambda: audit_page(repo, SLUG, deep), lambda: repo.audit(SLUG), args.rounds
        )
        print(f"| the newest 100, as before paging (floor) | {floor:.1f} | 1.00 |")
        print(f"| the newest page, with its cursor | {newest:.1f} | {newest / floor:.2f} |")
        print(f"| the eleventh page, by its cursor | {eleventh:.1f} | {eleventh / floor_again:.2f} |")


if __name__ == "__main__":
    main()
