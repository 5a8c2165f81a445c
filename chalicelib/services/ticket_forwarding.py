"""Forward a message, or a whole ticket, to any address, through the one outbound guard.

The forward goes from the ticket's mailbox address with the agent as Reply-To: the
answer reaches the agent, not the ticket, so the third party never becomes a participant
who would be copied on the customer's mail. It is noted in the send ledger (a bounce or
complaint from that address counts) and recorded in the thread as an audit line
(domain/forwards.py). The forwarded mail's files go along as they were received, except
risky ones (attachment_rules: they would leave from our domain), which are named instead;
files too large for one mail go as time-limited links (outbound_sending.hand_over). Forward
is the one way an agent mails any address, so each agent's forwards are counted per day
(FORWARDS_PER_AGENT_PER_DAY): past it, refused as rate_limited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from chalicelib.domain import audit, forwards
from chalicelib.domain import outbound_mail as om
from chalicelib.domain.address_ascii import NotSendable, sendable
from chalicelib.domain.mail import Attachment
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.saved_replies import AgentProfile
from chalicelib.domain.tickets import StoredAttachment, StoredMessage
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import InvalidRequest, MessageNotFound, SendRefused
from chalicelib.services import outbound_guard as guard
from chalicelib.services import outbound_sending as sending
from chalicelib.services.outbound import OutboundService
from chalicelib.settings import Settings

log = logging.getLogger("inbound.forward")
# Forwards one agent may send a day: a busy day's handful many times over, a relay's few.
FORWARDS_PER_AGENT_PER_DAY = 100
# MIME's base64 makes a file a third larger; the headers and text parts need some room too.
_BASE64 = 4 / 3
_HEADROOM = 64 * 1024


class StoredMail(Protocol):
    """Where a forward reads the thread's large bodies and files (the mail bucket)."""

    def get_raw(self, bucket: str, key: str) -> bytes: ...

    def get_body(self, key: str) -> dict[str, str]: ...


