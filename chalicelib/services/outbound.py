"""The one way mail leaves: acknowledgements of new tickets and staff replies.

Every message passes the guard (`outbound_guard.py`, `domain/send_policy.py`) recipient
by recipient, is built and handed to SES with the configuration set, stored on its ticket
with its Message-ID indexed, and noted in the send ledger under each Message-ID it may
travel with, with its recipients (`outbound_sending.py`): a bounce or complaint that comes
back as mail counts only for a recipient of a message it names.

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
from datetime import datetime
from typing import Literal

from chalicelib.domain import audit, collisions, participants, send_policy
from chalicelib.domain import outbound_mail as om
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import Attachment, ParsedMail
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.reputation import GuardState
from chalicelib.domain.send_policy import AckState, Decision
from chalicelib.domain.sender_trust import SenderTrust
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import DONE_STATUSES, Direction, MessageKind, StoredMessage, Ticket
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import (
    AgentDisabled,
    InboundError,
    InvalidRequest,
    MergedTicket,
    SendRefused,
    StaleReply,
)
from chalicelib.services import message_builder
from chalicelib.services import outbound_guard as guard
from chalicelib.services import outbound_sending as sending
from chalicelib.services.outbound_ports import OutboundPorts
from chalicelib.services.suppression import guard_state
from chalicelib.settings import Settings

log = logging.getLogger("inbound.outbound")


@frozen
class AckResult:
    ticket_id: str
    state: Literal["sent", "refused", "already"]
    reason: str = ""
    detail: str = ""
    message: StoredMessage | None = None


class OutboundService:
    def __init__(self, settings: Settings, ports: OutboundPorts) -> None:
        self.settings = settings
        self.ports = ports

    # -- use cases ----------------------------------------------------------------
    def acknowledge(self, ticket_id: str, mail: ParsedMail, trust: SenderTrust | None = None) -> AckResult:
        """Answer a new ticket once, unless the guard refuses; never raises a refusal.

        The answer quotes nothing the sender wrote (`_acknowledgement`). A sender the trust
        policy did not authenticate (or `trust` None: not judged) is answered only where the
        mailbox answers such senders, and counts against its domain's daily cap as well.
        """
        ticket = self.ports.tickets.require_ticket(ticket_id)
        recipient = ticket.requester  # who staff replies go to, too
        authenticated = trust is not None and trust.authenticated
        quiet = not authenticated and not self.settings.acknowledges_unauthenticated(ticket.mailbox)
        now = self.ports.clock()
        acknowledgements = self.ports.acknowledgements
        earlier = acknowledgements.claim_ack(ticket_id, iso_millis(now), _epoch(now))
        if earlier is not None:
            return AckResult(ticket_id, "already", earlier.state or "", earlier.reason)
        settled = False  # SES took the mail, or the refusal is recorded: keep the claim
        try:
            why_quiet = (trust.reason if trust else "sender not judged") if quiet else ""
            trigger = send_policy.trigger_reason(mail) or self._answers_our_mail(mail, recipient, now)
            decision = self.check(recipient, automatic=True, trigger=trigger, quiet=why_quiet)
            limit = self.settings.auto_replies_per_sender_per_day
            domain_limit = 0 if authenticated else self.settings.auto_replies_per_domain_per_day
            full = (
                self.ports.auto_replies.take_auto_reply(
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
                raise guard.refusal(decision, recipient)
            outgoing = sending.acknowledgement(self.settings, self.ports, ticket, mail, recipient, now)
            ses_id = sending.hand_over(self.settings, self.ports, outgoing)
            settled = True
        except SendRefused as exc:
            acknowledgements.finish_ack(ticket_id, AckState.REFUSED, exc.reason)
            settled = True
            log.info("acknowledgement of %s refused: %s (%s)", ticket_id, exc.reason, exc)
            return AckResult(ticket_id, "refused", exc.reason, str(exc))
        finally:
            if not settled:
                acknowledgements.release_ack(ticket_id)  # SES never took it: the queue's retry may send
        message = sending.store_sent(
            self.settings,
            self.ports,
            ticket,
            outgoing,
            MessageKind.ACKNOWLEDGEMENT,
            ses_id,
            "",
            (),
            decision.warning,
            now,
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
        display_name: str = "",
    ) -> StoredMessage:
        """Send a staff reply to the requester (Cc the other participants); the stored message.

        A refused requester raises (Suppressed or SendRefused with its reason); a refused
        Cc, or one over SES's recipient limit, is left out and named in the message's
        `reason`, with any reputation warning: participants never make a reply fail.
        A blank reply is refused (InvalidRequest), and so is one to a ticket merged into
        another (MergedTicket, naming the survivor): nothing is sent. A sent reply moves the
        ticket to `pending` (domain/tickets.py's status model); on a solved or closed ticket
        it reopens it to `pending` through the desk (`ports.reopener`). `last_seen`: the key of
        the last message the agent saw; a customer mail, a colleague's reply, or a colleague
        solving or closing the ticket after it refuses the reply (StaleReply,
        domain/collisions.py). `display_name`: the agent's, for From
        ("Ana at Support team"); the address stays the mailbox's.
        """
        if not text.strip() and not attachments:
            raise InvalidRequest("the reply is empty: write the answer first")
        self.require_staff(agent)
        tickets = self.ports.tickets
        ticket = tickets.live_ticket(ticket_id)
        now = self.ports.clock()
        state = guard_state(self.ports.counters, self.settings, now, self.ports.account_rates())
        requester = self.check(ticket.requester, automatic=False, state=state)
        if not requester.allowed:
            self._refused(ticket, agent, f"{requester.reason} ({requester.detail})", now)
            raise guard.refusal(requester, ticket.requester)
        warnings = [requester.warning] if requester.warning else []

        def refusal_of(address: str) -> str:
            if not om.writable(address):
                return "not a valid address"
            decision = self.check(address, automatic=False, state=state)
            return "" if decision.allowed else f"{decision.reason} ({decision.detail})"

        copied = [a for a in ticket.copied if not guard.is_own(self.settings, a)]
        recipients = participants.reply_recipients(ticket.requester, copied, refusal_of)
        warnings += recipients.left_out
        history = tickets.messages(ticket_id)
        if last_seen is not None:
            newer = collisions.unseen(history, last_seen, agent)
            if newer != ():
                reason = collisions.stale_reason(newer, now)
                self._refused(ticket, agent, reason, now)
                raise StaleReply(reason, newer or ())
            holder = self.ports.reply_claims.claim(ticket_id, last_seen, agent, int(now.timestamp()))
            if holder != agent:  # a colleague pressed Send on the same thread a moment earlier
                reason = collisions.sending_reason(holder)
                self._refused(ticket, agent, reason, now)
                raise StaleReply(reason)
        inbound = [m for m in history if m.direction == Direction.INBOUND and m.message_id]
        key = f"out-{uuid.uuid4().hex[:24]}"
        stored = message_builder.store_attachments(
            self.ports.store, ParsedMail(attachments=attachments), ticket_id, key
        )
        outgoing = om.OutgoingMail(
            ticket_id=ticket_id,
            from_address=sending.mailbox_address(self.settings, ticket.mailbox),
            from_name=sending.team_name(ticket.mailbox, display_name),
            to=recipients.to,
            cc=recipients.cc,
            reply_to=sending.reply_to(self.settings, self.ports, ticket),
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
            ses_id = sending.hand_over(self.settings, self.ports, outgoing, stored)
        except Exception:
            if last_seen is not None:  # nothing went out: a colleague may answer after all
                self.ports.reply_claims.release(ticket_id, last_seen, agent)
            raise
        warning = "; ".join(warnings)
        try:
            message = sending.store_sent(
                self.settings,
                self.ports,
                ticket,
                outgoing,
                MessageKind.STAFF,
                ses_id,
                agent,
                stored,
                warning,
                now,
                key,
            )
        except MergedTicket as merged:  # merged while it was being sent: keep it on the survivor
            survivor = tickets.live_ticket(merged.into)
            message = sending.store_sent(
                self.settings,
                self.ports,
                survivor,
                outgoing,
                MessageKind.STAFF,
                ses_id,
                agent,
                stored,
                warning,
                now,
                key,
            )
        if ticket.status in DONE_STATUSES:
            self._reopen(message.ticket_id, agent)
        if self.ports.publish_event is not None:
            self.ports.publish_event(
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
        """The guard's decision for one recipient (services/outbound_guard.py).
        `quiet`: why an automatic answer to this unauthenticated sender is not wanted."""
        return guard.decide(self.settings, self.ports, recipient, automatic, trigger, state, quiet)

    def require_staff(self, agent: str) -> None:
        """AgentDisabled unless `agent` is on the staff now. Mail an agent sends (a reply, a
        held reply when its window ends, a forward, an announcement) asks the directory
        itself: the request's check may be up to INBOUND_STAFF_CHECK_SECONDS old (SECURITY.md),
        and a just-disabled agent must not mail anyone in that window."""
        disabled = self.ports.staff_disabled
        if disabled is not None and disabled(agent):
            raise AgentDisabled(f"{agent} is no longer enabled on the staff: nothing was sent")

    # -- steps ----------------------------------------------------------------------
    def _answers_our_mail(self, mail: ParsedMail, recipient: str, now: datetime) -> str:
        """Why a mail that answers mail we sent to `recipient` gets no automatic answer, or "".
        An auto-responder without RFC 3834's Auto-Submitted answers our acknowledgement, which
        (unauthenticated) opens a ticket, which would be acknowledged again: a loop."""
        ids = list(dict.fromkeys([*mail.in_reply_to, *mail.references[-20:]]))
        sent = self.ports.send_ledger.sent_messages(ids, _epoch(now)) if ids else {}
        answered = next((m for m, to in sent.items() if recipient in to), "")
        return f"a reply to {answered}, which we sent to {recipient}" if answered else ""

    def _reopen(self, ticket_id: str, agent: str) -> None:
        """The reply went out on a solved or closed ticket: the conversation goes on, so the
        ticket is pending again. Best effort: the mail is sent whatever this answers."""
        if self.ports.reopener is None:
            return
        try:
            self.ports.reopener.reopen(ticket_id, agent)
        except InboundError as exc:  # merged or changed meanwhile: the colleague's edit stands
            log.warning("reply on %s sent, ticket not reopened: %s", ticket_id, exc)

    def _refused(self, ticket: Ticket, agent: str, why: str, now: datetime) -> None:
        """The audit line of a reply that was not sent, and why."""
        self.ports.tickets.record_event(
            audit.event(ticket.id, agent, f"reply not sent: {why}", iso_millis(now))
        )


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
