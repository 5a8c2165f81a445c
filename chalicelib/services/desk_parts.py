"""What the staff desk is built from: adapters and functions, injected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.adapters.dynamodb_queue import DynamoDBQueue
from chalicelib.adapters.dynamodb_ticket_edits import DynamoDBTicketEdits
from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
from chalicelib.adapters.s3_download_links import S3DownloadLinks
from chalicelib.adapters.s3_mail_store import S3MailStore
from chalicelib.adapters.sns_events import SnsEvents
from chalicelib.domain.tickets import Ticket
from chalicelib.errors import MergedTicket


@dataclass(frozen=True)
class DeskParts:
    queue: DynamoDBQueue
    edits: DynamoDBTicketEdits
    tickets: DynamoDBTickets
    bodies: S3MailStore
    links: S3DownloadLinks
    events: SnsEvents
    sanitise_html: Callable[[str], str]
    now: Callable[[], str]
    # Whether a name is an agent's (the staff directory, adapters/dynamodb_agents.py).
    is_agent: Callable[[str], bool]


def editable(parts: DeskParts, ticket_id: str) -> Ticket:
    """The ticket as it is now; TicketConflict when it was merged away (work on the target)."""
    ticket, merged_into = parts.queue.load(ticket_id)
    if merged_into:
        raise MergedTicket(ticket.id, merged_into)
    return ticket
