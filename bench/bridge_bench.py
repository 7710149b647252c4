"""What the bridge adds to a WordPress admin's wait, with the service up and with it down.

Run from the repository root (needs Debian's wordpress, php-cli, php-mysql, mariadb-server)::

    .venv/bin/python -m bench.bridge_bench

A real WordPress 6.1 site (tests/e2e/wordpress.py's harness) runs the bridge released by a local
stack (infra.local, in this process). Each figure is the median of N runs, printed next to the
same site with the bridge deactivated, measured in the same run (the machine is shared: compare
ratios, not milliseconds):

* admin page: GET plugins.php as a logged-in admin (no update check is due): the bridge's cost
  on every admin page.
* update check, cached: wp_update_plugins() when WordPress re-checks and the bridge's answer is
  still fresh (WordPress runs the check filter 2-3 times; no request to the service).
* update check, fresh: the same after WordPress discarded its update data (one check-update).
* server down: the service accepts connections and never answers. The first check waits one
  timeout; the checks after it, within the back-off period, wait for nothing.
"""

from __future__ import annotations

import argparse
import datetime
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests

from infra.local import running, seed
from tests.e2e.wordpress import CoreTemplate, WordPressSite, free_port, missing_tools, running_mariadb

SLUG = "igny8-wp-bridge"
PLUGIN_FILE = f"{SLUG}/{SLUG}.php"
CHECK = "wp_update_plugins(); echo 'ok';"
CACHED = "$t = get_site_transient('update_plugins'); $t->last_checked = 0;" + CHECK
FRESH = "delete_site_transient('update_plugins');" + CHECK


def _median_ms(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _measure(site: WordPressSite, runs: int) -> dict[str, float]:
    session = site.login()
    return {
        "admin page": _median_ms(lambda: site.admin_get(session, "plugins.php").raise_for_status(), runs),
        "update check, cached": _median_ms(lambda: site.php(CACHED), runs),
        "update check, fresh": _median_ms(lambda: site.php(FRESH), runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(f"cannot run: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="igny8-bridge-bench-") as scratch:
        base = Path(scratch)
        with (
            running("127.0.0.1", free_port(), 0, base / "stack") as local,
            running_mariadb(base / "db") as db,
        ):
            seed(local)
            ports = [urlsplit(local.api_url).port or 80, urlsplit(local.aws_endpoint_url).port or 80]
            site = WordPressSite.create(
                db, base / "site", template=CoreTemplate.build(base / "core"), safe_ports=ports
            )
            try:
                return _bench(site, local.api_url, args.runs)
            finally:
                site.stop()


def _bench(site: WordPressSite, api: str, runs: int) -> int:
    package = site.base_dir / "bridge.zip"
    package.write_bytes(requests.get(f"{api}/plugins/{SLUG}/download/", timeout=30).content)
    site.install_plugin_zip(package)
    site.set_option("igny8_bridge_api_url", api)
    without = _measure(site, runs)
    site.activate(PLUGIN_FILE)
    site.php(FRESH)
    with_bridge = _measure(site, runs)

    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(64)
    try:
        site.set_option("igny8_bridge_api_url", f"http://127.0.0.1:{hanging.getsockname()[1]}/api")
        first = _median_ms(lambda: site.php(FRESH), 1)
        later = _median_ms(lambda: site.php(FRESH), runs)
    finally:
        hanging.close()

    print(f"# bridge bench, {datetime.date.today()}, median of {runs} runs (ms)")
    print(f"{'':24} {'no bridge':>10} {'bridge':>10} {'ratio':>7}")
    for name, base in without.items():
        print(f"{name:24} {base:10.1f} {with_bridge[name]:10.1f} {with_bridge[name] / base:7.2f}")
    fresh = without["update check, fresh"]
    print(f"{'server down, 1st check':24} {fresh:10.1f} {first:10.1f} {first / fresh:7.2f}")
    print(f"{'server down, next checks':24} {fresh:10.1f} {later:10.1f} {later / fresh:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
