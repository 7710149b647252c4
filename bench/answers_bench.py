"""What declaring the public answers as pydantic models costs a check-update, measured against the
dict building they replaced, in the same run.

Run from the repository root::

    .venv/bin/python -m bench.answers_bench

A plugin with 42 versions (newest first, as the repository hands them over), answered for a site
that is offered an update (the full shape, with WordPress' update item) and for one that is up to
date. Both builders share the decision (``logic/decision.decide``); only the answer differs. Each
figure is the best of several rounds of many calls (the machine is shared: compare the ratio).
Also the one-time cost a cold Lambda pays: importing ``logic/answers.py`` (its models' schemas
are built at import), in a fresh interpreter that already imported the records, and the share of it
spent reading the field descriptions from the attribute docstrings.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.logic.decision import SiteRequest, decide
from chalicelib.logic.model import DOWNLOADABLE, OFFERED, Platform, Plugin, PluginVersion, Status, iso
from chalicelib.logic.updates import Links, check_update, upgrade_notice
from chalicelib.logic.versions import version_compare

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
LINKS = Links("https://api.igny8.com/api")
PLUGIN = Plugin(
    slug="igny8-wp-bridge",
    name="IGNY8 WordPress Bridge",
    platform=Platform.WORDPRESS,
    created_at=NOW,
    updated_at=NOW,
    rollout_salt="9c1f0e7a2b3d4c5e",
)


def versions(count: int = 42) -> list[PluginVersion]:
    """``count`` signed releases, newest first, with a readme upgrade notice each."""
    made = [
        PluginVersion(
            slug=PLUGIN.slug,
            version=f"1.{n}.0",
            status=Status.RELEASED if n % 7 else Status.DEPRECATED,
            created_at=NOW - timedelta(days=count - n),
            released_at=NOW - timedelta(days=count - n),
            file_size=26_316,
            sha256="b8" * 32,
            sha384="ab" * 48,
            signature="c2lnbmF0dXJl",
            signature_key_id="8a6c318712f0b282",
            changelog=f"= 1.{n}.0 =\n* Changes of 1.{n}.0.",
            requires="5.8",
            tested="6.6",
            requires_php="7.4",
            main_file="igny8-wp-bridge.php",
            force_update=n == 30,
            sections={"upgrade_notice": f"= 1.{n}.0 =\nUpgrade for the fixes."},
        )
        for n in range(count)
    ]
    return made[::-1]


# --- THE PREVIOUS BUILDER, kept here only for this comparison (logic/updates.py before the models) ---


def previous_check_update(
    plugin: Plugin, versions: list[PluginVersion], site: SiteRequest, links: Links
) -> dict[str, Any]:
    offered, reason = decide(plugin, versions, site)
    shown = offered or next(
        (
            v
            for v in versions
            if v.status in OFFERED
            and v.channel in site.channels
            and version_compare(v.version, site.current) <= 0
        ),
        None,
    )
    answer: dict[str, Any] = {
        "slug": plugin.slug,
        "update_available": offered is not None,
        "reason": reason or None,
        "current_version": site.current,
        "channel": site.channel,
        "latest_version": shown.version if shown else None,
        "info_url": links.info(plugin.slug),
        "force_update": False,
    }
    if shown is None:
        return answer
    forced = offered is not None and any(
        v.force_update
        and v.status in DOWNLOADABLE
        and v.channel in site.channels
        and version_compare(v.version, site.current) > 0
        and version_compare(v.version, offered.version) <= 0
        for v in versions
    )
    return {
        **answer,
        "version_code": shown.version_code,
        "download_url": links.download(plugin.slug, shown.version),
        "changelog": shown.changelog,
        "force_update": forced,
        "checksum": shown.sha256,
        "sha256": shown.sha256,
        **previous_integrity(shown, links),
        "file_size": shown.file_size,
        "requires": shown.requires,
        "tested": shown.tested,
        "requires_php": shown.requires_php,
        "released_at": iso(shown.released_at),
        "update": previous_update_item(plugin, shown, links, forced),
    }


def previous_integrity(version: PluginVersion, links: Links) -> dict[str, str | None]:
    return {
        "sha384": version.sha384 or None,
        "signature": version.signature or None,
        "signature_key_id": version.signature_key_id or None,
        "signature_algorithm": "ed25519" if version.signature else None,
        "signature_url": links.signature(version.slug, version.version) if version.signature else None,
    }


def previous_update_item(
    plugin: Plugin, offered: PluginVersion, links: Links, forced: bool
) -> dict[str, Any]:
    main_file = offered.main_file or f"{plugin.slug}.php"
    return {
        "id": links.info(plugin.slug),
        "slug": plugin.slug,
        "plugin": f"{plugin.slug}/{main_file}",
        "new_version": offered.version,
        "package": links.download(plugin.slug, offered.version),
        "url": offered.plugin_uri or links.info(plugin.slug),
        "requires": offered.requires,
        "tested": offered.tested,
        "requires_php": offered.requires_php,
        "icons": {},
        "banners": {},
        "upgrade_notice": upgrade_notice(offered),
        "autoupdate": forced,
    }


# --- END OF THE PREVIOUS BUILDER -------------------------------------------------------------------


Builder = Callable[[Plugin, list[PluginVersion], SiteRequest, Links], dict[str, Any]]


def best_microseconds(
    builders: tuple[Builder, Builder], stored: list[PluginVersion], site: SiteRequest, calls: int, rounds: int
) -> tuple[float, float]:
    """The best time per call of each builder, their rounds interleaved so that both meet the
    same load on a shared machine."""
    timers = [timeit.Timer(lambda build=build: build(PLUGIN, stored, site, LINKS)) for build in builders]
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        best = [min(best[i], timers[i].timeit(calls)) for i in range(2)]
    return best[0] / calls * 1e6, best[1] / calls * 1e6


#: Run first to measure an import without attribute docstrings (pydantic reads each class's source).
NO_DOCSTRINGS = "import pydantic._internal._fields as f; f.extract_docstrings_from_cls = lambda *a, **k: {}"


def import_milliseconds(module: str, after: str, rounds: int, setup: str = "") -> float:
    """The best CPU time to import ``module`` in a fresh interpreter that imported ``after`` already
    (CPU time: wall time on a shared machine measures the neighbours)."""
    code = (
        f"{setup}\nimport time, {after}\n"
        f"t = time.process_time(); import {module}\n"
        "print((time.process_time() - t) * 1000)"
    )
    command = [sys.executable, "-c", code]
    return min(
        float(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        for _ in range(rounds)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (the best is kept)")
    args = parser.parse_args(argv)

    stored = versions()
    cases = {
        "offer (1.0.0 -> 1.41.0)": SiteRequest("1.0.0"),
        "up to date (1.41.0)": SiteRequest("1.41.0"),
    }
    for site in cases.values():  # the same answer, or the comparison means nothing
        assert check_update(PLUGIN, stored, site, LINKS) == previous_check_update(PLUGIN, stored, site, LINKS)

    print(f"check-update answer from {len(stored)} versions, microseconds per call (best of {args.rounds})")
    print(f"{'case':<26}{'dicts':>10}{'models':>10}{'ratio':>8}")
    for name, site in cases.items():
        builders = (previous_check_update, check_update)
        before, after = best_microseconds(builders, stored, site, args.calls, args.rounds)
        print(f"{name:<26}{before:>10.1f}{after:>10.1f}{after / before:>8.2f}")
    cold = import_milliseconds("chalicelib.logic.answers", "chalicelib.logic.model", args.rounds)
    bare = import_milliseconds(
        "chalicelib.logic.answers", "chalicelib.logic.model", args.rounds, NO_DOCSTRINGS
    )
    print(f"importing logic/answers.py (cold start, once): {cold:.1f} ms CPU")
    print(f"  of which reading the attribute docstrings: {cold - bare:.1f} ms")
    print(f"measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
