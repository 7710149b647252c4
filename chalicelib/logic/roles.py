"""Who may do what in the admin API: three roles, each allowing everything the one below does.

A person's role comes from their groups in the user pool (``viewer``, ``releaser``, ``admin``);
the highest group wins, so promoting someone is adding a group, never editing two. An account in
none of them is refused everything (not silently a viewer): a pool account is not a permission,
a group is. The CLI's credentials (IAM deployed, the bearer token locally) count as ``admin``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.logic.errors import Forbidden


class Role(StrEnum):
    #: Reads: plugins, versions, stats, rollouts, audit, sites.
    VIEWER = "viewer"
    #: Ships code: upload, release, roll out and resume, push, deprecate, stage and test.
    RELEASER = "releaser"
    #: Undoes and forces: pull, rollback, force, sites, accounts.
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_ORDER = (Role.VIEWER, Role.RELEASER, Role.ADMIN)

#: The role each release action needs (``releases.TRANSITIONS``): pull undoes, the rest ship.
ACTION_ROLES: dict[str, Role] = {
    "test": Role.RELEASER,
    "stage": Role.RELEASER,
    "release": Role.RELEASER,
    "push-update": Role.RELEASER,
    "deprecate": Role.RELEASER,
    "pull": Role.ADMIN,
}


class ForbiddenRole(Forbidden):
    """Signed in, but the role does not allow this call (403, nothing is read or changed)."""

    code = "forbidden_role"


@dataclass(frozen=True)
class Person:
    """Who is asking, as the audit trail names them, and what they may do."""

    actor: str
    role: Role


def role_of(groups: Iterable[str]) -> Role:
    """The highest role among ``groups``; ``ForbiddenRole`` when there is none."""
    held = [role for role in _ORDER if role.value in set(groups)]
    if not held:
        raise ForbiddenRole("this account is in no role group (viewer, releaser, admin): ask an admin")
    return held[-1]


def require(person: Person, needed: Role) -> None:
    """Refuse ``person`` unless their role allows ``needed``."""
    if not person.role.allows(needed):
        raise ForbiddenRole(f"this needs the {needed.value} role; {person.actor} has {person.role.value}")
