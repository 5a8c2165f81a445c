"""Bounce and complaint reports that arrive as mail: checked, applied, and recorded.

The suppression list changes only for addresses the report shows we sent to (see
domain/mailed_reports.py; `suppress_bounced` applies it). The report is recorded
with the delivery, its reason naming whom it could not verify; when it names a
message of one of our tickets, it is also stored on that ticket (kind "report") so
staff see it there: that ticket's status, participants and requester stay as they
are, and the report's own Message-ID is not indexed, so nothing ever threads by it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.classify_types import Classification
from chalicelib.domain.mail import ParsedMail, ReceivedMail
from chalicelib.domain.outcome import Outcome, OutcomeKind
from chalicelib.domain.routing import route
from chalicelib.domain.tickets import Direction, MessageKind, StoredMessage, ThreadSignal
from chalicelib.services import message_builder
from chalicelib.services.ingest_ports import IngestPorts
from chalicelib.services.ports.records import TicketChange
from chalicelib.settings import Settings


class MailedReports:
    def __init__(self, settings: Settings, ports: IngestPorts) -> None:
        self.settings = settings
        self.ports = ports

    def mailbox_of(self, received: ReceivedMail, mail: ParsedMail) -> str:
        """The mailbox the report came to."""
        return route(
            received.recipients or tuple(a.email for a in mail.to + mail.cc),
            self.settings.mailboxes,
            self.settings.domain,
            self.settings.default_mailbox,
        ).mailbox

    def record(
        self, received: ReceivedMail, mail: ParsedMail, decision: Classification, mailbox: str
    ) -> Outcome:
        """Apply what the report may change, then commit its delivery record (and ticket entry).

        Suppression comes first: if it fails nothing is recorded and the queue retries
        (it is idempotent per delivery and address)."""
        suppressed: tuple[str, ...] = ()
        verified: tuple[str, ...] = ()
        unverified: tuple[str, ...] = ()
        note = ""
        if self.ports.suppress_bounced is not None:
            report = self.ports.suppress_bounced(
                decision.failed_recipients,
                decision.permanent,
                received.ses_message_id,
                decision.referenced_ids,
                decision.complaint,
            )
            suppressed, verified = report.summary.suppressed, report.check.verified
            unverified = report.check.unverified
            note = report.check.summary
        ticket_id = self._referenced_ticket(mailbox, decision.referenced_ids)
        outcome = Outcome(
            outcome=OutcomeKind.BOUNCE,
            ses_message_id=received.ses_message_id,
            ticket=ticket_id or None,
            mailbox=mailbox if ticket_id else None,
            reason="; ".join(filter(None, (decision.reason, note))),
            failed_recipients=decision.failed_recipients,
        )
        record = {
            **outcome.as_record(),
            "received_at": received.received_at,
            "permanent": decision.permanent,
            "verified": list(verified),
            "suppressed": list(suppressed),  # by this delivery: a redelivery finds them applied
            "unverified": list(unverified),
        }
        if ticket_id:
            done = [f"verified for {', '.join(verified)}"] if verified else []
            done += [f"suppressed: {', '.join(suppressed)}"] if suppressed else []
            self._on_ticket(received, mail, mailbox, ticket_id, outcome, record, "; ".join(done))
        else:
            self.ports.deliveries.record_delivery(received.ses_message_id, record)
        return outcome

    def _referenced_ticket(self, mailbox: str, message_ids: tuple[str, ...]) -> str:
        """The ticket of the first referenced Message-ID this mailbox stored or sent, or ""."""
        if not message_ids:
            return ""
        found = self.ports.tickets.tickets_by_message_ids(mailbox, list(message_ids))
        return next((found[m] for m in message_ids if m in found), "")

    def _on_ticket(
        self,
        received: ReceivedMail,
        mail: ParsedMail,
        mailbox: str,
        ticket_id: str,
        outcome: Outcome,
        record: dict[str, Any],
        done: str,
    ) -> None:
        ses_id = received.ses_message_id
        body = message_builder.render_body(
            self.ports.store, self.ports.renderers, mail, ticket_id, ses_id, self.settings.inline_body_limit
        )
        sender = mail.from_[0] if mail.from_ else None
        message = StoredMessage(
            ticket_id=ticket_id,
            key=ses_id,
            direction=Direction.INBOUND,
            kind=MessageKind.REPORT,
            sender=sender.email if sender else "",
            sender_name=sender.name if sender else "",
            to=tuple(a.email for a in mail.to),
            cc=(),
            subject=mail.subject,
            message_id="",  # never indexed: nothing threads by a report
            received_at=received.received_at,
            date=mail.date.isoformat() if mail.date else "",
            thread_signal=ThreadSignal.REFERENCES,
            body=body,
            reason="; ".join(filter(None, (outcome.reason, done))),
            verdicts=received.verdicts.as_dict(),
            lossy_decoding=mail.lossy_decoding,
            defects=mail.defects,
        )
        change = TicketChange(ticket_id=ticket_id, updated_at=self.ports.now())
        self.ports.tickets.commit_thread(ses_id, mailbox, change, message, record)
