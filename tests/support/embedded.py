"""The embedded stack between tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

BATCH_WRITE_ITEMS = 25  # DynamoDB's BatchWriteItem limit
DELETE_OBJECTS_KEYS = 1000  # S3's DeleteObjects limit


def empty_stack(stack) -> None:
    """Every item of both tables and every object of the bucket deleted (by Scan: tests only),
    a batch a request, as every test of a module on the shared stack starts with it."""
    own = _own_clients(stack)
    for table in (stack.settings.tickets_table, stack.settings.suppression_table):
        pages = own.db.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk")
        keys = [item for page in pages for item in page["Items"]]
        for start in range(0, len(keys), BATCH_WRITE_ITEMS):
            _delete_items(own.db, table, keys[start : start + BATCH_WRITE_ITEMS])
    keys = stack.keys("")
    for start in range(0, len(keys), DELETE_OBJECTS_KEYS):
        objects = [{"Key": key} for key in keys[start : start + DELETE_OBJECTS_KEYS]]
        done = own.s3.delete_objects(
            Bucket=stack.settings.mail_bucket, Delete={"Objects": objects, "Quiet": True}
        )
        assert not done.get("Errors"), done["Errors"]


def _delete_items(db: Any, table: str, keys: list[dict]) -> None:
    requests = {table: [{"DeleteRequest": {"Key": key}} for key in keys]}
    while requests:  # DynamoDB may hand some back unprocessed
        requests = db.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}


def _own_clients(stack) -> Any:
    """Clients of this helper's own, made once per stack: no test's event hooks are on them."""
    own = getattr(stack, "_emptying_clients", None)
    if own is None:
        own = SimpleNamespace(db=stack.client("dynamodb"), s3=stack.client("s3"))
        stack._emptying_clients = own
    return own
