"""The staff guard in the tickets table: one change that could leave fewer admins at a time.

| item        | pk           | sk     | attributes          |
| ----------- | ------------ | ------ | ------------------- |
| staff guard | STAFFGUARD   | ADMINS | holder, expires_at  |

Cognito has no transactions or conditional writes, so "is someone else an admin?" and the
write that follows are made one at a time under this lease: a conditional put that succeeds
only when no unexpired lease is held. A holder that dies keeps it until `expires_at` (the
lease outlives any one request), and the next change goes ahead after that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_KEY = {"pk": {"S": "STAFFGUARD"}, "sk": {"S": "ADMINS"}}
_CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoDBAdminGuard:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def acquire(self, holder: str, now: int, lease: int) -> bool:
        """Hold the guard until `now + lease` (epoch seconds); False while another holds it."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item={**_KEY, "holder": {"S": holder}, "expires_at": {"N": str(now + lease)}},
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise
            return False
        return True

    def release(self, holder: str) -> None:
        """Let go, if `holder` still holds it (a lease that expired may be another's now)."""
        try:
            self._db.delete_item(
                TableName=self.table,
                Key=_KEY,
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
        except ClientError as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise
