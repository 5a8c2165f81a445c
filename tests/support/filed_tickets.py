"""Tickets filed straight through a ticket store port (the fake or the DynamoDB adapter), for
the contract suites: one customer message each, committed as ingest commits a new ticket."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.outcome import Outcome, OutcomeKind
from chalicelib.domain.tickets import (
    Body,
    Direction,
    MessageKind,
    StoredMessage,
    ThreadSignal,
    Ticket,
    ticket_id_for,
)


def customer_message(ticket_id: str, key: str, at: str, message_id: str = "") -> StoredMessage:
    return StoredMessage(
        ticket_id=ticket_id,
        key=key,
        direction=Direction.INBOUND,
        kind=MessageKind.CUSTOMER,
        sender="alice@customer.org",
        sender_name="Alice",
        to=("support@example.com",),
        cc=(),
        subject="Printer on fire",
        message_id=message_id,
        received_at=at,
        thread_signal=ThreadSignal.NEW,
        body=Body(text="It is on fire."),
    )


def file_ticket(
    tickets: Any, number: int, terms: tuple[str, ...] = (), message_id: str = "", **fields: Any
) -> Ticket:
    """Ticket `number` (T-<1000+number>), filed at 10:<number> on 2026-12-07 unless `fields`
    say otherwise (mailbox, requester, status, assignee, tags, ...), indexed by `terms`, its
    message known by `message_id`; the store's number counter must stand at `number - 1`. The
    ticket as the store reads it back."""
    at = f"2026-12-07T10:{number:02}:00.000Z"
    ticket = Ticket(
        id=ticket_id_for(number),
        mailbox="support",
        subject="Printer on fire",
        requester="alice@customer.org",
        created_at=at,
        updated_at=at,
        message_count=1,
        token_nonce="n0nce",
    )
    ticket = replace(ticket, **fields)
    ses_id = f"ses-{number}"
    record = Outcome(OutcomeKind.CREATED, ses_id, ticket=ticket.id, mailbox=ticket.mailbox).as_record()
    message = customer_message(ticket.id, ses_id, ticket.created_at, message_id)
    tickets.commit_new(ses_id, ticket, message, record, number - 1, terms)
    return tickets.require_ticket(ticket.id)
