"""Service rules real AWS enforces that botocore's models do not carry (and moto does not check):
DynamoDB's and Lambda's here, SNS/SQS/S3/SES's in inbound/local/aws_contract/message_rules.py, those
of the requests that make resources (queues, lifecycle rules, alarms, event sources,
subscriptions) in resource_rules.py.

Each rule cites the AWS documentation it comes from. `check` returns the first
refusal as (error code or None for the service's validation code, rule, message).
Sizes are measured as AWS measures them: UTF-8 bytes, not characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from inbound.local.aws_contract import resource_rules
from inbound.local.aws_contract.message_rules import Refusal, s3, ses, sesv2, sns, sqs

# DynamoDB, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
PARTITION_KEY_BYTES = 2048  # "Partition key value ... maximum length of 2048 bytes"
SORT_KEY_BYTES = 1024  # "Sort key value ... maximum length of 1024 bytes"
ITEM_BYTES = 400 * 1024  # "maximum item size ... 400 KB", names (UTF-8) plus values
TRANSACT_ACTIONS = 100  # TransactWriteItems/TransactGetItems: "up to 100 ... actions"
TRANSACT_BYTES = 4 * 1024 * 1024  # "The aggregate size of the items in the transaction cannot exceed 4 MB"
BATCH_GET_KEYS = 100  # BatchGetItem: "up to 100 items"
BATCH_WRITE_REQUESTS = 25  # BatchWriteItem: "up to 25 put or delete requests"
# The table key schemas this process has seen created (tables are created through the API).
_key_schemas: dict[str, tuple[str, ...]] = {}


def _bytes(text: Any) -> int:
    if isinstance(text, (bytes, bytearray)):
        return len(text)
    return len(str(text).encode("utf-8", "surrogatepass"))


# -- DynamoDB --


def _value_bytes(value: Any) -> int:
    """An attribute value's size by DynamoDB's rules (numbers approximately, as documented)."""
    if not isinstance(value, dict) or len(value) != 1:
        return 0
    ((kind, data),) = value.items()
    if kind in ("S", "B"):
        return _bytes(data)
    if kind == "N":
        return len(str(data)) // 2 + 1  # "approximately (length of attribute value / 2) + 1 bytes"
    if kind in ("SS", "BS"):
        return sum(_bytes(x) for x in data)
    if kind == "NS":
        return sum(len(str(x)) // 2 + 1 for x in data)
    if kind == "L":
        return 3 + sum(_value_bytes(x) for x in data)  # 3 bytes of overhead for a List or Map
    if kind == "M":
        return 3 + _item_bytes(data)
    return 1  # BOOL, NULL


def _item_bytes(item: Any) -> int:
    if not isinstance(item, dict):
        return 0
    return sum(_bytes(name) + _value_bytes(value) for name, value in item.items())


def _remember_schema(params: dict[str, Any]) -> None:
    keys: list[dict[str, Any]] = list(params.get("KeySchema") or [])
    for index in (
        *(params.get("GlobalSecondaryIndexes") or []),
        *(params.get("LocalSecondaryIndexes") or []),
    ):
        keys.extend(index.get("KeySchema") or [])
    # Index keys obey the same limits: "HASH:name" / "RANGE:name".
    _key_schemas[str(params.get("TableName"))] = tuple(
        f"{k.get('KeyType')}:{k.get('AttributeName')}" for k in keys
    )


def _key_refusal(table: Any, key: Any, item: bool = False) -> Refusal | None:
    """A key (or an item's key attributes) over DynamoDB's key sizes; a table whose schema this
    process has not seen has its Key's attributes held to the partition key's limit."""
    if not isinstance(key, dict):
        return None
    schema = _key_schemas.get(str(table))
    if schema is None and item:
        return None
    for name, value in key.items():
        if schema is None or f"HASH:{name}" in schema:
            limit, which = PARTITION_KEY_BYTES, "Hash primary key"
        elif f"RANGE:{name}" in schema:
            limit, which = SORT_KEY_BYTES, "Range primary key"
        else:
            continue
        size = _value_bytes(value) if isinstance(value, dict) and ("S" in value or "B" in value) else 0
        if size > limit:
            message = (
                f"One or more parameter values were invalid: {which} {name} of {size} bytes exceeds {limit}"
            )
            return None, "dynamodb-key-size", message
    return None


def _item_refusal(table: Any, item: Any) -> Refusal | None:
    size = _item_bytes(item)
    if size > ITEM_BYTES:
        return (
            None,
            "dynamodb-item-size",
            f"Item size has exceeded the maximum allowed size ({size} > {ITEM_BYTES} bytes)",
        )
    return _key_refusal(table, item, item=True)


def _writes(params: dict[str, Any]) -> Iterator[tuple[Any, Any, Any]]:
    """(table, key or None, item or None) for every key and item a request names."""
    table = params.get("TableName")
    if "Key" in params:
        yield table, params["Key"], None
    if "Item" in params:
        yield table, None, params["Item"]
    for entry in params.get("TransactItems") or []:
        for op in entry.values() if isinstance(entry, dict) else ():
            yield op.get("TableName"), op.get("Key"), op.get("Item")
    for name, request in (params.get("RequestItems") or {}).items():
        if isinstance(request, dict):  # BatchGetItem
            for key in request.get("Keys") or []:
                yield name, key, None
        else:  # BatchWriteItem
            for write in request or []:
                yield (
                    name,
                    (write.get("DeleteRequest") or {}).get("Key"),
                    (write.get("PutRequest") or {}).get("Item"),
                )


def dynamodb(model: Any, params: dict[str, Any]) -> Refusal | None:
    operation = model.name
    if operation == "CreateTable":
        _remember_schema(params)
        return None
    for table, key, item in _writes(params):
        refusal = _key_refusal(table, key) or _item_refusal(table, item)
        if refusal:
            return refusal
    actions = params.get("TransactItems") or []
    if len(actions) > TRANSACT_ACTIONS:
        return (
            None,
            "dynamodb-transaction-size",
            f"Member must have length less than or equal to {TRANSACT_ACTIONS}",
        )
    if operation == "TransactWriteItems":
        total = sum(
            _item_bytes(op.get("Item"))
            + _item_bytes(op.get("Key"))
            + _item_bytes(op.get("ExpressionAttributeValues"))
            for entry in actions
            for op in entry.values()
        )
        if total > TRANSACT_BYTES:
            return (
                None,
                "dynamodb-transaction-size",
                f"Transaction request cannot be larger than 4 MB ({total} bytes)",
            )
    requests = params.get("RequestItems") or {}
    if operation == "BatchGetItem":
        count = sum(len(r.get("Keys") or []) for r in requests.values())
        if count > BATCH_GET_KEYS:
            return (
                None,
                "dynamodb-batch-size",
                f"Too many items requested for the BatchGetItem call ({count})",
            )
    if operation == "BatchWriteItem":
        count = sum(len(r or []) for r in requests.values())
        if count > BATCH_WRITE_REQUESTS:
            return None, "dynamodb-batch-size", f"Too many items in the BatchWriteItem request ({count})"
    if operation == "Query":
        return _query_refusal(params)
    return None


def _query_refusal(params: dict[str, Any]) -> Refusal | None:
    # The key condition's values are keys: a partition key, or a bound of the sort key.
    condition = str(params.get("KeyConditionExpression") or "")
    values = params.get("ExpressionAttributeValues") or {}
    for name in re.findall(r":[A-Za-z0-9_]+", condition):
        value = values.get(name)
        if isinstance(value, dict) and _value_bytes(value) > PARTITION_KEY_BYTES:
            message = f"One or more parameter values were invalid: key condition value {name} exceeds {PARTITION_KEY_BYTES} bytes"
            return None, "dynamodb-key-size", message
    return None


# Lambda, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "Function
# environment variables: 4 KB, for all environment variables associated with the function, in
# aggregate"; Lambda measures the variables as JSON (its error quotes the "String measured").
LAMBDA_ENVIRONMENT_BYTES = 4096


def lambda_(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name not in ("CreateFunction", "UpdateFunctionConfiguration"):
        return None
    variables = (params.get("Environment") or {}).get("Variables")
    if not isinstance(variables, dict):
        return None
    size = _bytes(json.dumps(variables, separators=(",", ":"), ensure_ascii=False))
    if size > LAMBDA_ENVIRONMENT_BYTES:
        message = f"Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit ({size} bytes)"
        return "InvalidParameterValueException", "lambda-environment-size", message
    return None


_RULES: dict[str, Callable[..., Refusal | None]] = {
    "dynamodb": dynamodb,
    "lambda": lambda_,
    "sns": sns,
    "sqs": sqs,
    "s3": s3,
}
_RULES_IN_CONTEXT: dict[str, Callable[..., Refusal | None]] = {"ses": ses, "sesv2": sesv2}


def check(model: Any, params: Any, context: dict[str, Any]) -> Refusal | None:
    """The first service rule this request breaks, or None."""
    if not isinstance(params, dict):
        return None
    refusal = resource_rules.check(model, params)
    if refusal is not None:
        return refusal
    service = model.service_model.service_name
    rule = _RULES.get(service)
    if rule is not None:
        return rule(model, params)
    rule = _RULES_IN_CONTEXT.get(service)
    return rule(model, params, context) if rule is not None else None
