"""The send ledger on the suppression table: every message we sent, under each Message-ID
it may travel with, with its recipients (so a bounce or complaint that comes back as mail
can be checked against it).

| item             | pk               | sk  | expires |
| ---------------- | ---------------- | --- | ------- |
| message we sent  | OUT#<message-id> | OUT | 30 days |

Recording a message also adds its recipients to the day's `sent` counter
(dynamodb_reputation_counters), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamodb_items import deserialize
from chalicelib.adapters.dynamodb_reputation_counters import counter_update
from chalicelib.adapters.dynamodb_requests import batch_get, item_key, transact_write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SENT_SECONDS = 30 * 86_400
MAX_ID_BYTES = 1_000  # a Message-ID longer than this is none of ours (keys hold 2,048 bytes)
LOOKED_UP = 100  # Message-IDs a report may name that are looked up (one BatchGetItem)


def _ours(message_id: str) -> bool:
    return bool(message_id) and len(message_id.encode()) <= MAX_ID_BYTES


def _key(message_id: str) -> dict[str, Any]:
    return item_key(f"OUT#{message_id}", "OUT")


class DynamoDBSendLedger:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def record_sent(self, addresses: Iterable[str], message_ids: Iterable[str], at: str, now: int) -> None:
        """Note a sent message under each of its Message-IDs with its recipients and count the
        recipients for the day."""
        recipients = list(dict.fromkeys(addresses))
        # An Update, not a Put: the functions that send hold UpdateItem on this table already.
        sent = {
            "UpdateExpression": "SET #t = :t, #at = :at, recipients = :r, expires_at = :ttl",
            "ExpressionAttributeNames": {"#t": "type", "#at": "at"},
            "ExpressionAttributeValues": {
                ":t": {"S": "sent"},
                ":at": {"S": at},
                ":r": {"L": [{"S": a} for a in recipients]},
                ":ttl": {"N": str(now + SENT_SECONDS)},
            },
        }
        operations: list[dict[str, Any]] = [
            {"Update": {"TableName": self.table, "Key": _key(message_id), **sent}}
            for message_id in dict.fromkeys(message_ids)
            if _ours(message_id)
        ]
        operations.append(counter_update(self.table, at[:10], {"sent": len(recipients)}, now))
        transact_write(self._db, operations)

    def sent_messages(self, message_ids: Sequence[str], now: int) -> dict[str, frozenset[str]]:
        """Which of `message_ids` we sent within SENT_SECONDS, each with its recipients."""
        wanted = [m for m in dict.fromkeys(message_ids) if _ours(m)][:LOOKED_UP]
        found: dict[str, frozenset[str]] = {}
        for raw in batch_get(self._db, self.table, [_key(m) for m in wanted], consistent=True):
            item = deserialize(raw)
            if int(item.get("expires_at", 0)) > now:
                found[str(item["pk"])[len("OUT#") :]] = frozenset(str(a) for a in item["recipients"])
        return found
