"""CloudFormation's intrinsic functions and deletion policies, as the stage's template
modules (`cfn_template`, `cfn_ses`, `cfn_functions`) write them."""

from __future__ import annotations

from typing import Any

RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
# Queues go with the stack, as with `inbound provision --delete`: the raw mail behind every
# notification stays in the bucket's incoming/ and the sweeper re-drives it.
DELETE = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def substitute(value: Any) -> Any:
    """Every string naming a pseudo parameter (`${AWS::AccountId}`...) becomes an Fn::Sub."""
    if isinstance(value, str):
        return {"Fn::Sub": value} if "${" in value else value
    if isinstance(value, list):
        return [substitute(item) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item) for key, item in value.items()}
    return value
