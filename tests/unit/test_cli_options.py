"""The global options before or after any command, and ``--version``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import pytest

from igny8_cli import config, context, main
from igny8_cli.errors import CliError
from tests.unit import test_cli
from tests.unit.test_cli import PLUGIN_PATH, TOKEN, FakeApi, plugin_doc, run
from tests.unit.test_cli_sites import CREATED, SITES_PATH

# The harness's autouse fixture: every test gets a fresh fake API and a local stack pointing at it.
api = test_cli.api


def commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under ``group`` with the names that reach it, depth first."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


TREE = [(main.cli.name or "", main.cli), *((" ".join(path), command) for path, command in commands(main.cli))]
LEAVES = [path for path, command in commands(main.cli) if not isinstance(command, click.Group)]


def test_version_prints_the_installed_version() -> None:
    result = run("--version")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"igny8-plugins, version {version('igny8-plugin-distribution')}"


@pytest.mark.parametrize(("name", "command"), TREE, ids=[name for name, _ in TREE])
def test_every_command_and_group_takes_the_global_options(name: str, command: click.Command) -> None:
    assert {param.name for param in command.params} >= context.GLOBAL_OPTION_NAMES


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_json_in_every_position_gives_the_same_single_document(path: tuple[str, ...]) -> None:
    """Without its arguments each command fails; wherever --json stands, it fails in JSON."""
    outcomes = []
    for position in range(len(path) + 1):
        result = run(*path[:position], "--json", *path[position:])
        outcomes.append((result.exit_code, json.loads(result.stdout)))

    assert outcomes[0][0] in {1, 2}
    assert set(outcomes[0][1]) == {"error"}
    assert all(outcome == outcomes[0] for outcome in outcomes)


def test_status_json_after_the_slug(api: FakeApi) -> None:
    document = plugin_doc([])
    api.on("GET", PLUGIN_PATH, (200, document))

    result = run("status", "my-plugin", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == document


def test_nested_group_json_after_the_options(api: FakeApi) -> None:
    api.on("POST", SITES_PATH, (201, CREATED))

    result = run("sites", "create", "Shop", "--url", "https://shop.example.com", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == CREATED


@pytest.fixture
def targets(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each run asked ``resolve_target`` for; the run then stops with an error."""
    asked: list[dict[str, Any]] = []

    def probe(**options: Any) -> Any:
        asked.append(options)
        raise CliError("probe", "stopped")

    monkeypatch.setattr(config, "resolve_target", probe)
    return asked


@pytest.mark.parametrize(
    ("option", "value", "name"),
    [
        ("--api", "http://api.example/api", "api_url"),
        ("--admin-api", "http://admin.example/api", "admin_api_url"),
        ("--s3-endpoint", "http://s3.example", "s3_endpoint"),
        ("--bucket", "other-bucket", "bucket"),
        ("--region", "eu-west-1", "region"),
        ("--auth", "iam", "auth"),
        ("--token-file", "token", "token_file"),
    ],
)
def test_each_target_option_counts_before_and_after_the_command(
    targets: list[dict[str, Any]], option: str, value: str, name: str
) -> None:
    Path("token").write_text("t\n")
    expected = Path(value) if option == "--token-file" else value

    before = run(option, value, "status", "my-plugin")
    after = run("status", "my-plugin", option, value)
    nested = run("sites", "list", option, value)

    assert [result.exit_code for result in (before, after, nested)] == [1, 1, 1]
    assert [options[name] for options in targets] == [expected] * 3
    assert targets[0] == targets[1] == targets[2]


@pytest.mark.parametrize(
    ("args", "url"),
    [
        (["--api", "http://first/api", "status", "my-plugin", "--api", "http://last/api"], "http://last/api"),
        (["status", "my-plugin", "--api", "http://given/api"], "http://given/api"),
        # The environment read again at the command's level does not undo what was typed before it.
        (["--api", "http://given/api", "status", "my-plugin"], "http://given/api"),
        (["status", "my-plugin"], "http://env/api"),
    ],
)
def test_typed_beats_environment_and_the_later_typed_wins(
    targets: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, args: list[str], url: str
) -> None:
    monkeypatch.setenv("IGNY8_API_URL", "http://env/api")

    run(*args)

    assert [options["api_url"] for options in targets] == [url]


def test_token_file_and_auth_after_the_command_reach_the_request(tmp_path: Path, api: FakeApi) -> None:
    api.on("GET", PLUGIN_PATH, (200, plugin_doc([])))
    other = tmp_path / "other-token"
    other.write_text("another-token\n")

    with_token = run("status", "my-plugin", "--token-file", str(other))
    with_iam = run("status", "my-plugin", "--auth", "iam", "--region", "eu-west-1")

    assert (with_token.exit_code, with_iam.exit_code) == (0, 0), with_token.output + with_iam.output
    first, second = (
        request.headers["Authorization"] for request in api.requests if not request.path.endswith("/rollouts")
    )
    assert first == "Bearer another-token"
    assert "/eu-west-1/execute-api/aws4_request" in second
    assert TOKEN not in second
