"""The suppression list and its audit trail, on the suppression table.

The suppression table holds these and, each with its own adapter, what feeds and limits
sending. Every read is a GetItem, BatchGetItem or Query on a known key; nothing Scans. TTL
(`expires_at`, epoch seconds) removes what only matters for a while; DynamoDB may delete an
expired item up to a few days late, so reads compare `expires_at` too.

| item                  | pk                   | sk                    | expires            | adapter                 |
| --------------------- | -------------------- | --------------------- | ------------------ | ----------------------- |
| suppression entry     | SUPPRESSION          | <address>             | soft entries only  | this one                |
| audit (remove/import) | AUDIT                | <at>#<address>#<what> | never              | this one                |
| applied event         | EVENT#<event key>    | APPLIED               | 15 days (> SQS 14) | dynamodb_feedback_ledger |
| soft bounces          | SOFT#<address>       | STATE                 | after the window   | dynamodb_feedback_ledger |
| reputation counters   | REPUTATION           | <day>#<shard>         | 40 days            | dynamodb_reputation_counters |
| message we sent       | OUT#<message-id>     | OUT                   | 30 days            | dynamodb_send_ledger    |
| automatic replies     | AUTO#<address>       | <day>                 | 2 days             | dynamodb_auto_replies   |
| ... to a domain       | AUTODOMAIN#<domain>  | <day>                 | 2 days             | dynamodb_auto_replies   |
| acknowledgement       | ACK#<ticket>         | ACK                   | 30 days            | dynamodb_acknowledgements |

One partition holds the whole list: `entries` is one paginated Query, `get` one GetItem.
A support desk's list stays far below a partition's limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamodb_items import deserialize, serialize
from chalicelib.adapters.dynamodb_requests import item_key, query_all, unless_refused
from chalicelib.domain.suppression import ListAction, SuppressionEntry
from chalicelib.services.ports.outbound import ListChange

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LIST_PK = "SUPPRESSION"
AUDIT_PK = "AUDIT"
OVER_EXPIRING = "attribute_not_exists(pk) OR attribute_exists(expires_at)"  # never over a permanent entry
_ENTRY_FIELDS = ("reason", "at", "source", "subtype", "diagnostic", "feedback_id", "note")
_CHANGE_FIELDS = ("action", "at", "by", "why", "address")


def entry_key(address: str) -> dict[str, Any]:
    return item_key(LIST_PK, address)


def entry_item(entry: SuppressionEntry) -> dict[str, Any]:
    fields = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    item = serialize({"pk": LIST_PK, "sk": entry.address, "type": "suppression", **fields})
    if entry.expires_at:
        item["expires_at"] = {"N": str(entry.expires_at)}
    return item


def entry_from_item(raw: dict[str, Any]) -> SuppressionEntry:
    item = deserialize(raw)
    return SuppressionEntry(
        address=str(item["sk"]),
        expires_at=int(item.get("expires_at", 0)),
        **{name: str(item.get(name, "")) for name in _ENTRY_FIELDS},
    )


class DynamoDBSuppressionList:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def get(self, address: str, now: int) -> SuppressionEntry | None:
        raw = self._db.get_item(TableName=self.table, Key=entry_key(address)).get("Item")
        entry = entry_from_item(raw) if raw else None
        return entry if entry and not (entry.expires_at and entry.expires_at <= now) else None

    def entries(self, now: int) -> list[SuppressionEntry]:
        found = query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": LIST_PK}},
        )
        entries = (entry_from_item(raw) for raw in found)
        return [e for e in entries if not (e.expires_at and e.expires_at <= now)]

    def put(self, entry: SuppressionEntry, only_over: str = "") -> bool:
        """Write an entry; False when held back. only_over="expiring": never over a permanent
        entry; only_over="absent": only when the address has no entry at all."""
        conditions = {
            "expiring": {"ConditionExpression": OVER_EXPIRING},
            "absent": {"ConditionExpression": "attribute_not_exists(pk)"},
        }
        return unless_refused(
            self._db.put_item, TableName=self.table, Item=entry_item(entry), **conditions.get(only_over, {})
        )

    def remove(self, address: str, change: ListChange) -> None:
        """Delete the entry and write the audit item, together."""
        self._db.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": entry_key(address)}},
                {"Put": {"TableName": self.table, "Item": _audit_item(change)}},
            ]
        )

    def audit(self, change: ListChange) -> None:
        self._db.put_item(TableName=self.table, Item=_audit_item(change))

    def audit_log(self, limit: int = 100) -> list[ListChange]:
        response = self._db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": AUDIT_PK}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_change_from_item(raw) for raw in response.get("Items", [])]


def _audit_item(change: ListChange) -> dict[str, Any]:
    sk = f"{change.at}#{change.address}#{change.action}"
    fields = {name: getattr(change, name) for name in _CHANGE_FIELDS}
    return serialize({"pk": AUDIT_PK, "sk": sk, "type": "audit", **change.details, **fields})


def _change_from_item(raw: dict[str, Any]) -> ListChange:
    item = deserialize(raw)
    details = {k: v for k, v in item.items() if k not in ("pk", "sk", "type", *_CHANGE_FIELDS)}
    fields = {name: str(item.get(name, "")) for name in _CHANGE_FIELDS if name != "action"}
    return ListChange(action=ListAction(item["action"]), **fields, details=details)
