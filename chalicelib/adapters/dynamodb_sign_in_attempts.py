"""Sign-in attempt counters in the tickets table: one atomic ADD per counter and attempt.

| item            | pk                         | sk             | expires        |
| --------------- | -------------------------- | -------------- | -------------- |
| attempt counter | SIGNIN#<client or address> | <window start> | end of window  |

UpdateItem's ADD creates the item at 1 or adds to it in one step, so concurrent attempts
are each counted; TTL removes old windows (DynamoDB may do so days late: the window is
in the key, so a late deletion never makes a new window look full).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.domain.sign_in_throttle import Counter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EXPIRY_MARGIN = 60  # seconds kept after the window, so a clock skew never reopens it


class DynamoDBSignInAttempts:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    def add(self, counter: Counter) -> int:
        """Count one attempt; the window's count including it."""
        answer = self._db.update_item(
            TableName=self.table,
            Key=self._key(counter),
            UpdateExpression="ADD attempts :one SET expires_at = :expires",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":expires": {"N": str(counter.window_end + EXPIRY_MARGIN)},
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["attempts"]["N"])

    def take_back(self, counter: Counter) -> None:
        """One attempt fewer, as one conditional ADD: concurrent attempts keep their counts,
        and a window that expired or was never counted is left alone (the condition fails)."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=self._key(counter),
                UpdateExpression="ADD attempts :less",
                ConditionExpression="attempts > :none",
                ExpressionAttributeValues={":less": {"N": "-1"}, ":none": {"N": "0"}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    @staticmethod
    def _key(counter: Counter) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"SIGNIN#{counter.key}"}, "sk": {"S": str(counter.window_start)}}
