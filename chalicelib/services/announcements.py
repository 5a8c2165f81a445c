"""Announcements: choose an audience, preview, test, queue the send, report, opt out.

Who it goes to (the requesters of matching tickets, read from the staff queue's own
index, or an uploaded list) is `announcement_audience`'s; the send itself is
`announcement_sending`'s.
"""

from __future__ import annotations

import html as html_lib
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain import announcements as ann
from chalicelib.domain import customer_texts
from chalicelib.domain import outbound_mail as om
from chalicelib.domain.address_ascii import NotSendable, sendable
from chalicelib.domain.announcements import AnnouncementState, RecipientState
from chalicelib.domain.feedback_events import FeedbackAction, FeedbackKind, normalise_address
from chalicelib.domain.frozen import frozen
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import InvalidRequest, SendRefused
from chalicelib.services.announcement_audience import AudienceFilter, listed_recipients, requesters
from chalicelib.services.announcement_sending import BATCH_RECIPIENTS

if TYPE_CHECKING:
    from chalicelib.domain.feedback_events import FeedbackEvent
    from chalicelib.domain.send_policy import Decision
    from chalicelib.services.ports.outbound import AnnouncementStore
    from chalicelib.services.ports.tickets import TicketQueue
    from chalicelib.settings import Settings

log = logging.getLogger("inbound.announcements")
HEADER = "X-Inbound-Announcement"  # names the announcement in SES's events (mail.headers)
_EVENT_STATES = {
    (FeedbackKind.SEND, FeedbackAction.COUNT): RecipientState.SENT,
    (FeedbackKind.DELIVERY, FeedbackAction.COUNT): RecipientState.DELIVERED,
    (FeedbackKind.BOUNCE, FeedbackAction.SUPPRESS): RecipientState.BOUNCED,
    (FeedbackKind.COMPLAINT, FeedbackAction.SUPPRESS): RecipientState.COMPLAINED,
}


@frozen
class Draft:
    announcement: ann.Announcement
    recipients: list[ann.Recipient]
    invalid: list[str]
    sample: bytes  # the mail the first recipient would get
    unauthenticated: int = 0  # requesters left out: their mail was not authenticated

    def as_dict(self) -> dict[str, object]:
        return {
            **self.announcement.as_dict(),
            "audience_count": len(self.recipients),
            "invalid": self.invalid,
            "left_out_unauthenticated": self.unauthenticated,
        }


@frozen
class AnnouncementPorts:
    store: AnnouncementStore
    queue: TicketQueue
    sanitise_html: Callable[[str], str]
    reply_secrets: Callable[[], tuple[bytes, ...]]
    public_url: Callable[[], str]  # the stage's URL; PublicUrlMissing where it has none
    send_test: Callable[[bytes, str, list[str]], str]  # the guard's check is the caller's
    check: Callable[[str], Decision]  # the outbound guard's decision (staff-mail rules)
    enqueue: Callable[[dict[str, Any], int], None]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # AgentDisabled unless the agent is on the staff now (OutboundService.require_staff).
    require_staff: Callable[[str], None] = lambda agent: None


