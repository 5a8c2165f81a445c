"""A sent message stored on its ticket, all or nothing (DynamoDBTickets.record_outbound): the
message, the ticket's counts and status, the mailbox's change counter, the report's counters
of a first reply or a solving (domain/report_counts.py) and the Message-ID index entries, in
one transaction. Apart from dynamodb_tickets so that the ingest's cold start does not load it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_ticket_updates as updates
from chalicelib.adapters.dynamodb_requests import (
    CONDITION_FAILED,
    EDIT_CONFLICT_RETRIES,
    cancellation_reasons,
    transact_write,
)
from chalicelib.domain import report_counts
from chalicelib.domain.tickets import MessageKind
from chalicelib.errors import ConcurrentUpdate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.domain.tickets import StoredMessage, Ticket, TicketStatus


def record_sent(
    db: DynamoDBClient,
    table: str,
    live_ticket: Callable[[str], Ticket],
    mailbox: str,
    message: StoredMessage,
    aliases: tuple[str, ...],
    ses_message_id: str,
    moved: tuple[Ticket, TicketStatus] | None,
    read: Ticket | None,
    answered: Ticket | None,
    retried: bool = False,
) -> bool:
    """Store `message` (DynamoDBTickets.record_outbound says what it does); `read`: the ticket
    as read, whose first staff reply this may be (counted in the report on condition that no
    other reply was first; when that or the status changed under it, stored once more, `retried`,
    against the ticket as it is now)."""
    message_item = items.message_item(message)
    if ses_message_id:
        message_item["ses_message_id"] = {"S": ses_message_id}
    update = updates.outbound_update(table, message, moved, answered)
    operations: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                "Item": message_item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {"Update": update},
    ]
    tallies: list[report_counts.Tally] = []
    if message.kind == MessageKind.STAFF:  # a colleague's open console learns of it
        operations.append(updates.changes_bump(table, mailbox, message.ticket_id))
        if read is not None and not read.staff_replied:
            tallies += report_counts.first_response(read, message.sender_name, message.received_at)
            update["ConditionExpression"] += (
                " AND (attribute_not_exists(staff_replied) OR staff_replied = :no)"
            )
            update["ExpressionAttributeValues"][":no"] = {"BOOL": False}
    if moved is not None and moved[0].status != moved[1]:
        before = moved[0]
        tallies += report_counts.status_changed(
            before, replace(before, status=moved[1], updated_at=message.received_at)
        )
    operations += updates.report_adds(table, report_counts.combined(tallies))
    operations += updates.index_puts(table, mailbox, message, aliases, conditional=False)
    try:
        transact_write(db, operations, conflict_retries=EDIT_CONFLICT_RETRIES)
    except ClientError as exc:
        reasons = cancellation_reasons(exc)
        if not reasons:
            raise
        if reasons[0] == CONDITION_FAILED:
            return False
        if len(reasons) > 1 and reasons[1] == CONDITION_FAILED:
            live = live_ticket(message.ticket_id)  # gone or merged: raises
            if not retried and (moved is not None or tallies):
                # The status or the first reply changed under us: keep the colleague's status,
                # and count this reply as the first only if it still is.
                return record_sent(
                    db,
                    table,
                    live_ticket,
                    mailbox,
                    message,
                    aliases,
                    ses_message_id,
                    None,
                    live,
                    answered,
                    True,
                )
            raise ConcurrentUpdate(f"{message.ticket_id} changed while storing a reply") from exc
        raise
    return True
