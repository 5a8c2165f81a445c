"""Each agent's choice to be mailed when a customer replies on their ticket (off unless
they turned it on), one small item per agent in the tickets table:

| item   | pk              | sk     | attributes          |
| ------ | --------------- | ------ | ------------------- |
| alerts | ALERTS#<agent>  | ALERTS | customer_reply_mail |

Read once per customer reply on an assigned ticket (one GetItem); written by the agent alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _key(agent: str) -> dict[str, Any]:
    # DynamoDB keys stop at 2048 bytes; an agent name is an email address (at most 254).
    return {"pk": {"S": f"ALERTS#{agent[:1000]}"}, "sk": {"S": "ALERTS"}}


class DynamoDBAlertPreferences:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def wants_reply_mail(self, agent: str) -> bool:
        item = self._db.get_item(TableName=self.table, Key=_key(agent)).get("Item") or {}
        return bool(item.get("customer_reply_mail", {}).get("BOOL", False))

    def set_reply_mail(self, agent: str, on: bool) -> None:
        self._db.put_item(TableName=self.table, Item={**_key(agent), "customer_reply_mail": {"BOOL": on}})
