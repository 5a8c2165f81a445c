"""What the staff desk (`ticket_desk`) hands back for reading: a page of the queue, and one
ticket with a page of its messages, each message's body and its attachments' links."""

from __future__ import annotations

from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import Body, StoredAttachment, StoredMessage, Ticket
from chalicelib.services.ports.records import Disposition


@frozen
class QueuePage:
    tickets: tuple[Ticket, ...]
    cursor: str | None


@frozen
class AttachmentView:
    attachment: StoredAttachment
    url: str
    disposition: Disposition
    expires_in: int  # seconds the link works
    expires_at: str = ""  # when it stops working (ISO 8601, UTC)


@frozen
class MessageView:
    message: StoredMessage
    body: Body  # whole (fetched from S3 when large), HTML sanitised
    attachments: tuple[AttachmentView, ...]


@frozen
class TicketDetail:
    ticket: Ticket
    merged_into: str
    messages: tuple[MessageView, ...]
    earlier: int = 0  # messages before these, not loaded (see `show`)
