"""Who has a ticket open, in the tickets table: one short-lived item per agent and ticket.

| item      | pk                 | sk             | attributes                          |
| --------- | ------------------ | -------------- | ----------------------------------- |
| presence  | PRESENCE#<ticket>  | AGENT#<agent>  | agent, writing, seen_at, expires_at |

`expires_at` is the table's TTL attribute (epoch seconds). DynamoDB deletes expired
items only eventually (typically within days), so reads leave out what has expired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.services.ports.records import Presence

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _key(ticket_id: str, agent: str) -> dict:
    return {"pk": {"S": f"PRESENCE#{ticket_id}"}, "sk": {"S": f"AGENT#{agent}"}}


class DynamoDBPresence:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    def touch(self, ticket_id: str, agent: str, writing: bool, seen_at: str, expires_at: int) -> None:
        item = {
            **_key(ticket_id, agent),
            "agent": {"S": agent},
            "writing": {"BOOL": writing},
            "seen_at": {"S": seen_at},
            "expires_at": {"N": str(expires_at)},
        }
        self._db.put_item(TableName=self.table, Item=item)

    def leave(self, ticket_id: str, agent: str) -> None:
        self._db.delete_item(TableName=self.table, Key=_key(ticket_id, agent))

    def present(self, ticket_id: str, now: int) -> list[Presence]:
        """Everyone whose presence on this ticket has not expired (one Query)."""
        found = self._db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :agent)",
            ExpressionAttributeValues={":pk": {"S": f"PRESENCE#{ticket_id}"}, ":agent": {"S": "AGENT#"}},
            ConsistentRead=True,
        )
        return [
            Presence(item["agent"]["S"], item["writing"]["BOOL"], item["seen_at"]["S"])
            for item in found.get("Items", [])
            if int(item["expires_at"]["N"]) > now
        ]
