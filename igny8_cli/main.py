"""``igny8-plugins``: the admin command line of the plugin distribution service.

Commands are thin: they gather input, call the admin API through ``admin`` (over ``AdminApi.call``),
the public routes through ``verify``, or S3 through ``sources``, and hand one result to ``Output``
with a renderer from ``render``. Errors are raised as ``CliError`` and reported
once by the group, which is what keeps ``--json`` output a single document.

This module is only the ``cli`` group and the console script: the commands live by job in
``releases``, ``emergency``, ``sites`` and ``dlq``, and are registered here, so each of those
modules stays free of the group and of one another.
"""

from __future__ import annotations

import click

from igny8_cli import releases
from igny8_cli.accounts import accounts
from igny8_cli.context import Group
from igny8_cli.dlq import dlq
from igny8_cli.emergency import emergency
from igny8_cli.sites import sites


@click.group(cls=Group)
@click.version_option(package_name="igny8-plugin-distribution", prog_name="igny8-plugins")
def cli() -> None:
    """Upload, release and inspect IGNY8 plugins.

    Without options it talks to the local stack described by .local/stack.json (`make run`).
    The options below may also be given after the command, e.g. `status SLUG --json`.
    """


for command in (*releases.COMMANDS, emergency, sites, accounts, dlq):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``igny8-plugins`` console script (see pyproject.toml)."""
    cli(prog_name="igny8-plugins")