class AnnouncementService:
    def __init__(self, settings: Settings, ports: AnnouncementPorts) -> None:
        self.settings = settings
        self.ports = ports

    # -- audience -----------------------------------------------------------------
    def audience(self, chosen: AudienceFilter) -> list[ann.Recipient]:
        """One recipient per requester of the matching tickets (`announcement_audience`)."""
        return self.audience_of(chosen)[0]

    def audience_of(self, chosen: AudienceFilter) -> tuple[list[ann.Recipient], int]:
        """The audience, and how many requesters it leaves out as unauthenticated."""
        return requesters(self.ports.queue, self.settings, chosen)

    @staticmethod
    def audience_from_list(lines: Iterable[str]) -> tuple[list[ann.Recipient], list[str]]:
        """Recipients from an uploaded list, and its invalid lines (`announcement_audience`)."""
        return listed_recipients(lines)

    # -- drafting -----------------------------------------------------------------
    def draft(
        self,
        mailbox: str,
        subject: str,
        text: str,
        recipients: list[ann.Recipient],
        html: str = "",
        audience: str = "",
        by: str = "",
        invalid: list[str] | None = None,
        unauthenticated: int = 0,
    ) -> Draft:
        """The announcement as it would be stored, and one rendered mail; nothing is written.
        `unauthenticated`: the requesters the audience left out as such (the preview says so)."""
        if mailbox not in self.settings.mailboxes.values():
            raise InvalidRequest(
                f"unknown mailbox {mailbox!r}: one of {', '.join(self.settings.mailboxes.values())}"
            )
        if not subject.strip() or not text.strip():
            raise InvalidRequest("an announcement needs a subject and a text body")
        now = self.ports.clock()
        announcement = ann.Announcement(
            id=ann.new_id(now),
            mailbox=mailbox,
            subject=" ".join(subject.split()),
            text=text,
            html=self.ports.sanitise_html(html) if html.strip() else "",
            audience=audience,
            created_at=iso_millis(now),
            created_by=by,
            total=len(recipients),
        )
        sample = self.build(announcement, recipients[0]) if recipients else b""
        return Draft(announcement, recipients, list(invalid or []), sample, unauthenticated)

    def create(self, draft: Draft) -> ann.Announcement:
        if not draft.recipients:
            raise InvalidRequest("the audience is empty: nothing to announce")
        self.ports.store.create(draft.announcement, draft.recipients)
        return draft.announcement

    def require(self, announcement_id: str) -> ann.Announcement:
        found = self.ports.store.get(announcement_id)
        if found is None:
            raise InvalidRequest(f"no announcement {announcement_id!r}: `inbound announce list` shows them")
        return found

    # -- the mail -------------------------------------------------------------------
    def unsubscribe_url(self, address: str, announcement_id: str) -> str:
        """The one-click link: its token signs the address and the announcement alike."""
        token = ann.unsubscribe_token(self.ports.reply_secrets()[0], address, announcement_id)
        return f"{self.ports.public_url()}/u/{token}"

    def _link(self, announcement: ann.Announcement, address: str) -> str:
        return self.unsubscribe_url(address, announcement.id)

    def build(self, announcement: ann.Announcement, recipient: ann.Recipient) -> bytes:
        """The raw mail for one recipient: placeholders filled, the opt-out link in the
        body's footer and in RFC 8058's headers."""
        url = self._link(announcement, recipient.address)
        from_address = self.from_address(announcement.mailbox)
        language = self.settings.default_language  # the footer's; the text is the staff's own
        footer = customer_texts.announcement_footer(url, language)
        html = ann.render(announcement.html, recipient, as_html=True) if announcement.html else ""
        if html:
            html += customer_texts.announcement_html_footer(html_lib.escape(url), language)
        outgoing = om.OutgoingMail(
            ticket_id="",
            from_address=from_address,
            from_name=customer_texts.team_name(announcement.mailbox, language),
            to=(recipient.address,),
            reply_to=from_address,
            subject=ann.render(announcement.subject, recipient).replace("\r", " ").replace("\n", " "),
            text=ann.render(announcement.text, recipient).rstrip() + footer,
            html=html,
            message_id=om.new_message_id(self.settings.domain),
            date=self.ports.clock(),
            extra_headers=(
                *ann.unsubscribe_headers(url, from_address),
                (HEADER, announcement.id),
                # RFC 3834 responders do not answer bulk mail: no out-of-office flood back.
                ("Precedence", "bulk"),
            ),
        )
        return om.build_mime(outgoing)

    def test(self, announcement_id: str, to: str, by: str = "") -> str:
        """One copy to `to` (staff themselves), through the guard; SES's message id. `by`: the
        agent asking, who must be on the staff now (the CLI's operator names none)."""
        if by:
            self.ports.require_staff(by)
        announcement = self.require(announcement_id)
        try:
            address = sendable(normalise_address(to))
        except NotSendable as exc:
            raise InvalidRequest(str(exc)) from None
        decision = self.ports.check(address)
        if not decision.allowed:
            raise SendRefused(decision.detail, decision.reason, address)
        raw = self.build(announcement, ann.Recipient(address, name="", ticket="T-0"))
        return self.ports.send_test(raw, self.from_address(announcement.mailbox), [address])

    # -- sending and reporting ---------------------------------------------------------
    def start(self, announcement_id: str, by: str = "") -> int:
        """Queue the pending recipients in batches; how many were queued. Running it again
        queues again only those still pending: a batch sent twice sends nothing twice, and a
        stopped one goes on. `by`: the agent asking, who must be on the staff now; the batches
        stop if they are not when each is sent (announcement_sending.py)."""
        if by:
            self.ports.require_staff(by)
        announcement = self.require(announcement_id)
        pending = [
            r.address
            for r in self.ports.store.recipients(announcement.id)
            if r.state == RecipientState.PENDING
        ]
        if announcement.state != AnnouncementState.DONE:
            # Before the batches: each checks that whoever started it may still (a stopped
            # one sent again by another admin goes on under them).
            self.ports.store.set_state(announcement.id, AnnouncementState.SENDING, started_by=by)
        for start in range(0, len(pending), BATCH_RECIPIENTS):
            batch = pending[start : start + BATCH_RECIPIENTS]
            self.ports.enqueue({"announcement": announcement.id, "recipients": batch}, 0)
        return len(pending)

    def status(self, announcement_id: str) -> tuple[ann.Announcement, list[ann.Recipient]]:
        announcement = self.require(announcement_id)
        recipients = list(self.ports.store.recipients(announcement.id))
        counts = {s: 0 for s in RecipientState}
        for r in recipients:
            counts[r.state] = counts.get(r.state, 0) + 1
        if announcement.state == AnnouncementState.SENDING and not (
            counts[RecipientState.PENDING] or counts[RecipientState.SENDING]
        ):  # everyone sent or refused: done (kept, so the list says so too)
            self.ports.store.set_state(announcement.id, AnnouncementState.DONE)
            announcement = replace(announcement, state=AnnouncementState.DONE)
        opened = sum(1 for r in recipients if r.opens or r.clicks)  # a click needs an open
        clicked = sum(1 for r in recipients if r.clicks)
        summary = replace(announcement, counts=counts, total=len(recipients), opened=opened, clicked=clicked)
        return summary, recipients

    def listed(self) -> list[ann.Announcement]:
        return [self.require(i) for i in self.ports.store.listed()]

    def unsubscribe(self, token: str, source: str = "one-click") -> str | None:
        """Record the opt-out a token names; the address, or None for a token that does not
        verify. Announcements only: the suppression list (and so ticket replies) is untouched.
        The announcement the token signs has its recipient marked unsubscribed (its report);
        a token of the older form names none, and nothing unsigned (a link's `?a=`) is read."""
        found = ann.read_unsubscribe(token, self.ports.reply_secrets())
        if found is None:
            return None
        self.ports.store.opt_out(found.address, iso_millis(self.ports.clock()), source)
        if found.announcement:
            self.record_event(found.announcement, found.address, RecipientState.UNSUBSCRIBED)
        return found.address

    def record_events(self, events: list[FeedbackEvent]) -> int:
        """SES's events for announcement mail into its recipients' states, and their opens
        and clicks into their marks; how many recorded. A soft bounce or a delay changes
        nothing: SES goes on trying."""
        moved = 0
        for e in events:
            if e.kind in (FeedbackKind.OPEN, FeedbackKind.CLICK) and e.announcement:
                clicked = e.kind == FeedbackKind.CLICK
                mark = f"{e.at} {e.diagnostic}" if clicked else e.at
                moved += self.ports.store.engage(e.announcement, e.recipient, clicked, mark or e.key)
                continue
            state = _EVENT_STATES.get((e.kind, e.action))
            if state is not None and e.announcement:
                moved += self.record_event(e.announcement, e.recipient, state, e.diagnostic or e.subtype)
        return moved

    def record_event(
        self, announcement_id: str, address: str, state: RecipientState, reason: str = ""
    ) -> bool:
        """An SES event for one recipient (Send, Delivery, Bounce, Complaint)."""
        moved = self.ports.store.settle(
            announcement_id, address, state, ann.EVENT_MOVES[state], iso_millis(self.ports.clock()), reason
        )
        return moved is not None

    def from_address(self, mailbox: str) -> str:
        for address, name in self.settings.mailboxes.items():
            if name == mailbox:
                return address
        return f"{mailbox}@{self.settings.domain}"
