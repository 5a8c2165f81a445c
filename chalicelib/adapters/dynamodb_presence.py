"""Who has a ticket open, in the tickets table: one short-lived item per agent and ticket.

| item      | pk                 | sk             | attributes                          |
| --------- | ------------------ | -------------- | ----------------------------------- |
| presence  | PRESENCE#<ticket>  | AGENT#<agent>  | agent, writing, seen_at, expires_at |

`expires_at` is the table's TTL attribute (epoch seconds). DynamoDB deletes expired
items only eventually (typically within days), so reads leave out what has expired.

A presence that arrives, changes or leaves moves the ticket's change counter
(`CHANGES#TICKET#<ticket>`, dynamodb_changes.py), which a console with the ticket open reads
in the BatchGetItem of its change poll; the counter item lapses a day after its last move.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chalicelib.adapters.dynamodb_ticket_updates import changes_key
from chalicelib.services.ports.records import TICKET_SCOPE, Presence

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _key(ticket_id: str, agent: str) -> dict:
    return {"pk": {"S": f"PRESENCE#{ticket_id}"}, "sk": {"S": f"AGENT#{agent}"}}


class DynamoDBPresence:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    def touch(
        self, ticket_id: str, agent: str, writing: bool, seen_at: str, expires_at: int
    ) -> tuple[bool, int] | None:
        item = {
            **_key(ticket_id, agent),
            "agent": {"S": agent},
            "writing": {"BOOL": writing},
            "seen_at": {"S": seen_at},
            "expires_at": {"N": str(expires_at)},
        }
        old = self._db.put_item(TableName=self.table, Item=item, ReturnValues="ALL_OLD").get("Attributes")
        return (old["writing"]["BOOL"], int(old["expires_at"]["N"])) if old else None

    def leave(self, ticket_id: str, agent: str) -> bool:
        gone = self._db.delete_item(TableName=self.table, Key=_key(ticket_id, agent), ReturnValues="ALL_OLD")
        return bool(gone.get("Attributes"))

    def signal(self, ticket_id: str) -> int:
        moved = self._db.update_item(
            TableName=self.table,
            Key=changes_key(TICKET_SCOPE + ticket_id),
            UpdateExpression="ADD changes :one SET expires_at = :later",
            ExpressionAttributeValues={":one": {"N": "1"}, ":later": {"N": str(int(time.time()) + 86400)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(moved["Attributes"]["changes"]["N"])

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
