"""Staff sign-in (Cognito user pool and app client) and the reply-token secret (SSM)."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.cognito_staff import ROLES, ensure_group
from inbound.stage.documents import CLIENT_SETTINGS, PASSWORD_POLICY, POOL_SETTINGS, POOL_SIGN_IN
from inbound.stage.provision.context import Context, ProvisionError, canonical, error_code
from inbound.stage.provision.deleting import RESOURCE_GONE, SSM_GONE, delete_resource
from inbound.stage.provision.report import CHANGED, CREATED, UNCHANGED

SECRET_BYTES = 32


def _find_pool(ctx: Context) -> str | None:
    cognito, name = ctx.client("cognito-idp"), ctx.names.user_pool
    pages = cognito.get_paginator("list_user_pools").paginate(PaginationConfig={"PageSize": 60})
    ids = [pool["Id"] for page in pages for pool in page["UserPools"] if pool["Name"] == name]
    if len(ids) > 1:
        # Pool names are not unique in Cognito; two runs racing can leave two.
        raise ProvisionError(f"{len(ids)} user pools are named {name}: {ids}; delete the spare")
    return ids[0] if ids else None


def _pool_drift(pool: dict[str, Any]) -> list[str]:
    # Absent is tolerated: moto's update_user_pool drops this (in AWS immutable) setting,
    # and a pool of plain usernames still works with email addresses as usernames.
    if pool.get("UsernameAttributes") not in (None, ["email"]):
        raise ProvisionError(
            f"user pool {pool['Name']} does not sign in by email; that cannot change in place"
        )
    changes = []
    policy = pool.get("Policies", {}).get("PasswordPolicy", {})
    if any(policy.get(key) != value for key, value in PASSWORD_POLICY.items()):
        changes.append("password policy")
    if pool.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly") is not True:
        changes.append("admin-create-user only")
    if sorted(pool.get("AutoVerifiedAttributes") or []) != ["email"]:
        changes.append("auto-verified email")
    recovery = POOL_SETTINGS["AccountRecoverySetting"]
    if canonical(pool.get("AccountRecoverySetting") or {}) != canonical(recovery):
        changes.append("account recovery by email")
    return changes


def _ensure_mfa(ctx: Context, pool_id: str) -> list[str]:
    """Optional TOTP MFA. Read with get_user_pool_mfa_config: moto's describe_user_pool
    keeps saying OFF after set_user_pool_mfa_config."""
    cognito = ctx.client("cognito-idp")
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
    totp = mfa.get("SoftwareTokenMfaConfiguration", {}).get("Enabled")
    if mfa.get("MfaConfiguration") == "OPTIONAL" and totp:
        return []
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    return ["MFA optional (TOTP)"]


def ensure_user_pool(ctx: Context) -> str:
    cognito, name = ctx.client("cognito-idp"), ctx.names.user_pool
    pool_id = _find_pool(ctx)
    changes: list[str] = []
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName=name,
            **POOL_SIGN_IN,
            # MFA starts OFF: OPTIONAL needs a factor configured, which _ensure_mfa does next.
            MfaConfiguration="OFF",
            **POOL_SETTINGS,
        )["UserPool"]["Id"]
        _ensure_mfa(ctx, pool_id)
        ctx.report.record("cognito-user-pool", name, created=True, changes=[])
        return str(pool_id)
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    changes = _pool_drift(pool)
    if changes:
        current_mfa = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"]
        cognito.update_user_pool(UserPoolId=pool_id, MfaConfiguration=current_mfa, **POOL_SETTINGS)
    changes += _ensure_mfa(ctx, pool_id)
    ctx.report.record("cognito-user-pool", name, created=False, changes=changes)
    return str(pool_id)


def ensure_staff_groups(ctx: Context, pool_id: str) -> None:
    """The role groups (admin, agent): a token's `cognito:groups` names the caller's role."""
    cognito = ctx.client("cognito-idp")
    for role in ROLES:
        created = ensure_group(cognito, pool_id, role)
        ctx.report.add("cognito-group", role, CREATED if created else UNCHANGED)


def _client_drift(client: dict[str, Any]) -> list[str]:
    if client.get("ClientSecret"):
        raise ProvisionError(
            f"app client {client['ClientName']} has a secret; a browser console cannot keep "
            "one. Delete the client and run provision again"
        )
    changes = []
    for key, wanted in CLIENT_SETTINGS.items():
        have = client.get(key)
        if key in ("ExplicitAuthFlows", "ReadAttributes"):
            have, wanted = sorted(have or []), sorted(wanted)
        if have != wanted:
            changes.append(key)
    return changes


def ensure_user_pool_client(ctx: Context, pool_id: str) -> str:
    cognito, name = ctx.client("cognito-idp"), ctx.names.user_pool_client
    pages = cognito.get_paginator("list_user_pool_clients").paginate(
        UserPoolId=pool_id, PaginationConfig={"PageSize": 60}
    )
    ids = [c["ClientId"] for page in pages for c in page["UserPoolClients"] if c["ClientName"] == name]
    if not ids:
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=name, GenerateSecret=False, **CLIENT_SETTINGS
        )["UserPoolClient"]["ClientId"]
        ctx.report.record("cognito-user-pool-client", name, created=True, changes=[])
        return str(client_id)
    client_id = ids[0]
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    changes = _client_drift(client["UserPoolClient"])
    if changes:
        # update_user_pool_client resets what it is not given: send the whole set.
        cognito.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client_id, ClientName=name, **CLIENT_SETTINGS
        )
    ctx.report.record("cognito-user-pool-client", name, created=False, changes=changes)
    return str(client_id)


def _get_parameter(ctx: Context, name: str, decrypt: bool) -> dict[str, Any] | None:
    try:
        return dict(ctx.client("ssm").get_parameter(Name=name, WithDecryption=decrypt)["Parameter"])
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        raise


def _put_secret(ctx: Context, name: str, value: str, overwrite: bool) -> None:
    ctx.client("ssm").put_parameter(
        Name=name,
        Value=value,
        Type="SecureString",
        Overwrite=overwrite,
        Description="inbound reply-token HMAC secret (hex); rotate with rotate_reply_secret",
    )


def ensure_reply_secret(ctx: Context) -> str:
    """Create the secret once; never overwrite its value (that would orphan every token)."""
    name = ctx.names.reply_secret_parameter
    current = _get_parameter(ctx, name, decrypt=False)
    if current is None:
        try:
            _put_secret(ctx, name, secrets.token_hex(SECRET_BYTES), overwrite=False)
            ctx.report.add("ssm-parameter", name, CREATED, "SecureString")
        except ClientError as exc:
            if error_code(exc) != "ParameterAlreadyExists":  # a concurrent run made it
                raise
            ctx.report.add("ssm-parameter", name, UNCHANGED)
    elif current["Type"] != "SecureString":
        plain = _get_parameter(ctx, name, decrypt=True) or {}
        _put_secret(ctx, name, str(plain["Value"]), overwrite=True)
        ctx.report.add("ssm-parameter", name, CHANGED, f"{current['Type']} -> SecureString, value kept")
    else:
        ctx.report.add("ssm-parameter", name, UNCHANGED, "SecureString")
    return name


def rotate_secret(ctx: Context) -> None:
    """New current value; the old one moves to `-previous` so its tokens keep verifying.

    The previous value is written first: at every instant each value ever handed out is
    readable from one of the two parameters. Rotating twice within the grace period
    drops the oldest value, by design.
    """
    name, previous = ctx.names.reply_secret_parameter, ctx.names.previous_reply_secret_parameter
    current = _get_parameter(ctx, name, decrypt=True)
    if current is not None:
        had_previous = _get_parameter(ctx, previous, decrypt=False) is not None
        _put_secret(ctx, previous, str(current["Value"]), overwrite=True)
        ctx.report.add("ssm-parameter", previous, CHANGED if had_previous else CREATED, "old secret")
    _put_secret(ctx, name, secrets.token_hex(SECRET_BYTES), overwrite=True)
    ctx.report.add("ssm-parameter", name, CHANGED if current else CREATED, "new secret")


def delete_identity(ctx: Context, keep_data: bool) -> None:
    """The user pool holds staff accounts and the secret signs live reply addresses:
    both are data, kept unless `keep_data` is False."""
    cognito, ssm = ctx.client("cognito-idp"), ctx.client("ssm")
    delete_resource(
        ctx.report,
        "cognito-user-pool",
        ctx.names.user_pool,
        read=lambda: _find_pool(ctx),
        delete=lambda pool_id: cognito.delete_user_pool(UserPoolId=pool_id),  # clients go with it
        gone=RESOURCE_GONE,
        keep="staff accounts (--delete-data deletes it)" if keep_data else "",
    )
    for param in (ctx.names.reply_secret_parameter, ctx.names.previous_reply_secret_parameter):
        delete_resource(
            ctx.report,
            "ssm-parameter",
            param,
            read=partial(_get_parameter, ctx, param, decrypt=False),
            delete=lambda found: ssm.delete_parameter(Name=found["Name"]),
            gone=SSM_GONE,
            keep="signs live reply addresses (--delete-data deletes it)" if keep_data else "",
        )
