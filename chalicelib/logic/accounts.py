"""The console's accounts: who may sign in, in which role. Admins manage them; each change is
audited under ``AUDIT_SCOPE`` with the admin who made it.

The directory behind them is the stage's user pool (``chalicelib/identity.PoolDirectory``); this
module holds the rules: one role per account (its role group), a new account's password made
here, random and within the pool's policy, and shown once to the admin who created it.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.logic.errors import Conflict, NotFound
from chalicelib.logic.model import AuditEntry
from chalicelib.logic.ports import Repository
from chalicelib.logic.roles import Role

#: Where account changes are audited (no plugin's slug can be this).
AUDIT_SCOPE = "_accounts"
PASSWORD_LENGTH = 24


@dataclass(frozen=True)
class Account:
    username: str
    #: None: in no role group (refused everything until an admin sets one).
    role: Role | None
    enabled: bool
    #: The pool's status, e.g. CONFIRMED or FORCE_CHANGE_PASSWORD.
    status: str


class AccountDirectory(Protocol):
    """Where accounts live (the user pool)."""

    def get(self, username: str) -> Account | None: ...
    def every(self) -> list[Account]: ...
    def create(self, username: str, password: str, role: Role) -> Account: ...
    def set_role(self, username: str, role: Role) -> Account: ...
    def disable(self, username: str) -> Account: ...


def new_password(length: int = PASSWORD_LENGTH) -> str:
    """Random letters and digits with each class present (the template's password policy)."""
    alphabet = string.ascii_letters + string.digits
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in group for c in password) for group in classes):
            return password


class Accounts:
    def __init__(self, directory: AccountDirectory, repo: Repository, now: datetime, actor: str) -> None:
        self.directory, self.repo, self.now, self.actor = directory, repo, now, actor

    def create(self, username: str, role: Role) -> tuple[Account, str]:
        """A new account and its password (returned this once, stored nowhere)."""
        if self.directory.get(username) is not None:
            raise Conflict(f"an account {username!r} exists already", code="account_exists")
        password = new_password()
        account = self.directory.create(username, password, role)
        self._audit("create-account", account, before=None)
        return account, password

    def set_role(self, username: str, role: Role) -> Account:
        before = self._existing(username)
        account = self.directory.set_role(username, role)
        self._audit("set-account-role", account, before=before)
        return account

    def disable(self, username: str) -> Account:
        before = self._existing(username)
        if username == self.actor:
            raise Conflict("an admin cannot disable their own account", code="own_account")
        account = self.directory.disable(username)
        self._audit("disable-account", account, before=before)
        return account

    def _existing(self, username: str) -> Account:
        account = self.directory.get(username)
        if account is None:
            raise NotFound(f"no account {username!r}")
        return account

    def _audit(self, action: str, account: Account, *, before: Account | None) -> None:
        def fields(a: Account | None) -> dict[str, object]:
            return {} if a is None else {"role": a.role.value if a.role else None, "enabled": a.enabled}

        after = {"username": account.username, **fields(account)}
        entry = AuditEntry(
            slug=AUDIT_SCOPE,
            at=self.now,
            actor=self.actor,
            action=action,
            version=None,
            before=fields(before),
            after=after,
        )
        self.repo.append_audit(entry)
