"""The template's staff user pool: the Cognito pool (kept when the stack goes), its app client
and the staff role groups, as provision/identity.py makes them from the same documents."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.cognito_staff import GROUP_DESCRIPTIONS, ROLES
from inbound.stage.cfn_refs import RETAIN, ref
from inbound.stage.documents import CLIENT_SETTINGS, POOL_SETTINGS, POOL_SIGN_IN
from inbound.stage.provision.context import Names


def staff_pool_resources(names: Names) -> dict[str, Any]:
    return {
        "StaffUserPool": {
            "Type": "AWS::Cognito::UserPool",
            **RETAIN,
            "Properties": {
                "UserPoolName": names.user_pool,
                **POOL_SIGN_IN,
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                **POOL_SETTINGS,
            },
        },
        "StaffUserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "ClientName": names.user_pool_client,
                "GenerateSecret": False,
                **CLIENT_SETTINGS,
            },
        },
        # The staff roles (a token's cognito:groups), as provision's ensure_staff_groups makes them.
        **{
            f"Staff{role.title()}Group": {
                "Type": "AWS::Cognito::UserPoolGroup",
                "Properties": {
                    "UserPoolId": ref("StaffUserPool"),
                    "GroupName": role,
                    "Description": GROUP_DESCRIPTIONS[role],
                },
            }
            for role in ROLES
        },
    }
