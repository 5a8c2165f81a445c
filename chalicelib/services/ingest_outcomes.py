"""The outcomes of ingest that file nothing on a ticket: a duplicate, SES's setup probe,
automatic mail kept for review, quarantine. Each commits its delivery record, then moves the
raw mail out of `incoming/` (to `archive/` or `quarantine/<reason>/`): in that order, so a
failed move is finished by the redelivery that finds the record (see ingest.py)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from chalicelib.domain import message_claims
from chalicelib.domain.outcome import Outcome, OutcomeKind, QuarantineReason
from chalicelib.domain.tickets import ThreadSignal
from chalicelib.errors import RawMailMissing
from chalicelib.services.ports.records import SuspendedMessage
from chalicelib.services.ticket_filing import sender_of

if TYPE_CHECKING:
    from chalicelib.domain import correlation
    from chalicelib.domain.classify_types import Classification
    from chalicelib.domain.mail import ParsedMail, ReceivedMail
    from chalicelib.domain.message_claims import UnfiledClaim
    from chalicelib.domain.routing import Route
    from chalicelib.errors import DuplicateMessageId
    from chalicelib.services.ingest_ports import IngestPorts


class UnfiledOutcomes:
    def __init__(self, ports: IngestPorts) -> None:
        self.ports = ports

    def duplicate(self, received: ReceivedMail, where: Route, exc: DuplicateMessageId) -> Outcome:
        outcome = Outcome(
            outcome=OutcomeKind.DUPLICATE,
            ses_message_id=received.ses_message_id,
            ticket=exc.ticket_id or None,
            mailbox=where.mailbox,
            reason=f"Message-ID {exc.message_id} is already stored in mailbox {where.mailbox}"
            + (f" on {exc.ticket_id}" if exc.ticket_id else ""),
        )
        self.record(received, outcome)
        self.archive(received, received.received_at)
        return outcome

    def first_delivery(self, received: ReceivedMail, claim: UnfiledClaim | None) -> str:
        """The other delivery that claimed this mail first, or "" when this one did (also when
        this very delivery claimed it on a run that stopped: it is never its own copy)."""
        if claim is None:
            return ""
        holder = self.ports.deliveries.claim_unfiled(claim, received.ses_message_id)
        return "" if holder == received.ses_message_id else holder

    def copy_of(self, received: ReceivedMail, claim: UnfiledClaim, first: str, ticket: str = "") -> Outcome:
        """Another copy of the mail `first` claimed (suspended, a mailed report, quarantined,
        or filed on `ticket` without a Message-ID): recorded as a duplicate, archived."""
        outcome = Outcome(
            outcome=OutcomeKind.DUPLICATE,
            ses_message_id=received.ses_message_id,
            ticket=ticket or None,
            mailbox=claim.mailbox or None,
            reason=message_claims.copy_reason(claim, first, ticket),
        )
        self.record(received, outcome)
        self.archive(received, received.received_at)
        return outcome

    def setup_probe(self, received: ReceivedMail) -> Outcome:
        """Recorded (a later creation of the rule writes it again: a duplicate) and archived."""
        outcome = Outcome(
            outcome=OutcomeKind.AUTO_REPLY,
            ses_message_id=received.ses_message_id,
            reason="ses_setup_notification: SES checked that its receipt rule may write to the bucket",
        )
        self.record(received, outcome)
        with contextlib.suppress(RawMailMissing):  # the notification came without its object
            self.archive(received, received.received_at)
        return outcome

    def suspend(
        self,
        received: ReceivedMail,
        mail: ParsedMail,
        where: Route,
        decision: Classification,
        thread: correlation.ThreadDecision,
    ) -> Outcome:
        """Automatic mail that threads nowhere is kept for staff review, never dropped."""
        outcome = Outcome(
            outcome=OutcomeKind.AUTO_REPLY,
            ses_message_id=received.ses_message_id,
            mailbox=where.mailbox,
            thread_signal=ThreadSignal.NEW,
            reason=f"{decision.reason}; suspended for review",
            related_ticket=thread.related_ticket or None,
        )
        suspended = SuspendedMessage(
            mailbox=where.mailbox,
            ses_message_id=received.ses_message_id,
            received_at=received.received_at,
            archive_key=self.ports.store.archive_key(received.ses_message_id, received.received_at),
            sender=sender_of(mail).email,
            subject=mail.subject,
            reason=decision.reason,
            recipients=received.recipients,
            notes=(decision.reason_note,) if decision.reason_note else (),
        )
        self.record(received, outcome, suspended=suspended)
        self.archive(received, received.received_at)
        return outcome

    def quarantine(
        self, received: ReceivedMail, reason: QuarantineReason, detail: str, raw: bytes | None = None
    ) -> Outcome:
        """Claimed first (from `raw`, when it was read): a copy of a mail already quarantined
        is that delivery's duplicate. Then the record, then the move: a run stopped between
        them is finished by its retry, which passes its own claim (see first_delivery)."""
        claim = (
            message_claims.quarantine_claim(reason, raw, received.recipients, received.verdicts)
            if raw is not None
            else None
        )
        first = self.first_delivery(received, claim)
        if claim is not None and first:
            return self.copy_of(received, claim, first)
        outcome = Outcome(
            outcome=OutcomeKind.QUARANTINED,
            ses_message_id=received.ses_message_id,
            reason=f"{reason}: {detail}",
        )
        self.record(received, outcome, {"quarantine_reason": reason})
        self.move_to_quarantine(received, reason, detail)
        return outcome

    def record(
        self,
        received: ReceivedMail,
        outcome: Outcome,
        fields: dict[str, Any] | None = None,
        suspended: SuspendedMessage | None = None,
    ) -> None:
        record = {**outcome.as_record(), "received_at": received.received_at, **(fields or {})}
        self.ports.deliveries.record_delivery(received.ses_message_id, record, suspended)

    def archive(self, received: ReceivedMail, received_at: str) -> None:
        # Runs after the commit. If it fails, the exception propagates and the
        # queue redelivers; the redelivery sees the record and only re-archives.
        self.ports.store.archive(received.bucket, received.key, received.ses_message_id, received_at)

    def move_to_quarantine(self, received: ReceivedMail, reason: QuarantineReason, detail: str) -> None:
        self.ports.store.quarantine(received.bucket, received.key, received.ses_message_id, reason, detail)
