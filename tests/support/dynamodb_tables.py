"""DynamoDB tables for adapter and contract tests on moto."""

from __future__ import annotations

from typing import Any


def pk_sk_table(dynamodb: Any, name: str) -> str:
    """A table keyed like the project's (string `pk` and `sk`), paid per request; its name."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name
