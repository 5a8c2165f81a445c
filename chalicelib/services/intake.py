"""The ingest use case: one SES delivery in S3 becomes exactly one outcome.

Order matters and is the contract: classify before any ticket work; commit the
ticket write atomically with the delivery record; only then move the raw mail out
of `incoming/`. Any failure before the commit raises, leaving the raw message and
its notification in place for the queue to retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets, TicketChange
from chalicelib.adapters.dynamodb_items import queue_keys
from chalicelib.adapters.s3_mail_store import S3MailStore
from chalicelib.domain import correlation, verdicts
from chalicelib.domain.classify import classify
from chalicelib.domain.classify_types import BounceReport, Classification
from chalicelib.domain.mail import Address, ParsedMail, ReceivedMail, parse_addresses
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.reply_tokens import read_token
from chalicelib.domain.routing import Route, route
from chalicelib.domain.tickets import StoredMessage, Ticket
from chalicelib.errors import AlreadyProcessed, DuplicateMessageId, RawMailMissing, SuspendedNotFound
from chalicelib.services import message_builder, notifications
from chalicelib.services.notifications import Delivery
from chalicelib.services.queue_batch import BatchResult, run_batch
from chalicelib.settings import Settings

log = logging.getLogger("inbound.intake")

REOPENING_STATUSES = ("pending", "solved")


@dataclass(frozen=True)
class IntakeParts:
    store: S3MailStore
    tickets: DynamoDBTickets
    read_mail: Callable[[bytes], ParsedMail]
    detect_bounce: Callable[[ParsedMail], BounceReport | None]
    renderers: message_builder.Renderers
    reply_secrets: Callable[[], tuple[bytes, ...]]
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    # Sends the acknowledgement of a new ticket through the outbound guard. It must
    # be idempotent per ticket: a redelivery after a failed send calls it again.
    acknowledge: Callable[[str, ParsedMail], object] | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


class IntakeService:
    def __init__(self, settings: Settings, parts: IntakeParts) -> None:
        self.settings = settings
        self.parts = parts

    # -- entry points ---------------------------------------------------------
    def ingest_batch(self, records: Iterable[tuple[str, Any]]) -> BatchResult:
        """Each SQS record's notification, independently (see queue_batch)."""
        bucket = self.settings.mail_bucket
        return run_batch(records, lambda body: self.ingest(notifications.decode(body, bucket)))

    def ingest(self, delivery: Delivery) -> Outcome:
        received = delivery.received
        if not received.received_at:
            received = replace(received, received_at=_iso(self.parts.clock()))
        done = self.parts.tickets.get_delivery(received.ses_message_id)
        if done is not None:
            return self._finish_redelivery(received, done)
        if delivery.inline_content is not None:
            self.parts.store.put_incoming(received.ses_message_id, delivery.inline_content)
            received = replace(received, bucket=self.parts.store.bucket)
        try:
            return self._process(received)
        except (AlreadyProcessed, RawMailMissing):
            # A parallel run of the same notification committed first (and may
            # have moved the raw already): answer as a redelivery does.
            done = self.parts.tickets.get_delivery(received.ses_message_id)
            if done is None:
                raise
            return self._finish_redelivery(received, done)

    def release_suspended(self, mailbox: str, suspended_key: str) -> Outcome:
        """Staff decided a held automatic mail is support work: make it a ticket message.

        The raw stays where it is (in archive/); the release is its own delivery
        (`<ses-id>.released`), so releasing twice stores one message.
        """
        held = self.parts.tickets.get_suspended(mailbox, suspended_key)
        if held is None:
            raise SuspendedNotFound(f"{mailbox}/{suspended_key}")
        raw = self.parts.store.get_raw(self.parts.store.bucket, str(held["archive_key"]))
        mail = self.parts.read_mail(raw)
        received = ReceivedMail(
            ses_message_id=f"{held['ses_message_id']}.released",
            bucket=self.parts.store.bucket,
            key=str(held["archive_key"]),
            recipients=tuple(held.get("recipients") or ()),
            verdicts=verdicts.from_headers(mail),
            received_at=str(held["received_at"]),
        )
        where = Route(mailbox=mailbox, address="")
        decision = Classification(kind="normal", reason="released by staff from the suspended list")
        try:
            outcome = self._commit(received, mail, where, decision, self._decide_thread(mail, received, where), archive=False)
        except AlreadyProcessed:
            outcome = Outcome.from_record(received.ses_message_id, self.parts.tickets.get_delivery(received.ses_message_id) or {})
        self.parts.tickets.delete_suspended(mailbox, suspended_key)
        return outcome

    def discard_suspended(self, mailbox: str, suspended_key: str) -> None:
        """Staff decided a held mail needs nothing; the raw stays in archive/."""
        if self.parts.tickets.get_suspended(mailbox, suspended_key) is None:
            raise SuspendedNotFound(f"{mailbox}/{suspended_key}")
        self.parts.tickets.delete_suspended(mailbox, suspended_key)

    def _finish_redelivery(self, received: ReceivedMail, done: dict[str, Any]) -> Outcome:
        """A delivery already committed: finish the move out of incoming/ and answer the same."""
        outcome = Outcome.from_record(received.ses_message_id, done)
        if done.get("quarantine_reason"):
            self._quarantine_quietly(received, str(done["quarantine_reason"]), outcome.reason or "")
        else:
            received_at = str(done.get("received_at") or received.received_at)
            archived = self.parts.store.archive(received.bucket, received.key, received.ses_message_id, received_at)
            if outcome.outcome == "created" and outcome.ticket and self.parts.acknowledge is not None:
                # The first run may have failed while acknowledging; the
                # acknowledger skips tickets it has already answered.
                raw = self.parts.store.get_raw(self.parts.store.bucket, archived)
                self._acknowledge(outcome.ticket, self.parts.read_mail(raw))
        return replace(
            outcome,
            outcome="duplicate",
            reason=f"delivery {received.ses_message_id} was already processed ({outcome.outcome}"
            + (f" {outcome.ticket})" if outcome.ticket else ")"),
        )

    # -- the pipeline ---------------------------------------------------------
    def _process(self, received: ReceivedMail) -> Outcome:
        size = self.parts.store.raw_size(received.bucket, received.key)
        if size is None:
            raise RawMailMissing(f"s3://{received.bucket}/{received.key} does not exist")
        if size > self.settings.max_message_bytes:
            return self._quarantine(
                received, "oversize", f"{size} bytes exceeds the limit of {self.settings.max_message_bytes}"
            )
        raw = self.parts.store.get_raw(received.bucket, received.key)
        mail = self.parts.read_mail(raw)
        unparseable = _unparseable_reason(raw, mail)
        if unparseable:
            return self._quarantine(received, "unparseable", unparseable)
        if not received.from_notification:
            received = replace(received, verdicts=verdicts.from_headers(mail))
        decision = classify(mail, received.verdicts, self.parts.detect_bounce(mail))
        if decision.kind in ("spam", "virus"):
            return self._quarantine(received, decision.kind, decision.reason)
        if decision.kind == "bounce":
            return self._record_bounce(received, decision)

        if decision.kind == "normal" and not _sender(mail).email:
            return self._quarantine(received, "no-sender", "no address in From, Reply-To, Sender or Return-Path")
        mailbox_route = route(
            received.recipients or tuple(a.email for a in mail.to + mail.cc),
            self.settings.mailboxes,
            self.settings.domain,
            self.settings.default_mailbox,
        )
        try:
            thread = self._decide_thread(mail, received, mailbox_route)
            if decision.kind == "auto_reply" and thread.ticket_id is None:
                return self._suspend(received, mail, mailbox_route, decision, thread)
            return self._commit(received, mail, mailbox_route, decision, thread)
        except DuplicateMessageId as exc:
            return self._duplicate(received, mailbox_route, exc)

    def _decide_thread(self, mail: ParsedMail, received: ReceivedMail, where: Route) -> correlation.ThreadDecision:
        tickets = self.parts.tickets
        sender = mail.from_[0].email if mail.from_ else ""
        token = read_token(self.parts.reply_secrets(), where.address) if where.tag else None
        # In-Reply-To first, then References newest first: the closest ancestor wins.
        wanted = list(mail.in_reply_to) + list(reversed(mail.references[-20:]))
        if mail.message_id:
            wanted.append(mail.message_id)
        hits = tickets.tickets_by_message_ids(where.mailbox, wanted)
        if mail.message_id and mail.message_id in hits:
            raise DuplicateMessageId(mail.message_id, hits[mail.message_id])
        subject_id = correlation.subject_ticket_id(mail.subject)
        ids = [hits[m] for m in wanted if m in hits and m != mail.message_id]
        ids += [t for t in (token.ticket_id if token else None, subject_id) if t]
        known = tickets.get_tickets(ids)
        facts = correlation.ThreadFacts(
            mailbox=where.mailbox,
            sender=sender,
            dmarc_failed=received.verdicts.dmarc == "FAIL",
            token=token,
            token_ticket=known.get(token.ticket_id) if token else None,
            referenced=tuple(known[hits[m]] for m in wanted if m in hits and hits[m] in known),
            subject_ticket=known.get(subject_id) if subject_id else None,
        )
        return correlation.decide(facts)

    def _commit(
        self,
        received: ReceivedMail,
        mail: ParsedMail,
        where: Route,
        decision: Classification,
        thread: correlation.ThreadDecision,
        archive: bool = True,
    ) -> Outcome:
        tickets = self.parts.tickets
        now = _iso(self.parts.clock())
        ses_id = received.ses_message_id
        ticket_id = thread.ticket_id or tickets.allocate_ticket_id(ses_id)
        attachments = message_builder.store_attachments(self.parts.store, mail, ticket_id, ses_id)
        body = message_builder.render_body(
            self.parts.store, self.parts.renderers, mail, ticket_id, ses_id, self.settings.inline_body_limit
        )
        sender = _sender(mail)
        message = StoredMessage(
            ticket_id=ticket_id,
            key=ses_id,
            direction="inbound",
            kind="auto_reply" if decision.kind == "auto_reply" else "customer",
            sender=sender.email,
            sender_name=sender.name,
            to=tuple(a.email for a in mail.to),
            cc=tuple(a.email for a in mail.cc),
            subject=mail.subject,
            message_id=mail.message_id,
            received_at=received.received_at,
            date=mail.date.isoformat() if mail.date else "",
            thread_signal=thread.signal,
            body=body,
            related_ticket=thread.related_ticket,
            reason="; ".join(filter(None, [decision.reason, *thread.notes])),
            verdicts=received.verdicts.as_dict(),
            attachments=attachments,
            lossy_decoding=mail.lossy_decoding,
            defects=mail.defects,
        )
        outcome = Outcome(
            outcome="auto_reply" if decision.kind == "auto_reply" else ("threaded" if thread.ticket_id else "created"),
            ses_message_id=ses_id,
            ticket=ticket_id,
            mailbox=where.mailbox,
            thread_signal=thread.signal,
            attachments=tuple(a.as_outcome() for a in attachments),
            reason=decision.reason or None if decision.kind == "auto_reply" else None,
            related_ticket=thread.related_ticket or None,
            notes=thread.notes,
        )
        record = {**outcome.as_record(), "received_at": received.received_at}
        participants = self._participants(mail)
        if thread.ticket_id is None:
            ticket = Ticket(
                id=ticket_id,
                mailbox=where.mailbox,
                subject=mail.subject or "(no subject)",
                requester=message.sender,
                participants=participants,
                created_at=now,
                updated_at=now,
                message_count=1,
                attachment_count=len(attachments),
            )
            tickets.commit_new(ses_id, ticket, message, record)
        else:
            change = self._change(thread.ticket_id, now, message, participants, len(attachments))
            tickets.commit_thread(ses_id, where.mailbox, change, message, record)
        if archive:
            self._archive_quietly(received, received.received_at)
        if outcome.outcome == "created":
            self._acknowledge(ticket_id, mail)
        return outcome

    def _acknowledge(self, ticket_id: str, mail: ParsedMail) -> None:
        if self.parts.acknowledge is not None:
            self.parts.acknowledge(ticket_id, mail)

    def _change(self, ticket_id: str, now: str, message: StoredMessage, participants: tuple[str, ...], count: int) -> TicketChange:
        ticket = self.parts.tickets.require_ticket(ticket_id)
        reopen = message.kind == "customer" and ticket.status in REOPENING_STATUSES
        return TicketChange(
            ticket_id=ticket_id,
            updated_at=now,
            new_participants=tuple(p for p in participants if not ticket.has_participant(p)),
            attachments=count,
            reopen_to="open" if reopen else "",
            old_status=ticket.status,
            queue_keys=queue_keys(ticket.mailbox, "open", ticket.assignee, ticket.priority, ticket.created_at, ticket.id)
            if reopen
            else None,
        )

    def _participants(self, mail: ParsedMail) -> tuple[str, ...]:
        """The customer side of the conversation: sender, Reply-To and Cc outside our domain."""
        ours = self.settings.domain
        people = [a.email for a in mail.from_ + mail.reply_to + mail.cc + mail.to]
        return tuple(dict.fromkeys(p for p in people if not (p.endswith("@" + ours) or p.endswith("." + ours))))

    # -- the other outcomes ------------------------------------------------------
    def _duplicate(self, received: ReceivedMail, where: Route, exc: DuplicateMessageId) -> Outcome:
        outcome = Outcome(
            outcome="duplicate",
            ses_message_id=received.ses_message_id,
            ticket=exc.ticket_id or None,
            mailbox=where.mailbox,
            reason=f"Message-ID {exc.message_id} is already stored in mailbox {where.mailbox}"
            + (f" on {exc.ticket_id}" if exc.ticket_id else ""),
        )
        self._record(received, outcome)
        self._archive_quietly(received, received.received_at)
        return outcome

    def _record_bounce(self, received: ReceivedMail, decision: Classification) -> Outcome:
        outcome = Outcome(
            outcome="bounce",
            ses_message_id=received.ses_message_id,
            reason=decision.reason,
            failed_recipients=decision.failed_recipients,
        )
        self._record(received, outcome, {"permanent": decision.permanent})
        self._archive_quietly(received, received.received_at)
        return outcome

    def _suspend(
        self, received: ReceivedMail, mail: ParsedMail, where: Route, decision: Classification,
        thread: correlation.ThreadDecision,
    ) -> Outcome:
        """Automatic mail that threads nowhere is held for staff review, never dropped."""
        outcome = Outcome(
            outcome="auto_reply",
            ses_message_id=received.ses_message_id,
            mailbox=where.mailbox,
            thread_signal="new",
            reason=f"{decision.reason}; suspended for review",
            related_ticket=thread.related_ticket or None,
        )
        sender = mail.from_[0].email if mail.from_ else ""
        suspended = {
            "pk": f"SUSPENDED#{where.mailbox}",
            "sk": f"{received.received_at}#{received.ses_message_id}",
            "type": "suspended",
            "ses_message_id": received.ses_message_id,
            "archive_key": _archive_key(received),
            "sender": sender,
            "subject": mail.subject,
            "reason": decision.reason,
            "received_at": received.received_at,
            "recipients": list(received.recipients),
        }
        self._record(received, outcome, extra=[suspended])
        self._archive_quietly(received, received.received_at)
        return outcome

    def _quarantine(self, received: ReceivedMail, reason: str, detail: str) -> Outcome:
        outcome = Outcome(
            outcome="quarantined", ses_message_id=received.ses_message_id, reason=f"{reason}: {detail}"
        )
        self._record(received, outcome, {"quarantine_reason": reason})
        self._quarantine_quietly(received, reason, detail)
        return outcome

    def _record(self, received: ReceivedMail, outcome: Outcome, fields: dict[str, Any] | None = None, extra: list[dict[str, Any]] | None = None) -> None:
        record = {**outcome.as_record(), "received_at": received.received_at, **(fields or {})}
        self.parts.tickets.record_delivery(received.ses_message_id, record, extra)

    def _archive_quietly(self, received: ReceivedMail, received_at: str) -> None:
        # Runs after the commit. If it fails, the exception propagates and the
        # queue redelivers; the redelivery sees the record and only re-archives.
        self.parts.store.archive(received.bucket, received.key, received.ses_message_id, received_at)

    def _quarantine_quietly(self, received: ReceivedMail, reason: str, detail: str) -> None:
        self.parts.store.quarantine(received.bucket, received.key, received.ses_message_id, reason, detail)


def _archive_key(received: ReceivedMail) -> str:
    from chalicelib.adapters.s3_mail_store import archive_key

    return archive_key(received.ses_message_id, received.received_at)


def _sender(mail: ParsedMail) -> Address:
    """From, else Reply-To or Sender, else the envelope sender SES recorded in Return-Path."""
    extra = (mail.header("sender"), mail.header("return-path"))
    for found in (mail.from_, mail.reply_to, *(parse_addresses(value) for value in extra)):
        if found:
            return found[0]
    return Address(email="")


def _unparseable_reason(raw: bytes, mail: ParsedMail) -> str:
    """Why this input cannot become support work, or "" when it can."""
    if not raw.strip():
        return "empty message"
    if not mail.headers:
        return "no header block"
    return ""
