"""A merged template's values as CloudFormation resolves them in one account and Region."""

from __future__ import annotations

from typing import Any

MOTO_ACCOUNT = "123456789012"  # moto's default account


def resolve(value: Any, region: str, account: str = MOTO_ACCOUNT) -> Any:
    """Every Fn::Sub string with its pseudo parameters (account, Region, partition) filled in."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, actual in (("AWS::AccountId", account), ("AWS::Region", region), ("AWS::Partition", "aws")):
            text = text.replace("${" + name + "}", actual)
        return text
    if isinstance(value, dict):
        return {key: resolve(item, region, account) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, region, account) for item in value]
    return value
