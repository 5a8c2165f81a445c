"""What the outbound services need: the ports of the suppression table, SES, the tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.frozen import frozen
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import StoredAttachment
from chalicelib.services import message_builder
from chalicelib.services.ports.outbound import (
    AccountRates,
    AcknowledgementClaims,
    AutoReplyLimits,
    ReplyClaims,
    ReplyTickets,
    ReputationCounters,
    Sender,
    SendLedger,
    SuppressionList,
)
from chalicelib.services.ports.reopen import TicketReopener


@frozen
class OutboundPorts:
    sender: Sender
    suppression_list: SuppressionList
    auto_replies: AutoReplyLimits
    acknowledgements: AcknowledgementClaims
    send_ledger: SendLedger
    counters: ReputationCounters
    tickets: ReplyTickets
    store: message_builder.AttachmentSink
    presign: Callable[[StoredAttachment], str]
    reply_secrets: Callable[[], tuple[bytes, ...]]
    # The stage's URL, base of links in mail; raises PublicUrlMissing where it has none.
    public_url: Callable[[], str]
    # Who is answering which message: two Sends at the same moment mail once.
    reply_claims: ReplyClaims
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Ticket events for integrations (the desk's SNS publisher); best effort.
    publish_event: Callable[[EventKind, str, dict[str, Any]], object] | None = None
    # The SES account's (bounce, complaint) rates, cached (adapters/cloudwatch_reputation).
    account_rates: AccountRates = lambda: (None, None)
    # Whether an admin disabled or removed an agent, read from the staff directory at the
    # moment of asking (adapters/dynamodb_agents.is_disabled, consistent): never the request
    # check's answer, which a container keeps up to INBOUND_STAFF_CHECK_SECONDS. None: no directory.
    staff_disabled: Callable[[str], bool] | None = None
    # A reply on a solved or closed ticket reopens it (the desk); None: no desk (nothing reopens).
    reopener: TicketReopener | None = None
