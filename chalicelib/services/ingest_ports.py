"""What the ingest use cases are built from: ports and functions, injected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.frozen import frozen
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.timestamps import iso_millis

if TYPE_CHECKING:
    from chalicelib.domain.classify_types import BounceReport
    from chalicelib.domain.mail import ParsedMail
    from chalicelib.domain.sender_trust import SenderTrust
    from chalicelib.domain.ticket_events import EventKind
    from chalicelib.domain.tickets import Ticket
    from chalicelib.services.feedback import InboundReport
    from chalicelib.services.message_builder import Renderers
    from chalicelib.services.ports.records import ReplySecrets
    from chalicelib.services.ports.tickets import Deliveries, MailStore, SuspendedList, TicketStore


@frozen
class IngestPorts:
    store: MailStore
    tickets: TicketStore
    deliveries: Deliveries
    suspended: SuspendedList
    read_mail: Callable[[bytes], ParsedMail]
    detect_bounce: Callable[[ParsedMail], BounceReport | None]
    renderers: Renderers
    reply_secrets: ReplySecrets
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Sends the acknowledgement of a new ticket through the outbound guard. It must
    # be idempotent per ticket: a redelivery after a failed send calls it again.
    acknowledge: Callable[[str, ParsedMail, SenderTrust], object] | None = None
    # Bounces and complaints that come back as mail feed the suppression list where
    # they name a message we sent to the address (recipients, permanent, delivery,
    # referenced Message-IDs, complaint); idempotent per (delivery, recipient), so a
    # redelivery may call it again.
    suppress_bounced: Callable[[tuple[str, ...], bool, str, tuple[str, ...], bool], InboundReport] | None = (
        None
    )
    # Mails a ticket's agent that its customer replied (services/assignee_alerts.py), if they
    # asked for it; never raises a refusal. Called once, after the commit (a redelivery does not).
    alert_assignee: Callable[[Ticket], object] | None = None
    # Ticket events for integrations (SNS); best effort, after the commit.
    publish_event: Callable[[EventKind, str, dict[str, Any]], object] | None = None

    def now(self) -> str:
        """The clock as DynamoDB sort keys want it: ISO 8601 UTC with milliseconds."""
        return iso_millis(self.clock())
