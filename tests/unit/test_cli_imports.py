"""What one ``igny8-plugins`` run imports: only what its command needs.

Every admin command and every e2e module that calls the CLI pays for the imports at start
(about 2 s when every command module, boto3, rich and chalicelib were loaded eagerly), so these
run the CLI in a fresh interpreter, as the console script does, and look at what it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> tuple[int, str, set[str]]:
    """Exit code, stdout and the modules loaded by ``igny8-plugins ARGS`` in a fresh interpreter."""
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        "from igny8_cli.main import main\n"
        "sys.argv = ['igny8-plugins', *sys.argv[1:]]\n"
        "main()"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IGNY8_STACK_FILE": str(ROOT / "no-such-stack.json")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout, set(json.loads(done.stderr.splitlines()[-1]))


def test_a_sites_command_loads_neither_the_release_commands_nor_boto3() -> None:
    code, out, loaded = run_cli("sites", "--help")

    assert code == 0
    assert "Usage: igny8-plugins sites" in out
    assert "igny8_cli.sites" in loaded
    unneeded = {
        "igny8_cli.releases",
        "igny8_cli.dlq",
        "igny8_cli.emergency",
        "boto3",
        "infra.stack",
    }
    assert loaded.isdisjoint(unneeded), sorted(loaded & unneeded)


def test_a_status_without_a_stack_fails_as_before_without_loading_boto3() -> None:
    code, out, loaded = run_cli("status", "my-plugin", "--json")

    assert code == 1
    assert json.loads(out)["error"]["code"] == "no_api"
    assert "igny8_cli.releases" in loaded
    assert loaded.isdisjoint({"boto3", "igny8_cli.dlq", "infra.stack"}), sorted(
        loaded & {"boto3", "infra.stack"}
    )


def test_help_still_lists_every_command_without_loading_the_http_or_aws_clients() -> None:
    code, out, loaded = run_cli("--help")

    assert loaded.isdisjoint({"requests", "boto3", "igny8_cli.client"}), sorted(
        loaded & {"requests", "boto3"}
    )

    assert code == 0
    for name in (
        "upload",
        "release",
        "push-update",
        "rollback",
        "status",
        "verify",
        "resume",
        "sites",
        "dlq",
    ):
        assert f"  {name} " in out, name
