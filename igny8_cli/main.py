"""``igny8-plugins``: the admin command line of the plugin distribution service.

Commands are thin: they gather input, call the admin API through ``admin`` (over ``AdminApi.call``),
the public routes through ``verify``, or S3 through ``sources``, and hand one result to ``Output``
with a renderer from ``render``. Errors are raised as ``CliError`` and reported
once by the group, which is what keeps ``--json`` output a single document.

This module is only the ``cli`` group and the console script: the commands live by job in
``releases``, ``emergency``, ``sites``, ``accounts`` and ``dlq``, each imported only when its
command is run (or listed by ``--help``), so a command does not pay for the others' imports.
"""

from __future__ import annotations

import importlib

import click

from igny8_cli.context import Group

#: Every command, by name, as ``module:attribute``; ``releases`` holds the version commands.
COMMANDS = {
    **{
        name: f"igny8_cli.releases:{attribute}"
        for name, attribute in (
            ("upload", "upload"),
            ("release", "release"),
            ("push-update", "push_update"),
            ("deprecate", "deprecate"),
            ("pull", "pull"),
            ("rollout", "rollout"),
            ("rollback", "rollback"),
            ("status", "status"),
            ("verify", "verify"),
            ("stats", "stats"),
        )
    },
    "resume": "igny8_cli.rollouts:resume",
    "emergency": "igny8_cli.emergency:emergency",
    "sites": "igny8_cli.sites:sites",
    "accounts": "igny8_cli.accounts:accounts",
    "dlq": "igny8_cli.dlq:dlq",
}


class LazyGroup(Group):
    """The top-level group, loading a command's module on first use (click's documented
    "lazily loading subcommands" pattern): one run imports what its command needs, where
    registering every command up front imported requests, boto3, rich and chalicelib on each."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        module, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise TypeError(f"{COMMANDS[cmd_name]} is not the {cmd_name!r} command")
        self.add_command(command)
        return command


@click.group(cls=LazyGroup)
@click.version_option(package_name="igny8-plugin-distribution", prog_name="igny8-plugins")
def cli() -> None:
    """Upload, release and inspect IGNY8 plugins.

    Without options it talks to the local stack described by .local/stack.json (`make run`).
    The options below may also be given after the command, e.g. `status SLUG --json`.
    """


def main() -> None:
    """Entry point of the ``igny8-plugins`` console script (see pyproject.toml)."""
    cli(prog_name="igny8-plugins")
