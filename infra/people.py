"""The console's user pool (``infra/template.yaml``: AdminUserPool, its client and role groups):
what moto's CloudFormation lacks, the ids the functions need, and the local stack's first admin.

moto's CloudFormation has no Cognito types (it skips them with a warning), so, as
``infra/stack.py`` does for the bucket's settings and the secrets, the pool, client and groups
are created from the template's own declarations where they are missing: on AWS, where
CloudFormation made them, this finds them and does nothing. The template cannot output their ids
(an output referring to a skipped resource empties every output on moto), so both stages look
them up by the names the template outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from chalicelib.logic.accounts import new_password

#: Stack output -> the id it names, as ``infra/stack.py`` adds them to the outputs.
POOL_NAME_OUTPUT = "UserPoolName"
CLIENT_NAME_OUTPUT = "UserPoolClientName"
POOL_ID_OUTPUT = "UserPoolId"
CLIENT_ID_OUTPUT = "UserPoolClientId"

_POOL_TYPE = "AWS::Cognito::UserPool"
_CLIENT_TYPE = "AWS::Cognito::UserPoolClient"
_GROUP_TYPE = "AWS::Cognito::UserPoolGroup"
#: Resource types moto's CloudFormation skips (``infra/stack.py`` silences its warnings for them).
MOTO_SKIPPED_TYPES = (_POOL_TYPE, _CLIENT_TYPE, _GROUP_TYPE)


def create_pool_moto_skips(
    cognito: Any, template: Mapping[str, Any], outputs: Mapping[str, str], resolve: Callable[[Any], str]
) -> None:
    """Create the pool, its client and its groups from their template properties where missing;
    ``resolve`` turns an intrinsic (the tags' ``Ref: Stage``) into its value."""
    resources = template["Resources"]
    pool_properties = _only(resources, _POOL_TYPE)
    name = outputs[POOL_NAME_OUTPUT]
    pool_id = _pool_id(cognito, name)
    if pool_id is None:
        properties = {k: v for k, v in pool_properties.items() if k != "UserPoolName"}
        tags = properties.pop("UserPoolTags", {})
        properties["UserPoolTags"] = {key: resolve(value) for key, value in tags.items()}
        pool_id = str(cognito.create_user_pool(PoolName=name, **properties)["UserPool"]["Id"])
    client_properties = _only(resources, _CLIENT_TYPE)
    if _client_id(cognito, pool_id, outputs[CLIENT_NAME_OUTPUT]) is None:
        properties = {k: v for k, v in client_properties.items() if k not in ("UserPoolId", "ClientName")}
        cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=outputs[CLIENT_NAME_OUTPUT], **properties
        )
    existing = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id, Limit=60)["Groups"]}
    for resource in resources.values():
        if resource["Type"] == _GROUP_TYPE and resource["Properties"]["GroupName"] not in existing:
            properties = {k: v for k, v in resource["Properties"].items() if k != "UserPoolId"}
            cognito.create_group(UserPoolId=pool_id, **properties)


def pool_ids(cognito: Any, outputs: Mapping[str, str]) -> dict[str, str]:
    """The pool's and its client's ids, found by the names the stack outputs ({} before they exist)."""
    if POOL_NAME_OUTPUT not in outputs:
        return {}
    pool_id = _pool_id(cognito, outputs[POOL_NAME_OUTPUT])
    client_id = None if pool_id is None else _client_id(cognito, pool_id, outputs[CLIENT_NAME_OUTPUT])
    if pool_id is None or client_id is None:
        return {}
    return {POOL_ID_OUTPUT: pool_id, CLIENT_ID_OUTPUT: client_id}


def create_account(cognito: Any, pool_id: str, username: str, role: str) -> str:
    """A new account in ``role``'s group with a random permanent password, which is returned (and
    stored nowhere by this function)."""
    password = new_password()
    cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
    return password


def account_exists(cognito: Any, pool_id: str, username: str) -> bool:
    try:
        cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    except cognito.exceptions.UserNotFoundException:
        return False
    return True


def _only(resources: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    (properties,) = [r["Properties"] for r in resources.values() if r["Type"] == resource_type]
    return dict(properties)


def _pool_id(cognito: Any, name: str) -> str | None:
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return str(pool["Id"])
    return None


def _client_id(cognito: Any, pool_id: str, name: str) -> str | None:
    for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page["UserPoolClients"]:
            if client["ClientName"] == name:
                return str(client["ClientId"])
    return None


#: The local stack's first account, in the admin group.
FIRST_ADMIN = "admin"
#: Where the local stack keeps its first admin's password (0600, beside the admin token).
PASSWORD_FILE = "console-admin-password"  # noqa: S105 - a file name


def stable_moto_ids() -> None:
    """Make moto derive pool and client ids from their names and settings (not at random), so the
    writes ``infra/persistence.py`` replays at a restart (accounts, groups) find the same pool."""
    os.environ["MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY"] = "HASH"
    os.environ["MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY"] = "HASH"


def first_admin(cognito: Any, pool_id: str, state_dir: Path) -> str | None:
    """The local stack's first admin account: created once, its random password written 0600 to
    ``state_dir`` and returned to be shown that once; None when it already exists (a restart)."""
    if account_exists(cognito, pool_id, FIRST_ADMIN):
        return None
    password = create_account(cognito, pool_id, FIRST_ADMIN, "admin")
    path = state_dir / PASSWORD_FILE
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(password + "\n")
    return password
