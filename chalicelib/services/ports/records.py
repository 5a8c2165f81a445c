"""The typed values that cross the ticket side's ports (ports/tickets.py): what an adapter
returns and a service passes, in place of raw DynamoDB items.

Apart from the Protocols because they exist at run time: the ingest function's cold start
loads these few records, not the ticket side's dozen Protocols, which only the type checker
reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.domain.frozen import frozen
from chalicelib.domain.notes import Note

# The domain types appear only in annotations here. Imported at run time they would load the
# announcements', feedback's and reputation's domain (a dozen frozen dataclasses) into every
# cold start of every function, the ingest's included, through any service naming a port.
if TYPE_CHECKING:
    from chalicelib.domain.message_claims import MessageIdClaim
    from chalicelib.domain.sla import SlaPolicy
    from chalicelib.domain.tickets import Ticket, TicketStatus

ParticipantChange = Literal["add", "remove"]

# The reply-token secrets, newest first (rotation keeps the previous one valid a while).
ReplySecrets = Callable[[], tuple[bytes, ...]]
# A delivery record: what a committed delivery left behind, so a redelivery answers the
# same (Outcome.as_record() plus `received_at`, `quarantine_reason` and use-case details).
DeliveryRecord = dict[str, Any]


# How a download link asks the browser to treat a file (Content-Disposition, RFC 6266).
Disposition = Literal["inline", "attachment"]


@frozen
class Lookup:
    """What ingest reads before filing a mail, in one request."""

    delivery: DeliveryRecord | None  # the delivery record, when this delivery was committed before
    last_number: int  # the ticket counter: the next new ticket is number last_number + 1
    message_ids: dict[str, str]  # Message-ID -> ticket id, for the ids this mailbox stored or sent
    sla: SlaPolicy | None = None  # the SLA targets (None: none set)
    # Message-ID -> what its entry knows of the mail that stored it (domain/message_claims.py)
    claims: dict[str, MessageIdClaim] = field(default_factory=dict)


@frozen
class TicketChange:
    """How an existing ticket changes when a message joins it."""

    ticket_id: str
    updated_at: str
    new_participants: tuple[str, ...] = ()
    attachments: int = 0
    reopen_to: str = ""  # new status, when the message reopens the ticket
    old_status: str = ""
    reopened: Ticket | None = None  # the ticket as read, when reopen_to moves it in the queue
    last_from: str = ""  # "customer" when a customer's message joins (Ticket.last_from)
    assignee: str = ""  # the ticket's agent as read: their change counter counts a customer's reply
    restarted: Ticket | None = None  # the ticket with its new SLA clock, when the message restarts it
    # An authenticated mail of a requester whose first mail was not: they are now (announcements).
    requester_authenticated: bool = False


@frozen
class ChangeCount:
    """A mailbox's or an agent's change counter, bumped in the transaction that files a
    received message: what an open console polls instead of re-reading its queue."""

    scope: str  # a mailbox, AGENT_SCOPE + the agent's address, or TICKET_SCOPE + a ticket id
    changes: int = 0  # any received message filed
    tickets: int = 0  # new tickets (a mailbox's)
    replies: int = 0  # customer messages on the agent's tickets (an agent's)
    ticket: str = ""  # the ticket of the latest change


AGENT_SCOPE = "agent:"
# A ticket's presence counter: moved when a colleague opens it, starts or stops writing, or
# leaves it (services/ticket_presence.py), so a console with it open asks who is there.
TICKET_SCOPE = "ticket:"


@frozen
class SuspendedMessage:
    """Automatic mail that threaded nowhere, kept for staff review (the suspended list)."""

    mailbox: str
    ses_message_id: str
    received_at: str
    archive_key: str  # where its raw mail is kept
    sender: str = ""
    subject: str = ""
    reason: str = ""
    recipients: tuple[str, ...] = ()
    # the reason with its code (domain/notes.py), for the console to say in the agent's
    # language; empty on mail suspended before reasons kept codes (`reason` is shown)
    notes: tuple[Note, ...] = ()

    @property
    def key(self) -> str:
        """Its name on the list (the API's path): receipt time first, so the list reads in order."""
        return f"{self.received_at}#{self.ses_message_id}"


@frozen
class QueueQuery:
    """Which tickets: `assignee` None = anyone's, "" = unassigned only, else that agent's."""

    mailbox: str | None
    statuses: tuple[TicketStatus, ...]
    assignee: str | None = None
    tag: str | None = None
    # "queue": unassigned first, then priority, then age; "due": by the due time the team
    # works against (domain/sla.SlaClock.next_due), tickets without one last (a mailbox's queue only).
    sort: Literal["queue", "due"] = "queue"


@frozen
class AgentStanding:
    """What the staff directory says of an agent at the moment of asking: `enabled` (signed in
    once, not disabled or removed) and `role`, the role an admin last gave them through
    inbound ("admin" or "agent"; "" when none is recorded, and their token's groups decide)."""

    enabled: bool = False
    role: str = ""


@frozen
class Presence:
    agent: str
    writing: bool
    seen_at: str


@frozen
class QuarantinedMail:
    key: str  # where it lies in quarantine/failed/
    ses_message_id: str


@frozen
class DeadLetter:
    message_id: str
    receipt_handle: str
    body: str
    message_attributes: dict[str, Any] = field(default_factory=dict)
