"""The local stack's staff as its Cognito user pool holds them, kept across restarts.

moto keeps no users across a restart, and the pool changes from more places than
`inbound staff` (staff.json): the console's Staff screen invites, disables and changes
roles through the API, and an agent sets their own password at first sign-in. So every
save of the local state also writes the pool's users to `staff-pool.json` (0600, like
credentials.json): attributes, status, enabled, groups and the password. Cognito's API
never returns a password, so the users are read from moto's in-process backend (the
server runs in this process). A start makes exactly those users again; a data dir from
before this file falls back to staff.json (`staff_roster.restore_local`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from inbound.local.journal import fsync_dir
from inbound.local.staff_roster import restore_local

POOL_FILE = "staff-pool.json"
_MUST_CHANGE = "FORCE_CHANGE_PASSWORD"


def pool_users(account: str, region: str, pool_id: str) -> list[dict[str, Any]]:
    """The pool's users as moto holds them, password included, sorted by username."""
    from moto.cognitoidp.models import cognitoidp_backends

    pool = cognitoidp_backends[account][region].user_pools[pool_id]
    users = []
    for user in list(pool.users.values()):
        users.append(
            {
                # With the pool's email sign-in moto names a user by its sub; the API by email.
                "username": user.attribute_lookup.get("email") or user.username,
                # sub is moto's id for the user: a new one each creation, not settable.
                "attributes": [a for a in user.attributes if a["Name"] != "sub"],
                "status": str(getattr(user.status, "value", user.status)),  # a str enum
                "enabled": bool(user.enabled),
                "groups": sorted(group.group_name for group in list(user.groups)),
                "password": user.password,
            }
        )
    return sorted(users, key=lambda u: u["username"])


def write_users(data_dir: Path, users: list[dict[str, Any]]) -> None:
    """Replace staff-pool.json atomically, readable by its owner only."""
    path = data_dir / POOL_FILE
    tmp = path.with_name(path.name + ".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump(users, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(data_dir)


class PoolKeeper:
    """Writes staff-pool.json whenever the pool's users differ from what it last wrote."""

    def __init__(self, data_dir: Path, account: str, region: str, pool_id: str) -> None:
        self._data_dir, self._account, self._region, self._pool = data_dir, account, region, pool_id
        path = data_dir / POOL_FILE
        self._written: list[dict[str, Any]] | None = json.loads(path.read_text()) if path.exists() else None

    def save(self) -> bool:
        users = pool_users(self._account, self._region, self._pool)
        if users == self._written:
            return False
        write_users(self._data_dir, users)
        self._written = users
        return True


def restore(cognito: Any, pool_id: str, data_dir: Path) -> int:
    """Make the saved users again as they were (staff.json's changes for an older data dir);
    a user that exists already (the first agent) is brought to the saved state."""
    path = data_dir / POOL_FILE
    if not path.exists():
        return restore_local(cognito, pool_id, data_dir)
    users = json.loads(path.read_text())
    for user in users:
        name = user["username"]
        try:
            cognito.admin_create_user(
                UserPoolId=pool_id, Username=name, UserAttributes=user["attributes"], MessageAction="SUPPRESS"
            )
        except ClientError as exc:
            if error_code(exc) != "UsernameExistsException":
                raise
        if user.get("password"):
            cognito.admin_set_user_password(
                UserPoolId=pool_id,
                Username=name,
                Password=user["password"],
                Permanent=user["status"] != _MUST_CHANGE,
            )
        for group in user["groups"]:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=group)
        if not user["enabled"]:
            cognito.admin_disable_user(UserPoolId=pool_id, Username=name)
    return len(users)
