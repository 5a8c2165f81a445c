"""What the staff desk is built from: ports and functions, injected."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.domain.frozen import frozen
from chalicelib.errors import MergedTicket

if TYPE_CHECKING:
    from chalicelib.domain.tickets import Ticket
    from chalicelib.services.ports.tickets import (
        DownloadLinks,
        Events,
        MailStore,
        SlaSettings,
        TicketEdits,
        TicketQueue,
        TicketStore,
    )


@frozen
class DeskPorts:
    queue: TicketQueue
    edits: TicketEdits
    tickets: TicketStore
    bodies: MailStore
    links: DownloadLinks
    events: Events
    sanitise_html: Callable[[str], str]
    now: Callable[[], str]
    # Whether a name is an agent's (one who has signed in: the staff directory).
    is_agent: Callable[[str], bool]
    sla: SlaSettings  # the targets: read when a change moves a ticket's due times


def editable(ports: DeskPorts, ticket_id: str) -> Ticket:
    """The ticket as it is now; TicketConflict when it was merged away (work on the target)."""
    ticket, merged_into = ports.queue.load(ticket_id)
    if merged_into:
        raise MergedTicket(ticket.id, merged_into)
    return ticket
