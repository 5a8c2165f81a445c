"""Who is answering which message, in the tickets table: one item per (ticket, message seen).

| item        | pk             | sk              | attributes                  |
| ----------- | -------------- | --------------- | --------------------------- |
| reply claim | REPLY#<ticket> | AFTER#<message> | agent, claimed_at, expires_at |

Two agents who read the same thread and press Send at the same moment both pass the
stale check (neither reply is stored yet). The claim is a conditional put: the first
agent to claim "the reply after message M" gets it, the other is refused before anything
is mailed. `expires_at` is the table's TTL attribute (epoch seconds); a claim only has to
outlive the send, and the stored reply then moves `last_seen` on for everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamodb_requests import item_key, unless_refused

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CLAIM_SECONDS = 86_400


def _key(ticket_id: str, last_seen: str) -> dict[str, Any]:
    # DynamoDB sort keys stop at 1024 bytes; message keys are short (SES ids, out-<hex>).
    return item_key(f"REPLY#{ticket_id}", f"AFTER#{last_seen[:900]}")


class DynamoDBReplyClaims:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def claim(self, ticket_id: str, last_seen: str, agent: str, now: int) -> str:
        """Claim the reply after `last_seen` for `agent`; the agent who holds it afterwards
        (`agent` itself, or the colleague who claimed it first)."""
        item = {
            **_key(ticket_id, last_seen),
            "agent": {"S": agent},
            "expires_at": {"N": str(now + CLAIM_SECONDS)},
        }
        if unless_refused(
            self._db.put_item,
            TableName=self.table,
            Item=item,
            # The same agent may send twice after one message (a follow-up): only a
            # colleague's claim holds a reply back, as in domain/collisions.py.
            ConditionExpression="attribute_not_exists(pk) OR #a = :me",
            ExpressionAttributeNames={"#a": "agent"},  # a reserved word
            ExpressionAttributeValues={":me": {"S": agent}},
        ):
            return agent
        found = self._db.get_item(
            TableName=self.table, Key=_key(ticket_id, last_seen), ConsistentRead=True
        ).get("Item")
        return str(found["agent"]["S"]) if found else agent

    def release(self, ticket_id: str, last_seen: str, agent: str) -> None:
        """Give the claim back (the send failed), if it is still this agent's."""
        unless_refused(
            self._db.delete_item,
            TableName=self.table,
            Key=_key(ticket_id, last_seen),
            ConditionExpression="#a = :me",
            ExpressionAttributeNames={"#a": "agent"},
            ExpressionAttributeValues={":me": {"S": agent}},
        )
