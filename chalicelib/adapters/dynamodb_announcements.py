"""Announcements and their recipients on the tickets table; opt-outs beside them.

| item                     | pk                     | sk                     |
| ------------------------ | ---------------------- | ---------------------- |
| announcement             | ANNOUNCEMENT#<id>      | ANNOUNCEMENT           |
| one recipient            | ANNOUNCEMENT#<id>      | R#<address>            |
| the list of them         | ANNOUNCEMENTS          | <created_at>#<id>      |
| an announcement opt-out  | OPTOUT#<address>       | announcements          |

Every read is a GetItem, a BatchGetItem or a Query on one partition: no Scan. A
recipient's state moves only by conditional writes (`claim`, `settle`), so two
invocations holding the same batch (an SQS redelivery) cannot both claim one recipient.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.dynamodb_items import deserialize, serialize
from chalicelib.adapters.dynamodb_requests import (
    batch_get,
    condition_failed,
    item_key,
    query_all,
    unless_refused,
)
from chalicelib.domain.announcements import (
    LIST_NAME,
    MARKS_KEPT,
    Announcement,
    AnnouncementState,
    Recipient,
    RecipientState,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_WRITE = 25  # BatchWriteItem's limit
_RECIPIENT_FIELDS = ("name", "ticket", "state", "reason", "ses_message_id", "updated_at")


def _pk(announcement_id: str) -> str:
    return f"ANNOUNCEMENT#{announcement_id}"


def _recipient(raw: dict[str, Any]) -> Recipient:
    item = deserialize(raw)
    fields = {name: str(item.get(name, "")) for name in _RECIPIENT_FIELDS if name != "state"}
    return Recipient(
        address=str(item["sk"])[2:],
        state=RecipientState(item["state"]),
        opens=len(item.get("opens") or ()),
        clicks=len(item.get("clicks") or ()),
        **fields,
    )


class DynamoDBAnnouncements:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self.table = table

    # -- announcements ---------------------------------------------------------
    def create(self, announcement: Announcement, recipients: Iterable[Recipient]) -> None:
        """The announcement (never over another of its id), its recipients, its list entry."""
        item = {
            "pk": _pk(announcement.id),
            "sk": "ANNOUNCEMENT",
            "type": "announcement",
            **{k: v for k, v in announcement.as_dict().items() if k not in ("id", "counts")},
            "text": announcement.text,
            "html": announcement.html,
        }
        self._db.put_item(
            TableName=self.table, Item=serialize(item), ConditionExpression="attribute_not_exists(pk)"
        )
        self._write_all(
            {
                "pk": _pk(announcement.id),
                "sk": f"R#{r.address}",
                "type": "announcement_recipient",
                **{name: getattr(r, name) for name in _RECIPIENT_FIELDS},
            }
            for r in recipients
        )
        listed = {
            "pk": "ANNOUNCEMENTS",
            "sk": f"{announcement.created_at}#{announcement.id}",
            "id": announcement.id,
            "subject": announcement.subject,
        }
        self._db.put_item(TableName=self.table, Item=serialize(listed))

    def _write_all(self, items: Iterable[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append({"PutRequest": {"Item": serialize(item)}})
            if len(batch) == BATCH_WRITE:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)

    def _write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.table: requests}
        while pending:
            # The SDK's standard retry mode backs off throttling; unprocessed items are sent again.
            pending = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def get(self, announcement_id: str) -> Announcement | None:
        raw = self._db.get_item(
            TableName=self.table, Key=item_key(_pk(announcement_id), "ANNOUNCEMENT"), ConsistentRead=True
        ).get("Item")
        if raw is None:
            return None
        item = deserialize(raw)
        return Announcement(
            id=announcement_id,
            mailbox=str(item.get("mailbox", "")),
            subject=str(item.get("subject", "")),
            text=str(item.get("text", "")),
            html=str(item.get("html", "")),
            audience=str(item.get("audience", "")),
            created_at=str(item.get("created_at", "")),
            created_by=str(item.get("created_by", "")),
            state=AnnouncementState(item.get("state", AnnouncementState.DRAFT)),
            started_by=str(item.get("started_by", "")),
            stopped_reason=str(item.get("stopped_reason", "")),
            total=int(item.get("total", 0)),
        )

    def set_state(
        self, announcement_id: str, state: AnnouncementState, started_by: str | None = None
    ) -> None:
        sets = ["#s = :s"]
        values: dict[str, dict[str, str]] = {":s": {"S": str(state)}}
        if started_by is not None:
            sets.append("started_by = :by")
            values[":by"] = {"S": started_by}
        self._db.update_item(
            TableName=self.table,
            Key=item_key(_pk(announcement_id), "ANNOUNCEMENT"),
            UpdateExpression=f"SET {', '.join(sets)} REMOVE stopped_reason",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues=values,
        )

    def stop(self, announcement_id: str, started_by: str, reason: str) -> bool:
        try:
            self._db.update_item(
                TableName=self.table,
                Key=item_key(_pk(announcement_id), "ANNOUNCEMENT"),
                UpdateExpression="SET #s = :s, stopped_reason = :why",
                ConditionExpression="started_by = :by",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":s": {"S": str(AnnouncementState.STOPPED)},
                    ":why": {"S": reason},
                    ":by": {"S": started_by},
                },
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def listed(self, limit: int = 50) -> list[str]:
        """The newest `limit` announcement ids (one Query)."""
        response = self._db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "ANNOUNCEMENTS"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [str(i["id"]["S"]) for i in response.get("Items", [])]

    # -- recipients ---------------------------------------------------------------
    def recipients(self, announcement_id: str) -> Iterator[Recipient]:
        """Every recipient, in address order, page by page (a Query on one partition)."""
        found = query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
            ExpressionAttributeValues={":pk": {"S": _pk(announcement_id)}, ":r": {"S": "R#"}},
        )
        return (_recipient(raw) for raw in found)

    def recipient(self, announcement_id: str, address: str) -> Recipient | None:
        raw = self._db.get_item(
            TableName=self.table, Key=item_key(_pk(announcement_id), f"R#{address}"), ConsistentRead=True
        ).get("Item")
        return _recipient(raw) if raw else None

    def claim(self, announcement_id: str, address: str, at: str) -> Recipient | None:
        """pending -> sending; the recipient as claimed, or None when it was not pending
        (another invocation has it, or it was settled before: a redelivered batch)."""
        return self._move(announcement_id, address, RecipientState.SENDING, (RecipientState.PENDING,), at)

    def settle(
        self,
        announcement_id: str,
        address: str,
        state: RecipientState,
        from_states: tuple[RecipientState, ...],
        at: str,
        reason: str = "",
        ses_message_id: str = "",
    ) -> Recipient | None:
        """Move a recipient to `state` only from one of `from_states`; None when it was elsewhere."""
        return self._move(announcement_id, address, state, from_states, at, reason, ses_message_id)

    def _move(
        self,
        announcement_id: str,
        address: str,
        state: RecipientState,
        from_states: tuple[RecipientState, ...],
        at: str,
        reason: str = "",
        ses_message_id: str = "",
    ) -> Recipient | None:
        wanted = {f":f{i}": {"S": s} for i, s in enumerate(from_states)}
        sets = ["#s = :s", "updated_at = :at"]
        values: dict[str, Any] = {":s": {"S": state}, ":at": {"S": at}, **wanted}
        if reason:
            sets.append("reason = :reason")
            values[":reason"] = {"S": reason[:1000]}
        if ses_message_id:
            sets.append("ses_message_id = :id")
            values[":id"] = {"S": ses_message_id}
        try:
            response = self._db.update_item(
                TableName=self.table,
                Key=item_key(_pk(announcement_id), f"R#{address}"),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"attribute_exists(pk) AND #s IN ({', '.join(wanted)})",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return _recipient(response["Attributes"])

    def engage(self, announcement_id: str, address: str, clicked: bool, mark: str) -> bool:
        """Add one open (or click) mark to the recipient's set: ADD of a mark already there
        changes nothing, so SNS delivering an event twice counts it once. False when the
        recipient is unknown or holds MARKS_KEPT marks already."""
        name = "clicks" if clicked else "opens"
        return unless_refused(
            self._db.update_item,
            TableName=self.table,
            Key=item_key(_pk(announcement_id), f"R#{address}"),
            UpdateExpression="ADD #m :m",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(#m) OR size(#m) < :kept)",
            ExpressionAttributeNames={"#m": name},
            ExpressionAttributeValues={":m": {"SS": [mark]}, ":kept": {"N": str(MARKS_KEPT)}},
        )

    # -- opt-outs ------------------------------------------------------------------
    def opt_out(self, address: str, at: str, source: str) -> bool:
        """Record the opt-out; False when it was recorded before (the first one is kept)."""
        item = {"pk": f"OPTOUT#{address}", "sk": LIST_NAME, "at": at, "source": source}
        return unless_refused(
            self._db.put_item,
            TableName=self.table,
            Item=serialize(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def opted_out(self, addresses: Iterable[str]) -> set[str]:
        """Which of `addresses` opted out of announcements (BatchGetItem, 100 a request)."""
        keys = [item_key(f"OPTOUT#{a}", LIST_NAME) for a in dict.fromkeys(addresses)]
        return {str(raw["pk"]["S"]).removeprefix("OPTOUT#") for raw in batch_get(self._db, self.table, keys)}
