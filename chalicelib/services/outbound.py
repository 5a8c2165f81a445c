"""The one way mail leaves: acknowledgements of new tickets and staff replies.

Every message passes the guard (`domain/send_policy.py`) recipient by recipient,
is built here (`domain/outbound_mail.py`), handed to SES with the configuration
set, stored on its ticket with its Message-ID indexed, and noted in the send ledger
under each Message-ID it may travel with, with its recipients: a bounce or
complaint that comes back as mail counts only for a recipient of a message it names.

Acknowledgements are idempotent per ticket through a marker claimed with a
conditional put BEFORE the send. The trade-off: if the process dies after SES
accepted the mail but before the marker says "sent", a redelivery finds the claim
and sends nothing, so a ticket may miss its acknowledgement but never gets two.
A send that fails before SES accepted it (throttling, a network error) releases
the claim, so the queue's retry acknowledges. A refusal is final and recorded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from chalicelib.domain import audit, collisions, participants, send_policy
from chalicelib.domain import outbound_mail as om
from chalicelib.domain.mail import Attachment, ParsedMail
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.reply_tokens import reply_address
from chalicelib.domain.reputation import GuardState
from chalicelib.domain.send_policy import AckState, Decision, SendFacts
from chalicelib.domain.sender_trust import SenderTrust
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import (
    Body,
    Direction,
    MessageKind,
    StoredAttachment,
    StoredMessage,
    ThreadSignal,
    Ticket,
    status_after_reply,
)
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import InvalidRequest, MergedTicket, SendRefused, StaleReply, Suppressed
from chalicelib.services import message_builder
from chalicelib.services.ports import (
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
from chalicelib.services.suppression import guard_state
from chalicelib.settings import Settings

log = logging.getLogger("inbound.outbound")


@dataclass(frozen=True)
class OutboundParts:
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
    # Who is answering which message: two Sends at the same moment mail once.
    reply_claims: ReplyClaims
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Ticket events for integrations (the desk's SNS publisher); best effort.
    publish_event: Callable[[EventKind, str, dict[str, Any]], object] | None = None
    # The SES account's (bounce, complaint) rates, cached (adapters/cloudwatch_reputation).
    account_rates: AccountRates = lambda: (None, None)


@dataclass(frozen=True)
class AckResult:
    ticket_id: str
    state: Literal["sent", "refused", "already"]
    reason: str = ""
    detail: str = ""
    message: StoredMessage | None = None


def refusal(decision: Decision, recipient: str) -> SendRefused:
    """The typed error for a refused decision."""
    kind = Suppressed if decision.reason == RefusalReason.SUPPRESSED else SendRefused
    return kind(decision.detail, decision.reason, recipient)


class OutboundService:
    def __init__(self, settings: Settings, parts: OutboundParts) -> None:
        self.settings = settings
        self.parts = parts

    # -- use cases ----------------------------------------------------------------
    def acknowledge(self, ticket_id: str, mail: ParsedMail, trust: SenderTrust | None = None) -> AckResult:
        """Answer a new ticket once, unless the guard refuses; never raises a refusal.

        The answer quotes nothing the sender wrote (`_acknowledgement`). A sender the trust
        policy did not authenticate (or `trust` None: not judged) is answered only where the
        mailbox answers such senders, and counts against its domain's daily cap as well.
        """
        ticket = self.parts.tickets.require_ticket(ticket_id)
        recipient = ticket.requester  # who staff replies go to, too
        authenticated = trust is not None and trust.authenticated
        quiet = not authenticated and not self.settings.acknowledges_unauthenticated(ticket.mailbox)
        now = self.parts.clock()
        acknowledgements = self.parts.acknowledgements
        earlier = acknowledgements.claim_ack(ticket_id, iso_millis(now), _epoch(now))
        if earlier is not None:
            return AckResult(ticket_id, "already", earlier.state or "", earlier.reason)
        settled = False  # SES took the mail, or the refusal is recorded: keep the claim
        try:
            why_quiet = (trust.reason if trust else "sender not judged") if quiet else ""
            decision = self.check(
                recipient, automatic=True, trigger=send_policy.trigger_reason(mail), quiet=why_quiet
            )
            limit = self.settings.auto_replies_per_sender_per_day
            domain_limit = 0 if authenticated else self.settings.auto_replies_per_domain_per_day
            full = (
                self.parts.auto_replies.take_auto_reply(
                    recipient, now.date().isoformat(), limit, _epoch(now), domain_limit
                )
                if decision.allowed
                else ""
            )
            if full == "recipient":
                decision = Decision(
                    False, RefusalReason.RATE_LIMITED, f"{recipient} had {limit} automatic replies today"
                )
            elif full == "domain":
                domain = recipient.rpartition("@")[2]
                decision = Decision(
                    False,
                    RefusalReason.RATE_LIMITED,
                    f"{domain} had {domain_limit} automatic replies to unauthenticated senders today",
                )
            if not decision.allowed:
                raise refusal(decision, recipient)
            outgoing = self._acknowledgement(ticket, mail, recipient, now)
            ses_id = self._hand_over(outgoing)
            settled = True
        except SendRefused as exc:
            acknowledgements.finish_ack(ticket_id, AckState.REFUSED, exc.reason)
            settled = True
            log.info("acknowledgement of %s refused: %s (%s)", ticket_id, exc.reason, exc)
            return AckResult(ticket_id, "refused", exc.reason, str(exc))
        finally:
            if not settled:
                acknowledgements.release_ack(ticket_id)  # SES never took it: the queue's retry may send
        message = self._store(
            ticket, outgoing, MessageKind.ACKNOWLEDGEMENT, ses_id, "", (), decision.warning, now
        )
        acknowledgements.finish_ack(ticket_id, AckState.SENT, "", message.key)
        return AckResult(ticket_id, "sent", message=message)

    def reply(
        self,
        ticket_id: str,
        agent: str,
        text: str,
        html: str | None = None,
        attachments: tuple[Attachment, ...] = (),
        last_seen: str | None = None,
    ) -> StoredMessage:
        """Send a staff reply to the requester (Cc the other participants); the stored message.

        A refused requester raises (Suppressed or SendRefused with its reason); a refused
        Cc, or one over SES's recipient limit, is left out and named in the message's
        `reason`, with any reputation warning: participants never make a reply fail.
        A blank reply is refused (InvalidRequest), and so is one to a ticket merged into
        another (MergedTicket, naming the survivor): nothing is sent. A sent reply moves the
        ticket to `pending` (domain/tickets.py's status model). `last_seen`: the key of the
        last message the agent saw; a customer mail or a colleague's reply after it refuses
        the reply (StaleReply, domain/collisions.py).
        """
        if not text.strip() and not attachments:
            raise InvalidRequest("the reply is empty: write the answer first")
        tickets = self.parts.tickets
        ticket = tickets.live_ticket(ticket_id)
        now = self.parts.clock()
        state = guard_state(self.parts.counters, self.settings, now, self.parts.account_rates())
        requester = self.check(ticket.requester, automatic=False, state=state)
        if not requester.allowed:
            self._refused(ticket, agent, f"{requester.reason} ({requester.detail})", now)
            raise refusal(requester, ticket.requester)
        warnings = [requester.warning] if requester.warning else []

        def refusal_of(address: str) -> str:
            if not om.writable(address):
                return "not a valid address"
            decision = self.check(address, automatic=False, state=state)
            return "" if decision.allowed else f"{decision.reason} ({decision.detail})"

        copied = [a for a in ticket.copied if not self._own(a)]
        recipients = participants.reply_recipients(ticket.requester, copied, refusal_of)
        warnings += recipients.left_out
        history = tickets.messages(ticket_id)
        if last_seen is not None:
            newer = collisions.unseen(history, last_seen, agent)
            if newer != ():
                reason = collisions.stale_reason(newer, now)
                self._refused(ticket, agent, reason, now)
                raise StaleReply(reason, newer or ())
            holder = self.parts.reply_claims.claim(ticket_id, last_seen, agent, int(now.timestamp()))
            if holder != agent:  # a colleague pressed Send on the same thread a moment earlier
                reason = collisions.sending_reason(holder)
                self._refused(ticket, agent, reason, now)
                raise StaleReply(reason)
        inbound = [m for m in history if m.direction == Direction.INBOUND and m.message_id]
        key = f"out-{uuid.uuid4().hex[:24]}"
        stored = message_builder.store_attachments(
            self.parts.store, ParsedMail(attachments=attachments), ticket_id, key
        )
        outgoing = om.OutgoingMail(
            ticket_id=ticket_id,
            from_address=self._mailbox_address(ticket.mailbox),
            from_name=self._team(ticket.mailbox),
            to=recipients.to,
            cc=recipients.cc,
            reply_to=self._reply_to(ticket),
            subject=om.reply_subject(ticket.subject, ticket_id),
            text=text,
            html=html or "",
            message_id=om.new_message_id(self.settings.domain, ticket_id),
            in_reply_to=inbound[-1].message_id if inbound else "",
            references=om.thread_ids([m.message_id for m in history if m.message_id]),
            attachments=attachments,
            date=now,
        )
        try:
            ses_id = self._hand_over(outgoing, stored)
        except Exception:
            if last_seen is not None:  # nothing went out: a colleague may answer after all
                self.parts.reply_claims.release(ticket_id, last_seen, agent)
            raise
        warning = "; ".join(warnings)
        try:
            message = self._store(
                ticket, outgoing, MessageKind.STAFF, ses_id, agent, stored, warning, now, key
            )
        except MergedTicket as merged:  # merged while it was being sent: keep it on the survivor
            survivor = tickets.live_ticket(merged.into)
            message = self._store(
                survivor, outgoing, MessageKind.STAFF, ses_id, agent, stored, warning, now, key
            )
        if self.parts.publish_event is not None:
            self.parts.publish_event(
                EventKind.STAFF_REPLIED, ticket_id, {"by": agent, "message": message.key}
            )
        return message

    def check(
        self,
        recipient: str,
        automatic: bool,
        trigger: str = "",
        state: GuardState | None = None,
        quiet: str = "",
    ) -> Decision:
        """The guard's decision for one recipient; look-ups stop at the first refusal.
        `quiet`: why an automatic answer to this unauthenticated sender is not wanted."""
        now = self.parts.clock()
        entry = self.parts.suppression_list.get(recipient, _epoch(now)) if recipient else None
        facts = SendFacts(
            recipient=recipient,
            automatic=automatic,
            suppression_reason=entry.reason if entry else "",
            own_address=bool(recipient) and self._own(recipient),
            trigger_automatic=trigger,
            unauthenticated_refused=quiet,
            daily_limit=self.settings.auto_replies_per_sender_per_day,
        )
        if entry is None and recipient:
            facts = replace(facts, account_suppressed=self.parts.sender.account_suppressed(recipient)[0])
        early = send_policy.decide(replace(facts, automatic=False))  # rules 1-2 only
        if not early.allowed:
            return early
        sandbox = self._sandbox()
        if sandbox:
            facts = replace(facts, sandbox=True, recipient_verified=self.parts.sender.is_verified(recipient))
        state = state or guard_state(self.parts.counters, self.settings, now, self.parts.account_rates())
        facts = replace(facts, reputation_state=state.state, reputation_note=state.note)
        if automatic and recipient:
            today = now.date().isoformat()
            facts = replace(
                facts, sent_to_recipient_today=self.parts.auto_replies.auto_replies(recipient, today)
            )
        return send_policy.decide(facts)

    # -- steps ----------------------------------------------------------------------
    def _refused(self, ticket: Ticket, agent: str, why: str, now: datetime) -> None:
        """The audit line of a reply that was not sent, and why."""
        self.parts.tickets.record_event(
            audit.event(ticket.id, agent, f"reply not sent: {why}", iso_millis(now))
        )

    def _acknowledgement(
        self, ticket: Ticket, mail: ParsedMail, recipient: str, now: datetime
    ) -> om.OutgoingMail:
        """The same neutral words for everyone: no display name, no subject, nothing the mail
        said. Whoever writes From: can make us send this to that address, so anything of
        theirs in it (a name with line breaks, a subject "Your account is locked: call ...")
        would go out from our domain, DKIM-signed by SES: a phishing relay. A cleaned,
        shortened subject can still carry a phone number or a lure, so none is quoted."""
        team = self._team(ticket.mailbox)
        text = (
            f"Hello,\n\nwe have received your request {ticket.id}. A member of our team will "
            f"answer soon.\n\nTo add anything, reply to this mail and keep [{ticket.id}] in the "
            f"subject.\n\n-- \n{team}\n"
        )
        return om.OutgoingMail(
            ticket_id=ticket.id,
            from_address=self._mailbox_address(ticket.mailbox),
            from_name=team,
            to=(recipient,),
            reply_to=self._reply_to(ticket),
            subject=om.acknowledgement_subject(ticket.id),
            text=text,
            message_id=om.new_message_id(self.settings.domain, ticket.id),
            in_reply_to=mail.message_id,
            references=om.thread_ids([*mail.references, mail.message_id]),
            automatic=True,
            date=now,
        )

    def _hand_over(self, outgoing: om.OutgoingMail, stored: tuple[StoredAttachment, ...] = ()) -> str:
        """Build the MIME (links instead of attachments when too large) and send it."""
        raw = om.build_mime(outgoing)
        limit = self.settings.max_send_bytes
        if len(raw) > limit and stored:
            links = tuple(om.DownloadLink(a.filename, self.parts.presign(a), a.size) for a in stored)
            outgoing = replace(outgoing, attachments=(), links=links)
            raw = om.build_mime(outgoing)
        if len(raw) > limit:
            raise SendRefused(
                f"the message is {len(raw)} bytes; SES accepts {limit}", RefusalReason.TOO_LARGE
            )
        return self.parts.sender.send_raw(raw, outgoing.from_address, list(outgoing.recipients))

    def _store(
        self,
        ticket: Ticket,
        outgoing: om.OutgoingMail,
        kind: MessageKind,
        ses_id: str,
        agent: str,
        attachments: tuple[StoredAttachment, ...],
        warning: str,
        now: datetime,
        key: str = "",
    ) -> StoredMessage:
        """Store what was sent on `ticket`; a staff reply moves its status on too."""
        key = key or f"out-{ses_id}"
        text, html = outgoing.text, outgoing.html
        body = Body(text=text, html=html)
        if len(text.encode()) + len(html.encode()) > self.settings.inline_body_limit:
            pointer = f"bodies/{ticket.id}/{key}.json"
            self.parts.store.put_body(pointer, {"text": text, "html": html, "reply_text": ""})
            body = Body(text=text[:2000], pointer=pointer)
        message = StoredMessage(
            ticket_id=ticket.id,
            key=key,
            direction=Direction.OUTBOUND,
            kind=kind,
            sender=outgoing.from_address,
            sender_name=agent or outgoing.from_name,
            to=outgoing.to,
            cc=outgoing.cc,
            subject=outgoing.subject,
            message_id=outgoing.message_id,
            received_at=iso_millis(now),
            thread_signal=ThreadSignal.NEW,
            body=body,
            reason=warning,
            attachments=attachments,
        )
        region = self.settings.region
        aliases = (f"<{ses_id}@email.amazonses.com>", f"<{ses_id}@{region}.amazonses.com>")
        moved = (ticket, status_after_reply(ticket.status)) if kind == MessageKind.STAFF else None
        self.parts.tickets.record_outbound(ticket.mailbox, message, aliases, ses_id, moved)
        ids = (outgoing.message_id, *aliases)
        self.parts.send_ledger.record_sent(outgoing.recipients, ids, message.received_at, _epoch(now))
        return message

    # -- small facts ------------------------------------------------------------------
    def _sandbox(self) -> bool | None:
        mode = self.settings.ses_sandbox
        if mode in ("true", "false"):
            return mode == "true"
        production = self.parts.sender.production_access()
        return None if production is None else not production

    def _own(self, address: str) -> bool:
        return send_policy.is_own_address(address, self.settings.domain, self.settings.mailboxes)

    def _mailbox_address(self, mailbox: str) -> str:
        for address, name in self.settings.mailboxes.items():
            if name == mailbox:
                return address
        return f"{mailbox}@{self.settings.domain}"

    def _team(self, mailbox: str) -> str:
        return f"{mailbox.replace('-', ' ').title()} team"

    def _reply_to(self, ticket: Ticket) -> str:
        secret = self.parts.reply_secrets()[0]
        return reply_address(secret, self._mailbox_address(ticket.mailbox), ticket.id, ticket.token_nonce)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
