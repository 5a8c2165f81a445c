"""Delivery records in the tickets table: one per SES delivery, written once.

| item            | pk                  | sk       |
| --------------- | ------------------- | -------- |
| delivery record | DELIVERY#<ses-id>   | DELIVERY |
| sweep attempts  | DELIVERY#<ses-id>   | SWEEP    |

Exactly-once rests on the record's conditional put (`delivery_put`), the first operation
of every commit that files a delivery: a ticket message (dynamodb_tickets) or another
outcome (here, with the suspended list's entry when the mail is suspended).

A re-drive may delete exactly the `failed` verdict and nothing else: that record is only
written when nothing was committed for the delivery (`IngestService.quarantine_failed`),
and while it exists nothing can be; so deleting it lets the delivery commit once, later,
and never twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_requests import (
    CONDITION_FAILED,
    cancellation_reasons,
    condition_failed,
    transact_write,
)
from chalicelib.adapters.dynamodb_suspended import suspended_item
from chalicelib.errors import AlreadyProcessed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.services.ports.records import DeliveryRecord, SuspendedMessage

_KEY_ATTRIBUTES = ("pk", "sk", "type")


def delivery_put(table: str, ses_message_id: str, record: DeliveryRecord) -> dict[str, Any]:
    """The transaction operation that records a delivery, only if it was never recorded."""
    item = {**items.delivery_key(ses_message_id), **items.serialize({"type": "delivery", **record})}
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def record_from_item(raw: dict[str, Any]) -> DeliveryRecord:
    """The record's fields, without the item's keys."""
    return {k: v for k, v in items.deserialize(raw).items() if k not in _KEY_ATTRIBUTES}


class DynamoDBDeliveries:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def get_delivery(self, ses_message_id: str) -> DeliveryRecord | None:
        raw = self._db.get_item(
            TableName=self.table, Key=items.delivery_key(ses_message_id), ConsistentRead=True
        ).get("Item")
        return record_from_item(raw) if raw else None

    def record_delivery(
        self, ses_message_id: str, record: DeliveryRecord, suspended: SuspendedMessage | None = None
    ) -> None:
        """Record an outcome that files no ticket message (bounce, quarantine, suspended), once:
        AlreadyProcessed when the delivery was recorded before. A suspended mail joins the
        suspended list in the same transaction."""
        operations = [delivery_put(self.table, ses_message_id, record)]
        if suspended is not None:
            operations.append({"Put": {"TableName": self.table, "Item": suspended_item(suspended)}})
        try:
            transact_write(self._db, operations)
        except ClientError as exc:
            if cancellation_reasons(exc)[:1] == [CONDITION_FAILED]:
                raise AlreadyProcessed(ses_message_id) from exc
            raise

    def count_sweep_attempt(self, ses_message_id: str) -> int:
        """One more sweep of this raw mail; returns how many there have been."""
        response = self._db.update_item(
            TableName=self.table,
            Key=items.delivery_key(ses_message_id, "SWEEP"),
            UpdateExpression="ADD attempts :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["attempts"]["N"])

    def clear_failed(self, ses_message_id: str) -> bool:
        """Delete the delivery record if (and only if) it is a `failed` quarantine; True if it was."""
        try:
            self._db.delete_item(
                TableName=self.table,
                Key=items.delivery_key(ses_message_id),
                ConditionExpression="#o = :quarantined AND #r = :failed",
                ExpressionAttributeNames={"#o": "outcome", "#r": "quarantine_reason"},
                ExpressionAttributeValues={":quarantined": {"S": "quarantined"}, ":failed": {"S": "failed"}},
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False  # no record, or a committed outcome: keep it
            raise
        return True

    def reset_sweep_attempts(self, ses_message_id: str) -> None:
        """The sweeper counts from zero again (it would otherwise quarantine at once)."""
        self._db.delete_item(TableName=self.table, Key=items.delivery_key(ses_message_id, "SWEEP"))
