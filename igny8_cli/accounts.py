"""``accounts create|list|set-role|disable``: who may sign in to the console, in which role.

Through the admin API's account routes (role admin: the CLI's own credentials always are). A new
account's password is the second secret the CLI ever shows, once, on create.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import quote

import click
from rich.console import Console

from igny8_cli import render
from igny8_cli.context import App, Group
from igny8_cli.shared import yes_option

ROLES = click.Choice(["viewer", "releaser", "admin"])


def _path(username: str) -> str:
    return f"/admin/accounts/{quote(username, safe='')}"


@click.group(cls=Group)
def accounts() -> None:
    """Console accounts: create them, set their role, disable them."""


@accounts.command("create")
@click.argument("username")
@click.option("--role", type=ROLES, required=True, help="What the account may do in the console.")
@click.pass_obj
def accounts_create(app: App, *, username: str, role: str) -> None:
    """Create an account; its password is shown this once."""
    answer = app.target.admin_api().call("POST", "/admin/accounts", {"username": username, "role": role})
    app.out.result(answer, partial(_render_created, answer=answer))


@accounts.command("list")
@click.pass_obj
def accounts_list(app: App) -> None:
    """Every account, its role and whether it may sign in."""
    document = app.target.admin_api().call("GET", "/admin/accounts")
    app.out.result(document, partial(_render_list, accounts=document.get("accounts") or []))


@accounts.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLES)
@click.pass_obj
def accounts_set_role(app: App, *, username: str, role: str) -> None:
    """Move an account to another role (its next sign-in carries it)."""
    answer = app.target.admin_api().call("POST", f"{_path(username)}/role", {"role": role})
    app.out.result(answer, partial(_render_list, accounts=[answer.get("account") or {}]))


@accounts.command("disable")
@click.argument("username")
@yes_option
@click.pass_obj
def accounts_disable(app: App, *, username: str, yes: bool) -> None:
    """Stop an account signing in (a current session ends when it expires, within the hour)."""
    if not (yes or app.out.as_json):
        click.confirm(f"Disable {username}? They can no longer sign in.", abort=True)
    answer = app.target.admin_api().call("POST", f"{_path(username)}/disable", {})
    app.out.result(answer, partial(_render_list, accounts=[answer.get("account") or {}]))


def _render_list(console: Console, *, accounts: list[Mapping[str, Any]]) -> None:
    rows = (
        (a.get("username"), a.get("role") or "(none)", "yes" if a.get("enabled") else "no", a.get("status"))
        for a in accounts
    )
    console.print(render.table(("Account", "Role", "Enabled", "Status"), rows))


def _render_created(console: Console, *, answer: Mapping[str, Any]) -> None:
    _render_list(console, accounts=[answer.get("account") or {}])
    render.line(console, f"Password (shown this once): {answer.get('password')}")
