"""The delivery-record side of a re-drive: forget a `failed` verdict, reset the sweeper's count.

Exactly-once rests on the delivery record's conditional put. A record with outcome
`quarantined` and reason `failed` is only ever written when nothing was committed for
the delivery (see `IntakeService.quarantine_failed`), and while it exists nothing can
be; so deleting exactly that record (and never another, hence the condition) lets the
delivery be committed once, later, and can never make it twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBRedrive:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

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
            if error_code(exc) == "ConditionalCheckFailedException":
                return False  # no record, or a committed outcome: keep it
            raise
        return True

    def reset_sweep_attempts(self, ses_message_id: str) -> None:
        """The sweeper counts from zero again (it would otherwise quarantine at once)."""
        self._db.delete_item(TableName=self.table, Key=items.delivery_key(ses_message_id, "SWEEP"))
