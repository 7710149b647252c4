"""The local stack as `make run` starts it (`python -m infra.local`, on free ports, in its own
process: moto server, packager poller, Chalice's local server), one per test module (a few modules
share one: SHARED_STACK_MODULES); and real WordPress sites (tests/e2e/wordpress.py) on one
throwaway MariaDB per session."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.e2e.wordpress import CoreTemplate, MariaDB, WordPressSite, missing_tools, running_mariadb

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "plugins" / "wordpress" / "source" / "igny8-wp-bridge"
SLUG = "igny8-wp-bridge"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    api: str
    state_dir: Path
    env: dict[str, str]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).with_name("igny8-plugins")), *args]
        result = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed: {result.stdout}\n{result.stderr}")
        return result

    def state(self) -> dict[str, str]:
        """What the stack wrote for its clients (.local/stack.json in `make run`)."""
        return dict(json.loads((self.state_dir / "stack.json").read_text()))

    def aws(self, service: str) -> Any:
        """A boto3 client on the stack's moto server, as an admin with the local endpoint would use."""
        return boto3.client(
            service,
            endpoint_url=self.state()["aws_endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@contextlib.contextmanager
def running_stack(state_dir: Path, *options: str) -> Iterator[Stack]:
    """`python -m infra.local` in its own process, as `make run` starts it, until the block ends."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["IGNY8_STACK_FILE"] = str(state_dir / "stack.json")
    log = (state_dir / "stack.log").open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--port", str(port), "--state-dir", str(state_dir), *options],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (state_dir / "stack.log").read_text()
            try:
                if requests.get(f"{api}/plugins/{SLUG}/info/", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or busy starting
            assert time.monotonic() < deadline, "the local stack did not seed within 120 s"
            time.sleep(0.05)
        yield Stack(api=api, state_dir=state_dir, env=env)
    finally:
        process.terminate()
        # Stopping is part of the contract: a clean exit, with moto and the API gone with it.
        assert process.wait(timeout=60) == 0, (state_dir / "stack.log").read_text()
        log.close()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the API still listens after the stack stopped"


#: Modules that share one stack for the session instead of starting their own (a start and a stop
#: take about 8 s). Each tolerates whatever the others leave, in any order: it reads answers live or
#: compares before and after within one test, and what it writes (sites, its own version number)
#: is its own. Every other module gets a fresh stack, because it asserts the seeded state or
#: counts on a clean slate (test_local_stack: the seed is the latest release; test_release_scenario
#: and test_console_browser: which version is latest, released, pulled; test_sites_scenario: the
#: plugin's download and installation stats; test_wordpress_bridge: a version sequence, the
#: forged key list, 127.0.0.1's anonymous allowance spent; test_contract_fuzz: releases and pulls
#: anything), starts its own with other settings (test_app_card, test_fleet_sim) or restarts it
#: (test_local_stack_restart).
SHARED_STACK_MODULES = frozenset(
    {
        "tests.e2e.test_cli_upload_audit",  # its own version 3.0.0, read back from its own audit
        "tests.e2e.test_dashboard",  # compares the page with the stats read at the same moment
        "tests.e2e.test_error_shape",  # "changes nothing": before and after within one test
        "tests.e2e.test_local_gzip",  # reads answers, compares two reads of the same moment
    }
)


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack of SHARED_STACK_MODULES, started by the first of them and stopped at the end."""
    with running_stack(tmp_path_factory.mktemp("shared-stack")) as started:
        yield started


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A fresh stack for this module, or the shared one (SHARED_STACK_MODULES)."""
    if request.module.__name__ in SHARED_STACK_MODULES:
        yield request.getfixturevalue("shared_stack")
        return
    with running_stack(tmp_path_factory.mktemp("local-stack")) as started:
        yield started


# ---- Real WordPress ------------------------------------------------------------------------


def require_wordpress() -> None:
    """Skip, naming what is missing, when this machine cannot run a real WordPress site; fail
    instead when CI is set, so CI can never silently skip the WordPress tests."""
    missing = missing_tools()
    if not missing:
        return
    message = (
        "REAL WORDPRESS TESTS NOT RUN: missing "
        + ", ".join(missing)
        + " (apt-get install wordpress php-cli php-mysql php-curl php-zip php-xml php-mbstring"
        " mariadb-server; .ci/run does)"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    """One throwaway MariaDB (unix socket, no TCP) for the whole session; a database per site."""
    require_wordpress()
    with running_mariadb(tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@pytest.fixture(scope="session")
def wordpress_core(mariadb: MariaDB, tmp_path_factory: pytest.TempPathFactory) -> CoreTemplate:
    """Debian's WordPress resolved into a writable copy once; sites hard-link to it."""
    return CoreTemplate.build(tmp_path_factory.mktemp("wordpress-core"))


@pytest.fixture
def wordpress_site_factory(
    mariadb: MariaDB, wordpress_core: CoreTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., WordPressSite]]:
    """Makes fresh, installed, served sites (about a second each): keyword arguments go to
    WordPressSite.create (wporg='online'|'offline', safe_ports=[...], title=...). Every site
    made is stopped and its database dropped after the test."""
    sites: list[WordPressSite] = []

    def make(**kwargs: Any) -> WordPressSite:
        site = WordPressSite.create(
            mariadb, tmp_path_factory.mktemp("wp-site"), template=wordpress_core, **kwargs
        )
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.stop()


@pytest.fixture
def wordpress_site(wordpress_site_factory: Callable[..., WordPressSite]) -> WordPressSite:
    """One fresh site, online for wordpress.org, no extra safe ports."""
    return wordpress_site_factory()
