"""The ingest use case: one SES delivery in S3 becomes exactly one outcome.

Order matters and is the contract: classify before any ticket work; commit the
ticket write atomically with the delivery record; only then move the raw mail out
of `incoming/`. Any failure before the commit raises, leaving the raw message and
its notification in place for the queue to retry.

A new ticket costs six AWS requests and one per stored file (bench/typical_mail.py):
GetObject (the size comes with it), one BatchGetItem (the delivery record, the
ticket counter and the Message-ID index entries), the TransactWriteItems that
commits, CopyObject and DeleteObject (the archive), and the ticket.created event.
A redelivery is recognised by that read, or by the commit's condition on the
delivery record for outcomes that file no ticket. Another delivery of a mail filed on a
ticket is recognised by its Message-ID's index entry (domain/message_claims.py); of a mail
filed on no ticket (suspended, a mailed report), of a mail without a Message-ID and of a mail
quarantined (but for a raw too large to read), by its claim: one conditional PutItem more
(tests/adapters/test_request_budgets.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib import observability
from chalicelib.domain import attachment_rules, message_claims, sender_trust, verdicts
from chalicelib.domain.classify import classify
from chalicelib.domain.classify_types import MailKind
from chalicelib.domain.mail import ReceivedMail, header_block_overflow
from chalicelib.domain.outcome import Outcome, OutcomeKind, QuarantineReason
from chalicelib.domain.routing import route
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import Ticket
from chalicelib.errors import AlreadyProcessed, DuplicateMessageId, RawMailMissing
from chalicelib.services import notifications
from chalicelib.services.ingest_outcomes import UnfiledOutcomes
from chalicelib.services.mailed_reports import MailedReports
from chalicelib.services.queue_batch import run_batch
from chalicelib.services.ticket_filing import TicketFiling, sender_of, wanted_message_ids

if TYPE_CHECKING:
    from chalicelib.domain.classify_types import Classification
    from chalicelib.domain.mail import ParsedMail
    from chalicelib.services.ingest_ports import IngestPorts
    from chalicelib.services.notifications import Delivery
    from chalicelib.services.ports.records import DeliveryRecord
    from chalicelib.services.queue_batch import BatchResult
    from chalicelib.settings import Settings

log = logging.getLogger("inbound.ingest")

# The object (and "Received" notification) SES writes once when a receipt rule's S3 action
# is created, to check that it may write to the bucket: SES's, not mail anyone sent.
SES_SETUP_NOTIFICATION = "AMAZON_SES_SETUP_NOTIFICATION"
# The outcomes integrations hear about (the others file nothing on a ticket).
_EVENTS = {OutcomeKind.CREATED: EventKind.CREATED, OutcomeKind.THREADED: EventKind.CUSTOMER_REPLIED}


class IngestService:
    def __init__(self, settings: Settings, ports: IngestPorts) -> None:
        self.settings = settings
        self.ports = ports
        self.filing = TicketFiling(settings, ports)
        self.reports = MailedReports(settings, ports)
        self.unfiled = UnfiledOutcomes(ports)

    # -- entry points ---------------------------------------------------------
    def ingest_batch(self, records: Iterable[tuple[str, Any]]) -> BatchResult:
        """Each SQS record's notification, independently (see queue_batch)."""
        bucket = self.settings.mail_bucket
        return run_batch(records, lambda body: self.ingest(notifications.decode(body, bucket)))

    def ingest(self, delivery: Delivery) -> Outcome:
        """One delivery to its outcome; its log lines carry its `ses_message_id`, then `ticket_id`."""
        observability.add_keys(ses_message_id=delivery.received.ses_message_id)
        return self._observe(self._ingest(delivery))

    def _observe(self, outcome: Outcome) -> Outcome:
        observability.add_keys(ticket_id=outcome.ticket, outcome=outcome.outcome)
        observability.count(observability.INGESTED)
        observability.count(observability.OUTCOME_METRICS[outcome.outcome])
        log.info("ingest: %s %s", outcome.outcome, " ".join(filter(None, (outcome.ticket, outcome.reason))))
        return outcome

    def _ingest(self, delivery: Delivery) -> Outcome:
        received = delivery.received
        if not received.received_at:
            received = replace(received, received_at=self.ports.now())
        if delivery.inline_content is not None:
            self.ports.store.put_incoming(received.ses_message_id, delivery.inline_content)
            received = replace(received, bucket=self.ports.store.bucket)
        try:
            return self._process(received)
        except (AlreadyProcessed, RawMailMissing):
            # Committed before: by an earlier delivery of this notification, which
            # may have moved the raw already, or by a parallel run. Answer as a
            # redelivery does.
            done = self.ports.deliveries.get_delivery(received.ses_message_id)
            if done is None:
                raise
            return self._finish_redelivery(received, done)

    def _finish_redelivery(self, received: ReceivedMail, done: DeliveryRecord) -> Outcome:
        """A delivery already committed: finish the move out of incoming/ and answer the same."""
        outcome = Outcome.from_record(received.ses_message_id, done)
        if done.get("quarantine_reason"):
            reason = QuarantineReason(done["quarantine_reason"])
            self.unfiled.move_to_quarantine(received, reason, outcome.reason or "")
        else:
            received_at = str(done.get("received_at") or received.received_at)
            archived = self.ports.store.archive(
                received.bucket, received.key, received.ses_message_id, received_at
            )
            if (
                outcome.outcome == OutcomeKind.CREATED
                and outcome.ticket
                and self.ports.acknowledge is not None
            ):
                # The first run may have failed while acknowledging; the
                # acknowledger skips tickets it has already answered.
                raw = self.ports.store.get_raw(self.ports.store.bucket, archived)
                self._acknowledge(outcome.ticket, self.ports.read_mail(raw), received)
        return replace(
            outcome,
            outcome=OutcomeKind.DUPLICATE,
            reason=f"delivery {received.ses_message_id} was already processed ({outcome.outcome}"
            + (f" {outcome.ticket})" if outcome.ticket else ")"),
        )

    # -- the pipeline ---------------------------------------------------------
    def _process(self, received: ReceivedMail) -> Outcome:
        if received.ses_message_id == SES_SETUP_NOTIFICATION:
            return self.unfiled.setup_probe(received)
        limit = self.settings.max_message_bytes
        size, raw = self.ports.store.get_raw_within(received.bucket, received.key, limit)
        if raw is None:
            return self.unfiled.quarantine(
                received, QuarantineReason.OVERSIZE, f"{size} bytes exceeds the limit of {limit}"
            )
        overflow = header_block_overflow(raw)
        if overflow:  # before parsing, which would not finish
            return self.unfiled.quarantine(received, QuarantineReason.OVERSIZE, overflow, raw)
        mail = self.ports.read_mail(raw)
        unparseable = _unparseable_reason(raw, mail)
        if unparseable:
            return self.unfiled.quarantine(received, QuarantineReason.UNPARSEABLE, unparseable, raw)
        if not received.from_notification:
            received = replace(received, verdicts=verdicts.from_headers(mail))
        decision = classify(mail, received.verdicts, self.ports.detect_bounce(mail))
        if decision.kind in (MailKind.SPAM, MailKind.VIRUS):
            return self.unfiled.quarantine(received, QuarantineReason(decision.kind), decision.reason, raw)
        if decision.kind == MailKind.BOUNCE:
            return self._record_bounce(received, mail, decision)

        if decision.kind == MailKind.NORMAL and not sender_of(mail).email:
            return self.unfiled.quarantine(
                received,
                QuarantineReason.NO_SENDER,
                "no address in From, Reply-To, Sender or Return-Path",
                raw,
            )
        unlisted = attachment_rules.listing_overflow(mail.attachments)
        if unlisted:  # the commit would fail on every retry
            return self.unfiled.quarantine(received, QuarantineReason.OVERSIZE, unlisted, raw)
        return self._file(received, mail, decision)

    def _file(
        self, received: ReceivedMail, mail: ParsedMail, decision: Classification, again: bool = False
    ) -> Outcome:
        """Thread and commit; DuplicateMessageId from the commit itself means another mail
        stored this Message-ID since the look-up: look again once (is it this very mail?)."""
        mailbox_route = route(
            received.recipients or tuple(a.email for a in mail.to + mail.cc),
            self.settings.mailboxes,
            self.settings.domain,
            self.settings.default_mailbox,
        )
        found = self.ports.tickets.look_up(
            received.ses_message_id, mailbox_route.mailbox, wanted_message_ids(mail)
        )
        if found.delivery is not None:
            return self._finish_redelivery(received, found.delivery)
        try:
            threading = self.filing.decide_thread(
                mail,
                received,
                mailbox_route,
                found.message_ids,
                found.claims,
                automatic=decision.kind == MailKind.AUTO_REPLY,
            )
            unfiled = decision.kind == MailKind.AUTO_REPLY and threading.decision.ticket_id is None
            if unfiled or not mail.message_id:
                # Recognised by its claim: a mail filed on no ticket has no index entry, and
                # one without a Message-ID has none to look up (message_claims.content_claim).
                claim = message_claims.unfiled_claim(mailbox_route.mailbox, mail, threading.entry.claim)
                first = self.unfiled.first_delivery(received, claim)
                if claim is not None and first:
                    return self.unfiled.copy_of(
                        received, claim, first, "" if unfiled else self._ticket_of(first)
                    )
            if unfiled:
                return self.unfiled.suspend(received, mail, mailbox_route, decision, threading.decision)
            outcome = self.filing.file(
                received, mail, mailbox_route, decision, threading, found.last_number, found.sla
            )
        except DuplicateMessageId as exc:
            if not exc.ticket_id and not again:  # raised by the commit's condition, not judged
                return self._file(received, mail, decision, again=True)
            return self.unfiled.duplicate(received, mailbox_route, exc)
        self.unfiled.archive(received, received.received_at)
        self._announce(outcome)
        self._answer(outcome, mail, received, threading.tickets.get(outcome.ticket or ""))
        return outcome

    def _answer(
        self, outcome: Outcome, mail: ParsedMail, received: ReceivedMail, joined: Ticket | None
    ) -> None:
        """A new ticket's acknowledgement; or for a customer's reply on an agent's ticket, their
        mail if they asked for it (the choice is read only for an assigned ticket)."""
        if outcome.outcome == OutcomeKind.CREATED:
            self._acknowledge(outcome.ticket or "", mail, received)
        elif outcome.outcome == OutcomeKind.THREADED and joined is not None and joined.assignee:
            alert = self.ports.alert_assignee
            if alert is not None:
                alert(joined)

    def _announce(self, outcome: Outcome) -> None:
        kind = _EVENTS.get(outcome.outcome)
        if kind and outcome.ticket and self.ports.publish_event is not None:
            detail = {"mailbox": outcome.mailbox, "thread_signal": outcome.thread_signal}
            self.ports.publish_event(kind, outcome.ticket, detail)

    def _acknowledge(self, ticket_id: str, mail: ParsedMail, received: ReceivedMail) -> None:
        """Through the outbound guard, which needs to know whether the sender is authenticated."""
        if self.ports.acknowledge is not None:
            if not received.from_notification:  # a redelivery re-reads the verdicts SES wrote
                received = replace(received, verdicts=verdicts.from_headers(mail))
            self.ports.acknowledge(ticket_id, mail, sender_trust.assess(mail, received))

    def _record_bounce(self, received: ReceivedMail, mail: ParsedMail, decision: Classification) -> Outcome:
        """Claimed before the report changes the suppression list: a copy changes nothing."""
        mailbox = self.reports.mailbox_of(received, mail)
        trust = sender_trust.assess(mail, received)
        fingerprint = message_claims.claim_of(mail, sender_of(mail).email, trust.authenticated)
        facts = (
            "complaint" if decision.complaint else "permanent" if decision.permanent else "transient",
            *decision.failed_recipients,
            "",
            *decision.referenced_ids,
        )
        claim = message_claims.unfiled_claim(mailbox, mail, fingerprint, facts)
        first = self.unfiled.first_delivery(received, claim)
        if claim is not None and first:
            return self.unfiled.copy_of(received, claim, first)
        outcome = self.reports.record(received, mail, decision, mailbox)
        self.unfiled.archive(received, received.received_at)
        return outcome

    def _ticket_of(self, ses_message_id: str) -> str:
        """The ticket the delivery filed its mail on, "" while it has not (yet: it may be
        running, or retried, or in quarantine/failed/ until a re-drive files it)."""
        done = self.ports.deliveries.get_delivery(ses_message_id)
        return str(done.get("ticket") or "") if done else ""

    def quarantine_failed(self, bucket: str, key: str, ses_message_id: str, detail: str) -> Outcome:
        """Give up on a raw mail that failed every attempt: `quarantine/failed/`, re-drivable."""
        received = ReceivedMail(
            ses_message_id=ses_message_id, bucket=bucket, key=key, received_at=self.ports.now()
        )
        observability.add_keys(ses_message_id=ses_message_id)
        done = self.ports.deliveries.get_delivery(ses_message_id)
        if done is not None:  # committed after all: only its move out of incoming/ was missing
            return self._observe(self._finish_redelivery(received, done))
        outcome = Outcome(OutcomeKind.QUARANTINED, ses_message_id, reason=f"failed: {detail}")
        self.unfiled.record(received, outcome, {"quarantine_reason": QuarantineReason.FAILED})
        self.unfiled.move_to_quarantine(received, QuarantineReason.FAILED, detail)
        return self._observe(outcome)


def _unparseable_reason(raw: bytes, mail: ParsedMail) -> str:
    """Why this input cannot become support work, or "" when it can."""
    if not raw or raw.isspace():  # not raw.strip(): that copies a 40 MB mail
        return "empty message"
    if not mail.headers:
        return "no header block"
    return ""
