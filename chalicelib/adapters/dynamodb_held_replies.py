"""Held replies (undo-send) in the tickets table: one item per reply in its undo window.

| item       | pk            | sk     | attributes                                             |
| ---------- | ------------- | ------ | ------------------------------------------------------ |
| held reply | HELD#<ticket> | <hold> | state, agent, text, html, display_name, uploads, last_seen, held_at, send_at, reason, reason_code, reason_values, message_key, expires_at |

Every change of state is an UpdateItem conditioned on the state it leaves: the sender's
claim (`waiting` -> `sending`) and the agent's undo (`waiting` -> `cancelled`) cannot both
succeed. `expires_at` is the table's TTL attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamodb_requests import item_key, unless_refused
from chalicelib.domain.held_replies import HeldReply, HeldState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _key(ticket_id: str, hold_id: str) -> dict[str, Any]:
    return item_key(f"HELD#{ticket_id}", hold_id)


class DynamoDBHeldReplies:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def hold(self, reply: HeldReply, expires_at: int) -> None:
        item: dict[str, Any] = {
            **_key(reply.ticket_id, reply.hold_id),
            "state": {"S": str(reply.state)},
            "agent": {"S": reply.agent},
            "text": {"S": reply.text},
            "html": {"S": reply.html},
            "display_name": {"S": reply.display_name},
            "last_seen": {"S": reply.last_seen},
            "held_at": {"S": reply.held_at},
            "send_at": {"S": reply.send_at},
            "expires_at": {"N": str(expires_at)},
        }
        if reply.uploads:
            item["uploads"] = {"L": [{"S": key} for key in reply.uploads]}
        self._db.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, ticket_id: str, hold_id: str) -> HeldReply | None:
        found = self._db.get_item(TableName=self.table, Key=_key(ticket_id, hold_id), ConsistentRead=True)
        item = found.get("Item")
        return _reply(ticket_id, item) if item else None

    def of_ticket(self, ticket_id: str) -> list[HeldReply]:
        """Every held reply of the ticket still kept (a day: the TTL), in any state."""
        replies: list[HeldReply] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"HELD#{ticket_id}"}},
            "ConsistentRead": True,
        }
        while True:
            page = self._db.query(**request)
            replies += [_reply(ticket_id, item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return replies
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def move(
        self,
        ticket_id: str,
        hold_id: str,
        before: HeldState,
        after: HeldState,
        reason: str = "",
        message_key: str = "",
        reason_code: str = "",
        reason_values: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        return unless_refused(
            self._db.update_item,
            TableName=self.table,
            Key=_key(ticket_id, hold_id),
            UpdateExpression="SET #s = :after, #r = :reason, #m = :message, reason_code = :code, reason_values = :values",
            ConditionExpression="#s = :before",
            ExpressionAttributeNames={"#s": "state", "#r": "reason", "#m": "message_key"},  # reserved words
            ExpressionAttributeValues={
                ":after": {"S": str(after)},
                ":before": {"S": str(before)},
                ":reason": {"S": reason},
                ":message": {"S": message_key},
                ":code": {"S": reason_code},
                ":values": {"M": {name: {"S": value} for name, value in reason_values}},
            },
        )


def _reply(ticket_id: str, item: dict[str, Any]) -> HeldReply:
    def s(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return HeldReply(
        ticket_id=ticket_id,
        hold_id=s("sk"),
        agent=s("agent"),
        text=s("text"),
        html=s("html"),
        display_name=s("display_name"),
        uploads=tuple(str(v["S"]) for v in item.get("uploads", {}).get("L", [])),
        last_seen=s("last_seen"),
        held_at=s("held_at"),
        send_at=s("send_at"),
        state=HeldState(s("state")),
        reason=s("reason"),
        message_key=s("message_key"),
        # absent on items written before refusals kept their code: the text alone
        reason_code=s("reason_code"),
        reason_values=tuple(
            sorted(
                (name, str(v.get("S", ""))) for name, v in item.get("reason_values", {}).get("M", {}).items()
            )
        ),
    )