class TicketForwarding:
    def __init__(
        self,
        settings: Settings,
        outbound: OutboundService,
        mail: StoredMail,
        per_agent_per_day: int = FORWARDS_PER_AGENT_PER_DAY,
        profile: Callable[[str], AgentProfile] | None = None,
    ) -> None:
        self.settings = settings
        self.outbound = outbound
        self.mail = mail
        self.per_day = per_agent_per_day
        # The agent's display name and signature (services/composer.py), as on their replies.
        self.profile = profile or AgentProfile

    def forward(
        self, ticket_id: str, agent: str, to: str, note: str = "", message_key: str = ""
    ) -> StoredMessage:
        """Send the forward; the audit line it left on the ticket. A refused address raises
        (Suppressed / SendRefused), an invalid one InvalidRequest; nothing is sent then."""
        to = to.strip().lower()
        try:
            to = sendable(to)  # a Unicode domain as SES takes it (and the guard keys it)
        except NotSendable as exc:
            raise InvalidRequest(str(exc)) from None
        if not om.writable(to) or "@" not in to:
            raise InvalidRequest(f"{to!r} is not an address to forward to")
        if self._received_here(to):
            domain = self.settings.domain
            raise InvalidRequest(
                f"{to} would come back to this desk as a new ticket (this desk receives"
                f" every address at {domain}): forward to an address outside {domain}"
            )
        if len(note) > forwards.MAX_NOTE_CHARS:
            raise InvalidRequest(f"the note is longer than {forwards.MAX_NOTE_CHARS} characters")
        ports = self.outbound.ports
        ticket = ports.tickets.live_ticket(ticket_id)
        history = ports.tickets.messages(ticket_id)
        chosen = self._chosen(history, message_key)
        decision = self.outbound.check(to, automatic=False)
        if not decision.allowed:
            raise guard.refusal(decision, to)
        self.outbound.require_staff(agent)
        now = ports.clock()
        self._count(agent, now)
        files = tuple(a for m in chosen for a in m.attachments)
        sent_files = tuple(a for a in files if not a.risky)
        left_out = [a.filename for a in files if a.risky]
        profile = self.profile(agent)
        text = forwards.text(note, [(m, self._full_text(m)) for m in chosen], profile.signature)
        if left_out:
            text += "\nNot forwarded (files that run or render when opened): " + ", ".join(left_out) + "\n"
        outgoing = om.OutgoingMail(
            ticket_id=ticket.id,
            from_address=sending.mailbox_address(self.settings, ticket.mailbox),
            from_name=sending.team_name(ticket.mailbox, profile.display_name),
            to=(to,),
            reply_to=agent if om.writable(agent) and "@" in agent else "",
            subject=forwards.subject(chosen[-1].subject if message_key else ticket.subject, ticket.id),
            text=text,
            message_id=om.new_message_id(self.settings.domain, ticket.id),
            date=now,
        )
        outgoing = self._with_files(outgoing, sent_files)
        ses_id = sending.hand_over(self.settings, ports, outgoing, sent_files)
        at = iso_millis(now)
        region = self.settings.region
        ids = (outgoing.message_id, f"<{ses_id}@email.amazonses.com>", f"<{ses_id}@{region}.amazonses.com>")
        ports.send_ledger.record_sent((to,), ids, at, int(now.timestamp()))
        line = audit.event(
            ticket.id, agent, forwards.audit_line(to, chosen[0] if message_key else None, note), at
        )
        ports.tickets.record_event(line)
        log.info("%s forwarded %s to %s", agent, message_key or ticket.id, to)
        return line

    def _received_here(self, to: str) -> bool:
        """Whether SES would deliver `to` back to us: the receipt rule takes the mailboxes'
        addresses and every address at the domain (inbound/stage/ses_documents.py)."""
        ours = {address.lower() for address in self.settings.mailboxes}
        return to in ours or to.rpartition("@")[2] == self.settings.domain.lower()

    def _count(self, agent: str, now: datetime) -> None:
        """One forward of `agent` today, or SendRefused (rate_limited) past the day's cap.
        Forward is the one way an agent mails any address: uncounted, a script with an
        agent's token was a relay from our domain until SES paused the whole account."""
        day = now.date().isoformat()
        # The daily counters of automatic replies, under a key no address can have.
        if self.outbound.ports.auto_replies.take_auto_reply(
            f"forwards by {agent}", day, self.per_day, int(now.timestamp())
        ):
            raise SendRefused(
                f"{agent} sent {self.per_day} forwards today; more go tomorrow (the cap stops a relay)",
                RefusalReason.RATE_LIMITED,
            )

    def _chosen(self, history: list[StoredMessage], message_key: str) -> list[StoredMessage]:
        if not message_key:
            chosen = forwards.forwardable(history)
            if not chosen:
                raise InvalidRequest("the ticket holds no mail to forward")
            return chosen
        found = next((m for m in history if m.key == message_key), None)
        if found is None:
            raise MessageNotFound(message_key)
        if found.kind not in forwards.FORWARDED_KINDS:
            raise InvalidRequest(f"a {found.kind} is not forwarded: only mail received or sent")
        return [found]

    def _full_text(self, m: StoredMessage) -> str:
        if m.body.pointer:  # a large body lives in S3 whole; the item holds a preview
            return self.mail.get_body(m.body.pointer).get("text", "")
        return m.body.text

    def _with_files(self, outgoing: om.OutgoingMail, files: tuple[StoredAttachment, ...]) -> om.OutgoingMail:
        """The files as parts when they fit in one mail (read only then), else as links."""
        if not files:
            return outgoing
        size = sum(a.size for a in files) * _BASE64 + len(outgoing.text.encode()) * 2 + _HEADROOM
        if size > self.settings.max_send_bytes:
            presign = self.outbound.ports.presign
            return replace(
                outgoing, links=tuple(om.DownloadLink(a.filename, presign(a), a.size) for a in files)
            )
        bucket = self.settings.mail_bucket
        parts = tuple(
            Attachment(
                a.filename or a.safe_name, a.sniffed_type or a.declared_type, self.mail.get_raw(bucket, a.key)
            )
            for a in files
        )
        return replace(outgoing, attachments=parts)
