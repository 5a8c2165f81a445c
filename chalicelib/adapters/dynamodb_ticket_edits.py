"""Staff edits that move messages: notes, split and merge, each step one transaction.
The mailbox's change counter (dynamodb_changes.py) is bumped in the transaction of a
note, a split, a merge's last step and a participant change, so a colleague's open
console re-reads its queue within seconds. A split adds its new ticket, and a merge's last
step takes the closed one away, in the report's count of unsolved tickets.

Message items keep their sort key (`MSG#<received-at>#<key>`) when they move, so a
moved message keeps its place in time; its Message-ID index entry follows it, so
later replies that reference it thread to its new ticket. The entry is read first and
updated in place, so it keeps the fingerprint of the mail that stored it (a moved mail
sent again is still a duplicate, another mail with its Message-ID still is not:
domain/message_claims.py); an entry that is another mail's (one filed apart because its
Message-ID was taken) stays where it is, and a message whose id was never indexed (a
mailed report's) is not indexed by the move. Attachments and large bodies stay where
they are in S3: the message item carries their keys.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_requests import (
    CONDITION_FAILED,
    EDIT_CONFLICT_RETRIES,
    batch_get,
    cancellation_reasons,
    transact_write,
)
from chalicelib.adapters.dynamodb_search import term_puts, write_terms
from chalicelib.adapters.dynamodb_ticket_updates import changes_bump, report_adds
from chalicelib.domain import report_counts
from chalicelib.domain.audit import counted
from chalicelib.domain.tickets import TicketStatus
from chalicelib.errors import ConcurrentUpdate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.domain.tickets import StoredMessage, Ticket
    from chalicelib.services.ports.records import ParticipantChange

# TransactWriteItems takes 100 actions: 3 per message plus the two ticket updates.
MERGE_CHUNK = 30
_NOT_MERGED = "attribute_exists(pk) AND attribute_not_exists(merged_into)"


class DynamoDBTicketEdits:
    merge_chunk = MERGE_CHUNK

    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    def add_message(self, ticket: Ticket, message: StoredMessage, updated_at: str) -> None:
        """A message staff wrote (a note) joins the ticket; its counters follow."""
        self._transact(
            [
                self._counts(ticket.id, updated_at, messages=1, attachments=len(message.attachments)),
                self._put(items.message_item(message), "attribute_not_exists(pk)"),
                changes_bump(self.table, ticket.mailbox, ticket.id),
            ],
            ticket.id,
        )

    def split(
        self,
        source: Ticket,
        message: StoredMessage,
        new: Ticket,
        updated_at: str,
        terms: tuple[str, ...] = (),
        events: tuple[StoredMessage, ...] = (),
    ) -> None:
        """Move one message of `source` to the new ticket `new` (found by its search
        `terms`), all or nothing, with the audit `events`; `source` links to `new` unless
        it links somewhere already."""
        moved = replace(message, ticket_id=new.id)
        update = self._counts(source.id, updated_at, messages=-1, attachments=-len(message.attachments))
        change = update["Update"]
        change["ConditionExpression"] += " AND message_count > :one"
        change["UpdateExpression"] = change["UpdateExpression"].replace(
            "SET updated_at = :u",
            "SET updated_at = :u, related_ticket = if_not_exists(related_ticket, :rt),"
            " related_reason = if_not_exists(related_reason, :rr)",
        )
        change["ExpressionAttributeValues"].update(
            {":one": {"N": "1"}, ":rt": {"S": new.id}, ":rr": {"S": f"a message was split into {new.id}"}}
        )
        operations = [
            self._put(items.ticket_item(new), "attribute_not_exists(pk)"),
            update,
            *self._move(message, moved, self._entries(source.mailbox, [message])),
            *term_puts(self.table, new.id, new.created_at, terms),
            *(self._put(items.message_item(e)) for e in events),
            changes_bump(self.table, source.mailbox, source.id),
            *report_adds(self.table, report_counts.opened(new)),
        ]
        self._transact(operations, source.id)

    def merge_messages(
        self,
        source: Ticket,
        target: Ticket,
        messages: list[StoredMessage],
        updated_at: str,
        terms: tuple[str, ...] = (),
    ) -> None:
        """Move some messages of `source` to `target` (call in chunks of MERGE_CHUNK),
        `target` indexed by their `terms` first: a chunk's terms (up to 50 a message) do
        not fit its transaction, and written before it they are there if it stops."""
        write_terms(self._db, self.table, target.id, target.created_at, terms)
        count, attachments = len(counted(messages)), sum(len(m.attachments) for m in messages)
        # The source may already be closed as merged: a message that threaded into it
        # while it was being merged is swept over afterwards.
        operations = [
            self._counts(source.id, updated_at, -count, -attachments, condition="attribute_exists(pk)"),
            self._counts(target.id, updated_at, messages=count, attachments=attachments),
        ]
        entries = self._entries(source.mailbox, messages)
        for message in messages:
            operations += self._move(message, replace(message, ticket_id=target.id), entries)
        self._transact(operations, source.id)

    def close_merged(
        self, source: Ticket, target: Ticket, updated_at: str, events: tuple[StoredMessage, ...] = ()
    ) -> None:
        """The last merge step: the source closes with its pointer; its people join the
        target; the audit `events` are written with it."""
        closed = replace(source, status=TicketStatus.CLOSED, updated_at=updated_at)
        keys = items.queue_keys(
            closed.mailbox, closed.status, closed.assignee, closed.priority, closed.created_at, closed.id
        )
        values: dict[str, Any] = {
            ":s": {"S": TicketStatus.CLOSED},
            ":m": {"S": target.id},
            ":u": {"S": updated_at},
        }
        sets = ["#s = :s", "merged_into = :m", "updated_at = :u"]
        names = {"#s": "status"}
        for index, (name, value) in enumerate(sorted(keys.items())):
            values[f":k{index}"] = {"S": value}
            sets.append(f"{name} = :k{index}")
        people = sorted({source.requester, *source.participants} - {""})
        target_update: dict[str, Any] = {
            "TableName": self.table,
            "Key": items.ticket_key(target.id),
            "UpdateExpression": "SET updated_at = :u",
            "ConditionExpression": _NOT_MERGED,
            "ExpressionAttributeValues": {":u": {"S": updated_at}},
        }
        if people:
            target_update["UpdateExpression"] += " ADD participants :p"
            target_update["ExpressionAttributeValues"][":p"] = {"SS": people}
        operations = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": items.ticket_key(source.id),
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": _NOT_MERGED,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            },
            {"Update": target_update},
            *(self._put(items.message_item(e)) for e in events),
            *(
                changes_bump(self.table, box, target.id)
                for box in dict.fromkeys((target.mailbox, source.mailbox))
            ),
            *report_adds(self.table, report_counts.merged_away(source, updated_at)),
        ]
        self._transact(operations, source.id)

    def change_participants(
        self,
        ticket: Ticket,
        action: ParticipantChange,
        address: str,
        updated_at: str,
        room: int,
        events: tuple[StoredMessage, ...] = (),
    ) -> None:
        """Add or remove one participant, with the audit `events`; an addition only while the set
        (requester included) is within `room`. ConcurrentUpdate when the ticket was merged
        away or filled up meanwhile."""
        values: dict[str, Any] = {":a": {"SS": [address]}, ":u": {"S": updated_at}}
        condition = _NOT_MERGED
        verb = "ADD" if action == "add" else "DELETE"
        if action == "add":
            values[":room"] = {"N": str(room)}
            condition += " AND size(participants) <= :room"
        update = {
            "TableName": self.table,
            "Key": items.ticket_key(ticket.id),
            "UpdateExpression": f"SET updated_at = :u {verb} participants :a",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        try:
            self._transact(
                [
                    {"Update": update},
                    *(self._put(items.message_item(e)) for e in events),
                    changes_bump(self.table, ticket.mailbox, ticket.id),
                ],
                ticket.id,
            )
        except ConcurrentUpdate as exc:
            raise ConcurrentUpdate(f"{ticket.id} changed while editing its participants") from exc

    # -- building blocks ---------------------------------------------------
    def _put(self, item: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def _counts(
        self, ticket_id: str, updated_at: str, messages: int, attachments: int, condition: str = _NOT_MERGED
    ) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": items.ticket_key(ticket_id),
                "UpdateExpression": "SET updated_at = :u ADD message_count :mc, attachment_count :ac",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": {
                    ":u": {"S": updated_at},
                    ":mc": {"N": str(messages)},
                    ":ac": {"N": str(attachments)},
                },
            }
        }

    def _entries(self, mailbox: str, messages: list[StoredMessage]) -> dict[str, dict[str, Any]]:
        """The Message-ID index entries that are `messages`' own, by message key: one
        consistent BatchGetItem for the lot."""
        by_pk: dict[str, list[StoredMessage]] = {}
        for message in messages:
            if message.message_id:
                by_pk.setdefault(items.message_id_key(mailbox, message.message_id)["pk"]["S"], []).append(
                    message
                )
        keys = [items.message_id_key(mailbox, found[0].message_id) for found in by_pk.values()]
        owned = {}
        for raw in batch_get(self._db, self.table, keys, consistent=True) if keys else ():
            for message in by_pk[raw["pk"]["S"]]:
                # Entries from before they named their message (no `key`) are taken by ticket.
                if raw.get("key", {}).get("S", message.key) == message.key and (
                    raw.get("ticket_id", {}).get("S") == message.ticket_id
                ):
                    owned[message.key] = raw
                    break
        return owned

    def _move(
        self, message: StoredMessage, moved: StoredMessage, entries: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        old = items.message_item(message)
        operations = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": {"pk": old["pk"], "sk": old["sk"]},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            self._put(items.message_item(moved)),
        ]
        entry = entries.get(message.key)
        if entry is not None:
            # Updated, not put anew: the fingerprint and verdict stay (message_claims.py); only
            # while it still points here, so a take-over since the read is not undone.
            operations.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {"pk": entry["pk"], "sk": entry["sk"]},
                        "UpdateExpression": "SET ticket_id = :to",
                        "ConditionExpression": "ticket_id = :from",
                        "ExpressionAttributeValues": {
                            ":to": {"S": moved.ticket_id},
                            ":from": {"S": message.ticket_id},
                        },
                    }
                }
            )
        return operations

    def _transact(self, operations: list[dict[str, Any]], ticket_id: str) -> None:
        try:
            transact_write(self._db, operations, conflict_retries=EDIT_CONFLICT_RETRIES)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if not reasons:
                raise
            if CONDITION_FAILED in reasons:
                raise ConcurrentUpdate(f"{ticket_id} changed while editing it: {reasons}") from exc
            if "TransactionConflict" in reasons:
                raise ConcurrentUpdate(f"{ticket_id} is being edited by another request") from exc
            raise
