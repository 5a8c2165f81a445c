"""Staff roles as Cognito groups: `admin` may administer staff, `agent` (or no group) works
tickets. A user's groups reach the app in the `cognito:groups` claim of their tokens, so a
role change takes effect at their next token (at most an hour: the ID token's validity)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code

ADMIN, AGENT = "admin", "agent"
ROLES = (ADMIN, AGENT)
GROUP_DESCRIPTIONS = {ADMIN: "inbound staff administrators", AGENT: "inbound support agents"}


def ensure_group(cognito: Any, pool_id: str, role: str) -> bool:
    """Create the role's group unless it exists; True when it was created."""
    try:
        cognito.create_group(UserPoolId=pool_id, GroupName=role, Description=GROUP_DESCRIPTIONS[role])
    except ClientError as exc:
        if error_code(exc) == "GroupExistsException":
            return False
        raise
    return True


def role_of(cognito: Any, pool_id: str, username: str) -> str:
    """`admin` when the user is in the admin group, else `agent`."""
    pages = cognito.get_paginator("admin_list_groups_for_user").paginate(
        UserPoolId=pool_id, Username=username
    )
    groups = {group["GroupName"] for page in pages for group in page["Groups"]}
    return ADMIN if ADMIN in groups else AGENT


def admins(cognito: Any, pool_id: str) -> set[str]:
    """The usernames of the admin group (none when the group does not exist yet)."""
    try:
        pages = cognito.get_paginator("list_users_in_group").paginate(UserPoolId=pool_id, GroupName=ADMIN)
        return {str(user["Username"]) for page in pages for user in page["Users"]}
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return set()
        raise


def set_role(cognito: Any, pool_id: str, username: str, role: str) -> None:
    """Put the user in the role's group and out of the other one (idempotent)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}: {role!r}")
    ensure_group(cognito, pool_id, role)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
    other = AGENT if role == ADMIN else ADMIN
    try:
        cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName=other)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":  # the other group does not exist
            raise
