"""The local stack as `make run` starts it (`python -m infra.local`, on free ports, in its own
process: moto server, packager poller, Chalice's local server), one per test module."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

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


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port = _free_port()
    state_dir = tmp_path_factory.mktemp("local-stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["IGNY8_STACK_FILE"] = str(state_dir / "stack.json")
    log = (state_dir / "stack.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--port", str(port), "--state-dir", str(state_dir)],
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
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the local stack did not seed within 120 s"
            time.sleep(0.3)
        yield Stack(api=api, state_dir=state_dir, env=env)
    finally:
        process.terminate()
        # Stopping is part of the contract: a clean exit, with moto and the API gone with it.
        assert process.wait(timeout=20) == 0, (state_dir / "stack.log").read_text()
        log.close()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the API still listens after the stack stopped"
