"""The embedded stack between tests."""

from __future__ import annotations


def empty_stack(stack) -> None:
    """Every item of both tables and every object of the bucket deleted (by Scan: tests only)."""
    db = stack.client("dynamodb")
    for table in (stack.settings.tickets_table, stack.settings.suppression_table):
        for page in db.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk"):
            for item in page["Items"]:
                db.delete_item(TableName=table, Key=item)
    s3 = stack.client("s3")
    for key in stack.keys(""):
        s3.delete_object(Bucket=stack.settings.mail_bucket, Key=key)
