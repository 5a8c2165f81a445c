"""Tickets and the messages stored on them."""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import Defect
from chalicelib.domain.notes import Note
from chalicelib.domain.sla import SlaClock


class TicketStatus(StrEnum):
    """The desk's status model: `new` until an agent takes it up (assigns it or answers),
    `open` while the team works on it, `pending` once staff answered and the customer's turn
    has come (their next mail reopens it), `solved` (a customer mail reopens it too),
    `closed` (a customer mail opens a follow-up ticket instead)."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    """Most urgent first: the queue's order within a status."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ThreadSignal(StrEnum):
    """Which signal put a message on its ticket (see correlation.py)."""

    NEW = "new"
    TOKEN = "token"
    REFERENCES = "references"
    SUBJECT = "subject"
    STAFF = "staff"  # written here (a reply, a note, the trail), not threaded by a mail


class Direction(StrEnum):
    INBOUND = "inbound"  # received mail
    OUTBOUND = "outbound"  # mail we sent
    INTERNAL = "internal"  # never sent: staff notes and the audit trail


class MessageKind(StrEnum):
    CUSTOMER = "customer"  # a person's mail
    AUTO_REPLY = "auto_reply"  # an automatic answer (RFC 3834) kept on the ticket
    REPORT = "report"  # a mailed bounce or complaint report about a message we sent
    STAFF = "staff"  # a staff reply
    ACKNOWLEDGEMENT = "acknowledgement"  # our automatic acknowledgement of a new ticket
    NOTE = "note"  # a staff note, never sent
    EVENT = "event"  # a line of the audit trail (audit.py)


STATUSES = tuple(TicketStatus)
WORKING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
FIRST_TICKET_NUMBER = 1000


def ticket_id_for(number: int) -> str:
    """`T-1001` for the first number the ticket counter hands out."""
    return f"T-{FIRST_TICKET_NUMBER + number}"


def status_after_assigning(status: TicketStatus, assignee: str) -> TicketStatus:
    """An agent taking a new ticket opens it; other statuses stay as they are."""
    return TicketStatus.OPEN if status == TicketStatus.NEW and assignee else status


DONE_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def status_after_reply(status: TicketStatus) -> TicketStatus:
    """A staff answer hands the turn to the customer: new and open tickets become pending."""
    return TicketStatus.PENDING if status in WORKING_STATUSES else status


@frozen
class StoredAttachment:
    """An attachment as stored: where its bytes live and what they are."""

    index: int
    filename: str
    safe_name: str
    key: str
    declared_type: str
    sniffed_type: str
    size: int
    sha256: str
    risky: bool
    inline: bool = False
    content_id: str = ""

    def as_outcome(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "content_type": self.declared_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@frozen
class Ticket:
    id: str
    mailbox: str
    subject: str
    requester: str
    status: TicketStatus = TicketStatus.NEW
    participants: tuple[str, ...] = ()
    assignee: str = ""
    priority: Priority = Priority.NORMAL
    tags: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    message_count: int = 0
    attachment_count: int = 0
    # The random value its reply tokens are signed with ("" for tickets from before).
    token_nonce: str = ""
    # The ticket a mail claimed but could not join (token, tag or References), and why.
    related_ticket: str = ""
    related_reason: str = ""
    # the reason's parts with their codes (domain/notes.py): the console says them in the
    # agent's language; empty on tickets stored before, and on splits (`related_reason` is read)
    related_notes: tuple[Note, ...] = ()
    # The ticket this one was merged into (it is closed then, and kept for the links).
    merged_into: str = ""
    # Who wrote the latest customer or staff message ("customer", "staff"; "" before this
    # was kept), and whether staff ever replied: together, the "customer replied" marker.
    last_from: str = ""
    staff_replied: bool = False
    # Its first-response and resolution clocks (domain/sla.py).
    sla: SlaClock = SlaClock()
    # Whether the mail that made the requester so passed the sender-trust policy. False: the
    # address may be forged, so nothing goes to it on our own initiative (announcements).
    # Tickets from before this was kept read True, as they were treated.
    requester_authenticated: bool = True

    @property
    def customer_replied(self) -> bool:
        """The customer wrote last, after a staff reply (a solved ticket answered, say)."""
        return self.last_from == "customer" and self.staff_replied

    def has_participant(self, address: str) -> bool:
        address = address.lower()
        return address == self.requester or address in self.participants

    @property
    def copied(self) -> tuple[str, ...]:
        """The participants besides the requester: who staff replies copy."""
        return tuple(p for p in self.participants if p != self.requester)


@frozen
class Body:
    """The text forms of one message; large ones live in S3 behind `pointer`."""

    text: str = ""
    html: str = ""
    reply_text: str = ""
    pointer: str = ""


@frozen
class StoredMessage:
    ticket_id: str
    key: str  # the SES message id: unique per delivery
    direction: Direction
    kind: MessageKind
    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    message_id: str
    received_at: str
    thread_signal: ThreadSignal
    body: Body = field(default_factory=Body)
    related_ticket: str = ""
    reason: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)
    attachments: tuple[StoredAttachment, ...] = ()
    date: str = ""
    lossy_decoding: bool = False
    defects: tuple[Defect, ...] = ()
    # sender_trust's verdict on a received mail's From (None: outbound, or stored before).
    authenticated: bool | None = None
    trust_reason: str = ""
    # `reason`'s parts with their codes (domain/notes.py), for the console to say in the
    # agent's language; empty on messages stored before notes kept codes (`reason` is shown).
    notes: tuple[Note, ...] = ()
