"""Admin routes for the console's accounts (role ``admin``): list, create (the password shown
once), set the role, disable. Behaviour in ``logic/accounts.py``; the pool in ``identity.py``."""

from __future__ import annotations

import functools
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.adapters import repository
from chalicelib.api.openapi import answer
from chalicelib.api.routing import Auth, route
from chalicelib.clock import now
from chalicelib.identity import directory
from chalicelib.logic.accounts import Account, Accounts
from chalicelib.logic.commands import AccountRole, CreateAccount
from chalicelib.logic.fields import Username
from chalicelib.logic.roles import Role

accounts = Blueprint(__name__)

_ACCOUNT = answer(
    username={"type": "string"},
    role={"type": ["string", "null"], "enum": [*(r.value for r in Role), None]},
    enabled={"type": "boolean"},
    status={"type": "string"},
)
_ONE = answer(account=_ACCOUNT)
_USER = {"username": Username}


def _accounts(actor: str) -> Accounts:
    return Accounts(directory(), repository(), now(), actor)


def _json(account: Account) -> dict[str, Any]:
    role = account.role.value if account.role else None
    return {"username": account.username, "role": role, "enabled": account.enabled, "status": account.status}


@route(
    accounts,
    "/admin/accounts",
    auth=Auth.ADMIN,
    role=Role.ADMIN,
    response=answer(accounts={"type": "array", "items": _ACCOUNT}),
)
def list_accounts(actor: str) -> dict[str, Any]:
    """Every console account, its role and whether it may sign in."""
    return {"accounts": [_json(a) for a in sorted(directory().every(), key=lambda a: a.username)]}


@route(
    accounts,
    "/admin/accounts",
    methods=("POST",),
    auth=Auth.ADMIN,
    role=Role.ADMIN,
    body=CreateAccount,
    status=201,
    response=answer(account=_ACCOUNT, password={"type": "string"}),
)
def create_account(actor: str, body: CreateAccount) -> Response:
    """A new account in one role, with a random password shown this once."""
    account, password = _accounts(actor).create(body.username, body.role)
    return Response(body={"account": _json(account), "password": password}, status_code=201)


#: A change to one account (role admin), answered with the account.
_account_change = functools.partial(
    route, accounts, methods=("POST",), auth=Auth.ADMIN, role=Role.ADMIN, path_types=_USER, response=_ONE
)


@_account_change("/admin/accounts/{username}/role", body=AccountRole)
def set_account_role(username: str, actor: str, body: AccountRole) -> dict[str, Any]:
    """Move an account to another role (its next sign-in carries it)."""
    return {"account": _json(_accounts(actor).set_role(username, body.role))}


@_account_change("/admin/accounts/{username}/disable")
def disable_account(username: str, actor: str) -> dict[str, Any]:
    """Stop an account signing in (its current session lasts until it expires, at most 1 h)."""
    return {"account": _json(_accounts(actor).disable(username))}
