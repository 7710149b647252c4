"""The local stack's first answer is the seeded plugin: a site (or a test) asking while `make run`
is still starting never sees the bundled plugin missing.

The API used to answer while the stack was seeding; the public routes' hot cache then kept that
"no such plugin" for `HOT_CACHE_SECONDS` after the seed had finished (8 s of every start)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, SLUG

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_every_answer_from_the_first_on_is_the_seeded_plugin_and_sigterm_stops_it_cleanly(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with (tmp_path / "stack.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--port", str(port), "--state-dir", str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            statuses: list[int] = []
            deadline = time.monotonic() + 120
            while len(statuses) < 5:
                assert process.poll() is None, (tmp_path / "stack.log").read_text()
                assert time.monotonic() < deadline, "the local stack did not answer within 120 s"
                try:
                    answer = requests.get(f"http://127.0.0.1:{port}/api/plugins/{SLUG}/info/", timeout=5)
                except (requests.ConnectionError, requests.Timeout):
                    time.sleep(0.05)  # not listening yet
                    continue
                statuses.append(answer.status_code)
                assert answer.json().get("version") == "1.0.0", answer.text
        finally:
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(timeout=60)

    assert statuses == [200] * 5
    assert exit_code == 0, (tmp_path / "stack.log").read_text()
    assert "Seeded igny8-wp-bridge 1.0.0" in (tmp_path / "stack.log").read_text()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the API still listens after the stack stopped"
