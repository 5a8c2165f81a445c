"""Agent names by Cognito `sub`, in the tickets table: one item per agent, written once.

| item        | pk            | sk    | attributes          |
| ----------- | ------------- | ----- | ------------------- |
| agent name  | AGENT#<sub>   | NAME  | name, named_at      |

The put is conditional on the item not existing, so a name is never overwritten: two
first requests of a new agent racing both end with the name the first one wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _key(subject: str) -> dict:
    return {"pk": {"S": f"AGENT#{subject}"}, "sk": {"S": "NAME"}}


class DynamoDBAgents:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    def name_of(self, subject: str) -> str:
        """The recorded name of this `sub`, or ""."""
        item = self._db.get_item(TableName=self.table, Key=_key(subject), ConsistentRead=True).get("Item")
        return str(item["name"]["S"]) if item else ""

    def record(self, subject: str, name: str) -> str:
        """Record `name` for `sub` unless it has one; the name it has afterwards."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            self._db.put_item(
                TableName=self.table,
                Item={**_key(subject), "name": {"S": name}, "named_at": {"S": at}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return self.name_of(subject)
        return name
