"""Each ticket's one acknowledgement, claimed before it is sent, on the suppression table.

| item            | pk           | sk  | expires |
| --------------- | ------------ | --- | ------- |
| acknowledgement | ACK#<ticket> | ACK | 30 days |

The claim is a conditional put (state `claimed`), so two deliveries of one new ticket
cannot both send; the sender then finishes it (`sent`, `refused`) or releases it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamodb_items import deserialize
from chalicelib.adapters.dynamodb_requests import item_key, unless_refused
from chalicelib.domain.send_policy import AckState
from chalicelib.services.ports.outbound import AckClaim

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ACK_SECONDS = 30 * 86_400


def _key(ticket_id: str) -> dict[str, Any]:
    return item_key(f"ACK#{ticket_id}", "ACK")


class DynamoDBAcknowledgements:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def claim_ack(self, ticket_id: str, at: str, now: int) -> AckClaim | None:
        """Claim the one acknowledgement of a ticket: None when claimed now, else the earlier claim."""
        item = {
            **_key(ticket_id),
            "state": {"S": AckState.CLAIMED},
            "at": {"S": at},
            "expires_at": {"N": str(now + ACK_SECONDS)},
        }
        if unless_refused(
            self._db.put_item, TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
        ):
            return None
        raw = self._db.get_item(TableName=self.table, Key=_key(ticket_id), ConsistentRead=True).get(
            "Item", {}
        )
        earlier = deserialize(raw)  # {} when released between the two requests
        state = AckState(earlier["state"]) if "state" in earlier else None
        return AckClaim(state, str(earlier.get("reason", "")))

    def finish_ack(self, ticket_id: str, state: AckState, reason: str = "", message_key: str = "") -> None:
        self._db.update_item(
            TableName=self.table,
            Key=_key(ticket_id),
            UpdateExpression="SET #s = :s, reason = :r, message_key = :k",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": {"S": state}, ":r": {"S": reason}, ":k": {"S": message_key}},
        )

    def release_ack(self, ticket_id: str) -> None:
        self._db.delete_item(TableName=self.table, Key=_key(ticket_id))
