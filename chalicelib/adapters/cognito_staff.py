"""Staff roles as Cognito groups: `admin` may administer staff, `agent` (or no group) works
tickets. A user's groups reach the app in the `cognito:groups` claim of their tokens, so a
role change takes effect at their next token (at most an hour: the ID token's validity).

`CognitoStaff` is the staff directory the console's administration works on (the
services' StaffDirectory port); `inbound staff` calls the functions directly."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.domain.staff_identity import ADMIN, AGENT, ROLES

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


def admins(cognito: Any, pool_id: str) -> set[str]:
    """The usernames of the admin group (none when the group does not exist yet)."""
    try:
        pages = cognito.get_paginator("list_users_in_group").paginate(UserPoolId=pool_id, GroupName=ADMIN)
        return {str(user["Username"]) for page in pages for user in page["Users"]}
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return set()
        raise


def set_role(cognito: Any, pool_id: str, username: str, role: str, create_group: bool = True) -> None:
    """Put the user in the role's group and out of the other one (idempotent). The console's
    calls pass `create_group=False`: provision made the groups, the Lambda may not make more."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}: {role!r}")
    if create_group:
        ensure_group(cognito, pool_id, role)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
    other = AGENT if role == ADMIN else ADMIN
    try:
        cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName=other)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":  # the other group does not exist
            raise


def create_user(cognito: Any, pool_id: str, email: str, password: str) -> bool:
    """Create the user with a temporary password; False when the address exists already.

    MessageAction SUPPRESS: Cognito would otherwise mail the password itself, past the
    outbound guard; the operator (or the console's invitation, through the guard) hands it
    over, and the user sets their own at first sign-in.
    """
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        )
    except ClientError as exc:
        if error_code(exc) == "UsernameExistsException":
            return False
        raise
    return True


# Cognito's UserStatus, in words an operator acts on.
_STATUS = {"CONFIRMED": "active", "FORCE_CHANGE_PASSWORD": "invited", "RESET_REQUIRED": "must reset password"}


def members(cognito: Any, pool_id: str) -> list[dict[str, Any]]:
    """Every user of the pool: email, status (active, invited, disabled, ...), role, since when."""
    found, admin_names = [], admins(cognito, pool_id)
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page["Users"]:
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            status = str(user.get("UserStatus", ""))
            created = user.get("UserCreateDate")
            enabled = bool(user.get("Enabled", True))
            found.append(
                {
                    "email": attributes.get("email") or user["Username"],
                    "status": _STATUS.get(status, status.lower()) if enabled else "disabled",
                    "enabled": enabled,
                    "role": ADMIN if user["Username"] in admin_names else AGENT,
                    "cognito_status": status,
                    "created": created.isoformat(timespec="seconds") if created else None,
                }
            )
    return sorted(found, key=lambda a: a["email"])


class CognitoStaff:
    """The stage's user pool as the console's staff directory; usernames are email addresses."""

    def __init__(self, cognito: Any, pool_id: str) -> None:
        self._cognito = cognito
        self.pool_id = pool_id

    def members(self) -> list[dict[str, Any]]:
        return members(self._cognito, self.pool_id)

    def create(self, email: str, password: str, role: str) -> bool:
        """False when the address exists already (nothing changed)."""
        if not create_user(self._cognito, self.pool_id, email, password):
            return False
        set_role(self._cognito, self.pool_id, email, role, create_group=False)
        return True

    def set_role(self, email: str, role: str) -> None:
        set_role(self._cognito, self.pool_id, email, role, create_group=False)

    def set_enabled(self, email: str, enabled: bool) -> None:
        if enabled:
            self._cognito.admin_enable_user(UserPoolId=self.pool_id, Username=email)
            return
        self._cognito.admin_disable_user(UserPoolId=self.pool_id, Username=email)
        # Refresh tokens stop working too; an ID token already issued lasts until it expires.
        self._cognito.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=email)

    def delete(self, email: str) -> None:
        self._cognito.admin_delete_user(UserPoolId=self.pool_id, Username=email)
