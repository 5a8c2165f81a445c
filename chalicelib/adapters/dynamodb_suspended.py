"""The suspended list in the tickets table: automatic mail kept for staff review.

| item           | pk                  | sk                      |
| -------------- | ------------------- | ----------------------- |
| suspended mail | SUSPENDED#<mailbox> | <received-at>#<ses-id>  |

An entry is written with its delivery record (dynamodb_deliveries), in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_requests import query_all
from chalicelib.services.ports.records import SuspendedMessage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _pk(mailbox: str) -> str:
    return f"SUSPENDED#{mailbox}"


def _key(mailbox: str, key: str) -> dict[str, Any]:
    return {"pk": {"S": _pk(mailbox)}, "sk": {"S": key}}


def suspended_item(suspended: SuspendedMessage) -> dict[str, Any]:
    return items.serialize(
        {
            "pk": _pk(suspended.mailbox),
            "sk": suspended.key,
            "type": "suspended",
            "ses_message_id": suspended.ses_message_id,
            "archive_key": suspended.archive_key,
            "sender": suspended.sender,
            "subject": suspended.subject,
            "reason": suspended.reason,
            "received_at": suspended.received_at,
            "recipients": list(suspended.recipients),
            "notes": items.notes_list(suspended.notes),
        }
    )


def _from_item(raw: dict[str, Any]) -> SuspendedMessage:
    item = items.deserialize(raw)
    return SuspendedMessage(
        mailbox=str(item["pk"]).removeprefix("SUSPENDED#"),
        ses_message_id=str(item["ses_message_id"]),
        received_at=str(item["received_at"]),
        archive_key=str(item["archive_key"]),
        sender=str(item.get("sender", "")),
        subject=str(item.get("subject", "")),
        reason=str(item.get("reason", "")),
        recipients=tuple(str(r) for r in item.get("recipients") or ()),
        # absent on mail suspended before reasons kept codes: `reason` alone
        notes=items.notes_from(item.get("notes", [])),
    )


class DynamoDBSuspended:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    def suspended(self, mailbox: str) -> list[SuspendedMessage]:
        """A mailbox's suspended mail, oldest first (one Query, page after page)."""
        found = query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": _pk(mailbox)}},
        )
        return [_from_item(raw) for raw in found]

    def get_suspended(self, mailbox: str, key: str) -> SuspendedMessage | None:
        raw = self._db.get_item(TableName=self.table, Key=_key(mailbox, key)).get("Item")
        return _from_item(raw) if raw else None

    def delete_suspended(self, mailbox: str, key: str) -> None:
        self._db.delete_item(TableName=self.table, Key=_key(mailbox, key))
