"""Tickets, their messages, the Message-ID index and the ticket counter in DynamoDB (item
shapes in dynamodb_items). A commit writes the delivery record too (dynamodb_deliveries).

Over 300 lines: it is the whole TicketStore port, whose reads, number allocation and commits
share one transaction helper and one reading of cancellation reasons; its update expressions
are already apart (dynamodb_ticket_updates)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_ticket_updates as updates
from chalicelib.adapters.dynamodb_deliveries import delivery_put, record_from_item
from chalicelib.adapters.dynamodb_requests import (
    CONDITION_FAILED,
    batch_get,
    cancellation_reasons,
    condition_failed,
    query_all,
    transact_write,
)
from chalicelib.adapters.dynamodb_search import term_puts
from chalicelib.adapters.dynamodb_sla import SLA_KEY, policy_from_item
from chalicelib.domain.message_claims import MessageIdClaim
from chalicelib.domain.tickets import FIRST_TICKET_NUMBER, ticket_id_for
from chalicelib.errors import (
    AlreadyProcessed,
    ConcurrentUpdate,
    DuplicateMessageId,
    MergedTicket,
    TicketNotFound,
    TicketNumberTaken,
)
from chalicelib.services.ports.records import AGENT_SCOPE, Lookup

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.domain.message_claims import IndexEntry
    from chalicelib.domain.tickets import StoredMessage, Ticket, TicketStatus
    from chalicelib.services.ports.records import DeliveryRecord, TicketChange

_COUNTER_KEY = {"pk": {"S": "COUNTER"}, "sk": {"S": "TICKET"}}


class DynamoDBTickets:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    # -- reads -------------------------------------------------------------
    def get_ticket(self, ticket_id: str) -> Ticket | None:
        found = self._db.get_item(TableName=self.table, Key=items.ticket_key(ticket_id)).get("Item")
        return items.ticket_from_item(found) if found else None

    def require_ticket(self, ticket_id: str) -> Ticket:
        ticket = self.get_ticket(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        return ticket

    def live_ticket(self, ticket_id: str) -> Ticket:
        """The ticket as it is now (strongly consistent); MergedTicket when it was merged away."""
        found = self._db.get_item(TableName=self.table, Key=items.ticket_key(ticket_id), ConsistentRead=True)
        raw = found.get("Item")
        if raw is None:
            raise TicketNotFound(ticket_id)
        if "merged_into" in raw:
            raise MergedTicket(ticket_id, raw["merged_into"]["S"])
        return items.ticket_from_item(raw)

    def tickets_by_message_ids(self, mailbox: str, message_ids: list[str]) -> dict[str, str]:
        """Message-ID -> ticket id for the ids this mailbox stored or sent (one BatchGetItem)."""
        wanted = list(dict.fromkeys(m for m in message_ids if m))[:100]
        if not wanted:
            return {}
        keys = [items.message_id_key(mailbox, m) for m in wanted]
        prefix = f"MID#{mailbox}#"
        return {
            raw["pk"]["S"][len(prefix) :]: raw["ticket_id"]["S"]
            for raw in batch_get(self._db, self.table, keys, projection="pk, ticket_id")
        }

    def look_up(self, ses_message_id: str, mailbox: str, message_ids: list[str]) -> Lookup:
        """The delivery record, the ticket counter, the SLA targets and the Message-ID index entries
        at once.

        One BatchGetItem with ConsistentRead: a delivery committed a moment ago by
        a parallel run, and the counter it moved, are seen. DynamoDB refuses a
        batch naming a key twice, so the ids are deduplicated; it returns at most
        100 keys, the three fixed ones included.
        """
        wanted = list(dict.fromkeys(m for m in message_ids if m))[:97]
        delivery_key = items.delivery_key(ses_message_id)
        keys = [delivery_key, _COUNTER_KEY, SLA_KEY] + [items.message_id_key(mailbox, m) for m in wanted]
        delivery: DeliveryRecord | None = None
        last_number = 0
        sla = None
        found: dict[str, str] = {}
        claims: dict[str, MessageIdClaim] = {}
        prefix = f"MID#{mailbox}#"
        for raw in batch_get(self._db, self.table, keys, consistent=True):
            pk = raw["pk"]["S"]
            if pk == delivery_key["pk"]["S"]:
                delivery = record_from_item(raw)
            elif pk == "COUNTER":
                last_number = int(raw["next_number"]["N"])
            elif pk == SLA_KEY["pk"]["S"]:
                sla = policy_from_item(raw)
            else:
                found[pk[len(prefix) :]] = raw["ticket_id"]["S"]
                claims[pk[len(prefix) :]] = MessageIdClaim(
                    raw.get("fingerprint", {}).get("S", ""), raw.get("authenticated", {}).get("BOOL", False)
                )
        return Lookup(delivery, last_number, found, sla, claims)

    def ticket_counter(self) -> int:
        """The number of the last ticket the counter handed out (0 before the first)."""
        raw = self._db.get_item(TableName=self.table, Key=_COUNTER_KEY, ConsistentRead=True).get("Item")
        return int(raw["next_number"]["N"]) if raw else 0

    def get_tickets(self, ticket_ids: list[str]) -> dict[str, Ticket]:
        wanted = list(dict.fromkeys(ticket_ids))[:100]
        if not wanted:
            return {}
        keys = [items.ticket_key(t) for t in wanted]
        tickets = (items.ticket_from_item(raw) for raw in batch_get(self._db, self.table, keys))
        return {ticket.id: ticket for ticket in tickets}

    def messages(self, ticket_id: str) -> list[StoredMessage]:
        found = query_all(
            self._db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :msg)",
            ExpressionAttributeValues={":pk": {"S": f"TICKET#{ticket_id}"}, ":msg": {"S": "MSG#"}},
        )
        return [items.message_from_item(raw) for raw in found]

    # -- writes ------------------------------------------------------------
    def allocate_ticket_id(self, ses_message_id: str) -> str:
        """A ticket number for this delivery, the same one on every retry (splitting a ticket).

        The counter increment is not idempotent, so the number is pinned to the
        delivery with a conditional put; a retry reads the pinned number back (the
        number it drew itself is skipped, leaving a harmless gap).
        """
        response = self._db.update_item(
            TableName=self.table,
            Key=_COUNTER_KEY,
            UpdateExpression="ADD next_number :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        ticket_id = ticket_id_for(int(response["Attributes"]["next_number"]["N"]))
        try:
            self._db.put_item(
                TableName=self.table,
                Item={**items.delivery_key(ses_message_id, "ALLOC"), "ticket_id": {"S": ticket_id}},
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise
            old = (
                # ReturnValuesOnConditionCheckFailure: the error carries the item that failed.
                cast("dict[str, Any] | None", exc.response.get("Item"))
                or self._db.get_item(
                    TableName=self.table, Key=items.delivery_key(ses_message_id, "ALLOC"), ConsistentRead=True
                )["Item"]
            )
            return str(old["ticket_id"]["S"])
        return ticket_id

    def pinned_ticket_id(self, ses_message_id: str) -> str | None:
        raw = self._db.get_item(
            TableName=self.table, Key=items.delivery_key(ses_message_id, "ALLOC"), ConsistentRead=True
        ).get("Item")
        return str(raw["ticket_id"]["S"]) if raw else None

    def _transact(self, operations: list[dict[str, Any]], message_id: str = "") -> None:
        try:
            transact_write(self._db, operations)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if not reasons:
                raise
            # The delivery record is always the first operation.
            if reasons[0] == CONDITION_FAILED:
                raise AlreadyProcessed(operations[0]["Put"]["Item"]["pk"]["S"]) from exc
            # The Message-ID index, when present, is always the last operation.
            if message_id and len(reasons) == len(operations) and reasons[-1] == CONDITION_FAILED:
                raise DuplicateMessageId(message_id) from exc
            if CONDITION_FAILED in reasons:
                raise ConcurrentUpdate(f"ticket changed while committing: {reasons}") from exc
            raise

    def commit_new(
        self,
        ses_message_id: str,
        ticket: Ticket,
        message: StoredMessage,
        record: DeliveryRecord,
        last_number: int,
        terms: tuple[str, ...] = (),
        entry: IndexEntry | None = None,
    ) -> None:
        """Ticket, first message, its search terms, Message-ID index (as `entry` says, with
        the mail's fingerprint), delivery record and counter, all or nothing.

        The ticket's number is `last_number + 1` or more (ticket.id), and the counter
        moves to it only if it still holds `last_number`: a number is spent only by
        the commit that uses it, so a failed or retried delivery leaves no gap and
        two deliveries never share one. TicketNumberTaken when another commit moved
        the counter (or holds the ticket) first.
        """
        # Loaded by the first mail filed, not by the ingest's cold start (~0.7 ms of it).
        from chalicelib.domain import report_counts

        number = int(ticket.id.removeprefix("T-")) - FIRST_TICKET_NUMBER
        operations = [
            delivery_put(self.table, ses_message_id, record),
            {
                "Put": {
                    "TableName": self.table,
                    "Item": items.ticket_item(ticket),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Update": updates.counter_update(self.table, _COUNTER_KEY, number, last_number)},
            {"Put": {"TableName": self.table, "Item": items.message_item(message)}},
            updates.changes_bump(self.table, ticket.mailbox, ticket.id, "tickets"),
            *updates.report_adds(self.table, report_counts.filed(ticket)),
        ]
        operations += term_puts(self.table, ticket.id, ticket.created_at, terms)
        operations += updates.index_puts(self.table, ticket.mailbox, message, entry=entry)
        try:
            self._transact(operations, _indexed_id(message, entry))
        except ConcurrentUpdate as exc:
            reasons = cancellation_reasons(exc.__cause__)
            if reasons[1:3] == ["None", "None"]:
                raise
            raise TicketNumberTaken(number, ticket_exists=reasons[1] == CONDITION_FAILED) from exc

    def commit_thread(
        self,
        ses_message_id: str,
        mailbox: str,
        change: TicketChange,
        message: StoredMessage,
        record: DeliveryRecord,
        terms: tuple[str, ...] = (),
        created_at: str = "",
        entry: IndexEntry | None = None,
    ) -> None:
        """A message joins an existing ticket (created at `created_at`, which keys its new
        search `terms`), its Message-ID indexed as `entry` says, all or nothing."""
        operations = [
            delivery_put(self.table, ses_message_id, record),
            {"Update": updates.thread_update(self.table, change)},
            {"Put": {"TableName": self.table, "Item": items.message_item(message)}},
            updates.changes_bump(self.table, mailbox, change.ticket_id),
        ]
        if change.assignee and change.last_from == "customer":
            operations.append(
                updates.changes_bump(self.table, AGENT_SCOPE + change.assignee, change.ticket_id, "replies")
            )
        if change.reopen_to:
            from chalicelib.domain import report_counts

            tallies = report_counts.reopened(mailbox, change.old_status, change.reopen_to, change.updated_at)
            operations += updates.report_adds(self.table, tallies)
        if created_at:
            operations += term_puts(self.table, change.ticket_id, created_at, terms)
        operations += updates.index_puts(self.table, mailbox, message, entry=entry)
        self._transact(operations, _indexed_id(message, entry))

    def record_event(self, event: StoredMessage) -> None:
        """An audit line on its ticket's thread (not counted as a message)."""
        self._db.put_item(TableName=self.table, Item=items.message_item(event))

    def record_outbound(
        self,
        mailbox: str,
        message: StoredMessage,
        aliases: tuple[str, ...] = (),
        ses_message_id: str = "",
        moved: tuple[Ticket, TicketStatus] | None = None,
        answered: Ticket | None = None,
    ) -> bool:
        """A sent message joins its ticket with its Message-ID (and `aliases`) indexed, all or nothing.

        False when this message was stored before (a retry). `aliases` are the ids SES may
        give the message in place of ours, so a reply that references those threads too.
        `moved` (the ticket as read, a status): the status it moves to in the same write,
        only if nobody changed its status, assignee or priority since; else the message is
        stored all the same and the status left as the colleague set it. `answered`: the ticket
        with its first-response clock stopped by this reply (domain/sla.py). MergedTicket when
        the ticket was merged away meanwhile (the mail is sent: store it on the survivor).
        The first staff reply on a ticket adds its response time to the report's counters,
        on condition that no other reply was first.
        """
        # Loaded by the first mail sent, not by the ingest's cold start.
        from chalicelib.adapters.dynamodb_sent_messages import record_sent

        first = moved[0] if moved is not None else None
        return record_sent(
            self._db,
            self.table,
            self.live_ticket,
            mailbox,
            message,
            aliases,
            ses_message_id,
            moved,
            first,
            answered,
        )


def _indexed_id(message: StoredMessage, entry: IndexEntry | None) -> str:
    """The Message-ID whose index entry is the commit's last operation ("" when none is)."""
    return message.message_id if entry is None or entry.indexed else ""
