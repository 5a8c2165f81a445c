"""Undo-send: hold a staff reply for the stage's send delay, then send it, unless undone.

`hold` checks now what would refuse the reply later (a blank reply, a ticket merged away,
a requester the guard refuses, a refused file, a thread the agent has not read to the end) and claims the reply after the
last message seen, so a colleague's Send at the same moment is refused (409) at once, as
without a delay. Then it stores the reply `waiting` and queues its send, delayed by the
window. `send_due` (the `send_reply` function, when the delayed message arrives) and
`undo` (the agent's button) each take the reply with one conditional move
(domain/held_replies.py): whichever comes first wins, the other does nothing. The send
itself is `OutboundService.reply`: the one outbound guard, checked at the moment it leaves.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.domain import collisions
from chalicelib.domain.held_replies import KEEP_SECONDS, MAX_HELD_BYTES, HeldReply, HeldState, send_delay
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import (
    AgentDisabled,
    AssignedElsewhere,
    Forbidden,
    InboundError,
    InvalidRequest,
    MergedTicket,
    MessageNotFound,
    SecretsUnavailable,
    SendRefused,
    StaleReply,
    TicketConflict,
    TicketNotFound,
)
from chalicelib.services import outbound_guard as guard
from chalicelib.services.outbound import OutboundService
from chalicelib.services.ports.held import HeldReplies, SendQueue
from chalicelib.services.reply_uploads import ReplyUploads

log = logging.getLogger("inbound.held")


class HeldReplySender:
    def __init__(
        self,
        store: HeldReplies,
        queue: SendQueue,
        outbound: OutboundService,
        uploads: ReplyUploads,
        delay_seconds: int,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.queue = queue
        self.outbound = outbound
        self.uploads = uploads
        self.delay = send_delay(delay_seconds)
        self.clock = clock or outbound.ports.clock

    def hold(
        self,
        ticket_id: str,
        agent: str,
        text: str,
        html: str = "",
        display_name: str = "",
        uploads: tuple[str, ...] = (),
        last_seen: str | None = None,
    ) -> HeldReply:
        """Hold the reply for the window and queue its send; what would refuse it, now."""
        if not text.strip() and not uploads:
            raise InvalidRequest("the reply is empty: write the answer first")
        if len(text.encode()) + len(html.encode()) > MAX_HELD_BYTES:
            raise InvalidRequest(f"a reply over {MAX_HELD_BYTES} bytes cannot wait for an undo: shorten it")
        ports = self.outbound.ports
        ticket = ports.tickets.live_ticket(ticket_id)  # MergedTicket / TicketNotFound
        decision = self.outbound.check(ticket.requester, automatic=False)
        if not decision.allowed:  # suppressed, sandboxed...: refused now, checked again at send
            raise guard.refusal(decision, ticket.requester)
        if uploads:
            self.uploads.attachments(ticket_id, uploads)  # a refused file is refused now
        now = self.clock()
        if last_seen is not None:
            newer = collisions.unseen(ports.tickets.messages(ticket_id), last_seen, agent)
            if newer != ():
                raise StaleReply(collisions.stale_reason(newer, now), newer or ())
            holder = ports.reply_claims.claim(ticket_id, last_seen, agent, int(now.timestamp()))
            if holder != agent:
                raise StaleReply(collisions.sending_reason(holder))
        held = HeldReply(
            ticket_id=ticket_id,
            hold_id=uuid.uuid4().hex,
            agent=agent,
            text=text,
            html=html,
            display_name=display_name,
            uploads=tuple(uploads),
            last_seen=last_seen or "",
            held_at=iso_millis(now),
            send_at=iso_millis(now + timedelta(seconds=self.delay)),
        )
        self.store.hold(held, int(now.timestamp()) + KEEP_SECONDS)
        self.queue.enqueue({"ticket": ticket_id, "hold": held.hold_id}, self.delay)
        return held

    def status(self, ticket_id: str, hold_id: str) -> HeldReply:
        held = self.store.get(ticket_id, hold_id)
        if held is None:
            raise MessageNotFound(f"no held reply {hold_id} on {ticket_id}")
        return held

    def pending(self, ticket_id: str, agent: str) -> list[HeldReply]:
        """`agent`'s replies on the ticket not yet sent (a page loaded again shows them)."""
        return [
            held
            for held in self.store.of_ticket(ticket_id)
            if held.agent == agent and held.state in (HeldState.WAITING, HeldState.SENDING)
        ]

    def undo(self, ticket_id: str, hold_id: str, agent: str) -> HeldReply:
        """Cancel the reply for certain, or TicketConflict (409) when its send began first."""
        held = self.status(ticket_id, hold_id)
        if held.agent != agent:
            raise Forbidden("only the agent who wrote a reply can undo it")
        if self.store.move(ticket_id, hold_id, HeldState.WAITING, HeldState.CANCELLED):
            if held.last_seen:  # nothing went out: the thread is open to answer again
                self.outbound.ports.reply_claims.release(ticket_id, held.last_seen, agent)
            return replace(held, state=HeldState.CANCELLED)
        now = self.status(ticket_id, hold_id)
        raise TicketConflict(f"too late to undo: the reply is {now.state}")

    def send_due(self, ticket_id: str, hold_id: str) -> HeldState | None:
        """Send a held reply whose window has passed; None when it was undone (or taken)."""
        if not self.store.move(ticket_id, hold_id, HeldState.WAITING, HeldState.SENDING):
            return None
        held = self.status(ticket_id, hold_id)
        try:
            files = self.uploads.attachments(ticket_id, held.uploads) if held.uploads else ()
            sent = self.outbound.reply(
                ticket_id,
                held.agent,
                held.text,
                html=held.html or None,
                attachments=files,
                last_seen=held.last_seen or None,
                display_name=held.display_name,
            )
        except Exception as exc:
            if isinstance(exc, InboundError) and not isinstance(exc, SecretsUnavailable):
                # refused (guard, thread, merge, files): final, with the reason
                code, values = refusal_code(exc)
                self.store.move(
                    ticket_id,
                    hold_id,
                    HeldState.SENDING,
                    HeldState.REFUSED,
                    reason=str(exc),
                    reason_code=code,
                    reason_values=values,
                )
                log.info("held reply %s on %s refused: %s", hold_id, ticket_id, exc)
                return HeldState.REFUSED
            # Not sent (SES throttling, a network error, SSM out): waiting again, for the queue's retry.
            self.store.move(ticket_id, hold_id, HeldState.SENDING, HeldState.WAITING)
            raise
        self.store.move(ticket_id, hold_id, HeldState.SENDING, HeldState.SENT, message_key=sent.key)
        return HeldState.SENT


# What may refuse a held reply when its time comes, besides the guard: each error's code
# (errors.py, the word the API answers it with) is kept with the English text, and the
# console says the code's sentence in the agent's language (i18n.js `reason`).
REFUSALS: tuple[type[InboundError], ...] = (
    StaleReply,
    TicketConflict,
    TicketNotFound,
    MessageNotFound,
    InvalidRequest,
    AgentDisabled,
    Forbidden,
)


def refusal_code(exc: InboundError) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The refusal's stable code and the values its sentence names ("" when none fits)."""
    if isinstance(exc, MergedTicket):
        return exc.code, (("merged_into", exc.into),)
    if isinstance(exc, AssignedElsewhere):
        return exc.code, (("assignee", exc.assignee),)
    return (exc.code if isinstance(exc, (SendRefused, *REFUSALS)) else ""), ()
