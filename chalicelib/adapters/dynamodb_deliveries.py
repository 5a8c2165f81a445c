"""Delivery records in the tickets table: one per SES delivery, written once.

| item            | pk                  | sk       |
| --------------- | ------------------- | -------- |
| delivery record | DELIVERY#<ses-id>   | DELIVERY |
| sweep attempts  | DELIVERY#<ses-id>   | SWEEP    |
| unfiled claim   | MID#<mailbox>#<message-id> | UNFILED#<fingerprint> |

Exactly-once rests on the record's conditional put (`delivery_put`), the first operation
of every commit that files a delivery: a ticket message (dynamodb_tickets) or another
outcome (here, with the suspended list's entry when the mail is suspended).

A mail filed on no ticket, a mail without a Message-ID and a mail about to be quarantined
claim their Message-ID (or content, or bytes) and fingerprint first (`claim_unfiled`,
domain/message_claims.py): one conditional put, kept for good; a copy under another SES
message id finds the first delivery's id in it and is a duplicate.

A re-drive may delete exactly the `failed` verdict and nothing else: that record is only
written when nothing was committed for the delivery (`IngestService.quarantine_failed`),
and while it exists nothing can be; so deleting it lets the delivery commit once, later,
and never twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

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

    from chalicelib.domain.message_claims import UnfiledClaim
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

    def claim_unfiled(self, claim: UnfiledClaim, ses_message_id: str) -> str:
        """This delivery's claim on the mail, unless another delivery's came first (then its id).

        The same delivery again (its run stopped after the claim) passes its own condition,
        so a crash between the claim and the outcome never turns the mail into a duplicate of
        itself. ALL_OLD hands back the claim that refused this one in the refusal itself."""
        item = {
            **items.unfiled_claim_key(claim.mailbox, claim.message_id, claim.fingerprint),
            **items.serialize({"type": "unfiled-claim", "ses_message_id": ses_message_id}),
        }
        try:
            self._db.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR ses_message_id = :me",
                ExpressionAttributeValues={":me": {"S": ses_message_id}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if condition_failed(exc):
                held = cast("dict[str, Any]", exc.response).get("Item") or {}
                return str(held.get("ses_message_id", {}).get("S", "")) or "another delivery"
            raise
        return ses_message_id

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
