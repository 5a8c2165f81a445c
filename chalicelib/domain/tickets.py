"""Tickets and the messages stored on them."""

from __future__ import annotations

from dataclasses import dataclass, field

# The desk's status model: `new` until an agent takes it up (assigns it or answers),
# `open` while the team works on it, `pending` once staff answered and the customer's turn
# has come (their next mail reopens it), `solved` (a customer mail reopens it too),
# `closed` (a customer mail opens a follow-up ticket instead).
STATUSES = ("new", "open", "pending", "solved", "closed")
THREAD_SIGNALS = ("new", "token", "references", "subject")


def status_after_assigning(status: str, assignee: str) -> str:
    """An agent taking a new ticket opens it; other statuses stay as they are."""
    return "open" if status == "new" and assignee else status


def status_after_reply(status: str) -> str:
    """A staff answer hands the turn to the customer: new and open tickets become pending."""
    return "pending" if status in ("new", "open") else status


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Ticket:
    id: str
    mailbox: str
    subject: str
    requester: str
    status: str = "new"
    participants: tuple[str, ...] = ()
    assignee: str = ""
    priority: str = "normal"
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

    def has_participant(self, address: str) -> bool:
        address = address.lower()
        return address == self.requester or address in self.participants

    @property
    def copied(self) -> tuple[str, ...]:
        """The participants besides the requester: who staff replies copy."""
        return tuple(p for p in self.participants if p != self.requester)


@dataclass(frozen=True)
class Body:
    """The text forms of one message; large ones live in S3 behind `pointer`."""

    text: str = ""
    html: str = ""
    reply_text: str = ""
    pointer: str = ""


@dataclass(frozen=True)
class StoredMessage:
    ticket_id: str
    key: str  # the SES message id: unique per delivery
    direction: str  # "inbound" | "outbound"
    kind: str  # "customer" | "auto_reply" | "staff" | "note" | "acknowledgement" | "report"
    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    message_id: str
    received_at: str
    thread_signal: str
    body: Body = field(default_factory=Body)
    related_ticket: str = ""
    reason: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)
    attachments: tuple[StoredAttachment, ...] = ()
    date: str = ""
    lossy_decoding: bool = False
    defects: tuple[str, ...] = ()
    # sender_trust's verdict on a received mail's From (None: outbound, or stored before).
    authenticated: bool | None = None
    trust_reason: str = ""
