"""The staff desk: the queue, claiming the next ticket, reading one, notes, status and
assignment changes, split and merge. Each change publishes a ticket event. What it
returns for reading (a queue page, a ticket with its messages) is in `desk_views`;
how it checks what a request names (mailbox, assignee, status, tags, page size) in `desk_input`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.domain import audit
from chalicelib.domain.search_terms import subject_terms
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import (
    STATUSES,
    WORKING_STATUSES,
    Body,
    Direction,
    MessageKind,
    StoredMessage,
    ThreadSignal,
    Ticket,
    TicketStatus,
    status_after_assigning,
)
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import (
    AssignedElsewhere,
    ConcurrentUpdate,
    InvalidRequest,
    RawMailMissing,
    TicketNotFound,
)
from chalicelib.services import ticket_participants, ticket_split_merge
from chalicelib.services.desk_input import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    assignee_name,
    field_changes,
    mailbox_name,
)
from chalicelib.services.desk_ports import DeskPorts, editable
from chalicelib.services.desk_views import AttachmentView, MessageView, QueuePage, TicketDetail
from chalicelib.services.ports.records import QueueQuery
from chalicelib.services.queue_counts import ViewCount, view_counts
from chalicelib.services.sla_clocks import edited_clock
from chalicelib.settings import Settings

log = logging.getLogger(__name__)

MAX_NOTE_CHARS = 50_000  # a note lives in its item: DynamoDB items stop at 400 KB
CLAIM_ATTEMPTS = 50
UPDATE_ATTEMPTS = 3


# A ticket's messages come in pages: a thread of hundreds of mails, each with a body
# of up to the message size limit, would not fit Lambda's 6 MB response (api/views.py
# also holds each page to a byte budget).
MESSAGES_PER_PAGE = 50


class TicketDesk:
    def __init__(self, settings: Settings, ports: DeskPorts) -> None:
        self.settings = settings
        self.ports = ports

    def publish_event(self, kind: EventKind, ticket_id: str, detail: Mapping[str, Any] | None = None) -> bool:
        """Tell integrations about a committed change (kinds: domain/ticket_events.py)."""
        return self.ports.events.publish_event(kind, ticket_id, detail)

    # -- reading -----------------------------------------------------------
    def queue(
        self,
        agent: str,
        mailbox: str | None = None,
        statuses: Sequence[str] | None = None,
        assignee: str | None = None,
        tag: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
        sort: str | None = None,
    ) -> QueuePage:
        """Working tickets of a mailbox, unassigned first, then by priority, then oldest first;
        with `sort` "due", by SLA due time instead (the soonest due first, none last).

        `assignee`: "me", "none" (unassigned only) or an agent; with an agent the mailbox
        is a filter and may be left out (all mailboxes), except when sorting by due time.
        """
        who = None if assignee is None else assignee_name(agent, assignee)
        box = self.mailbox(mailbox) if mailbox or not who else None
        asked = tuple(dict.fromkeys(statuses or WORKING_STATUSES))
        if unknown := [s for s in asked if s not in STATUSES]:
            raise InvalidRequest(f"unknown status {unknown[0]!r}; use {', '.join(STATUSES)}")
        wanted = tuple(TicketStatus(s) for s in asked)
        size = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= size <= MAX_LIMIT:
            raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
        order: Literal["queue", "due"] = "due" if sort == "due" else "queue"
        if sort not in (None, "", "queue", "due"):
            raise InvalidRequest(f"sort must be queue or due; got {sort!r}")
        query = QueueQuery(box, wanted, who, (tag or "").strip() or None, order)
        tickets, next_cursor = self.ports.queue.page(query, size, cursor or None)
        return QueuePage(tuple(tickets), next_cursor)

    def counts(self, agent: str, mailbox: str | None = None) -> dict[str, ViewCount]:
        """How many tickets each of the console's views holds (services/queue_counts.py)."""
        return view_counts(self.ports.queue, self.mailbox(mailbox), agent)

    def show(self, ticket_id: str, before: str | None = None, limit: int = MESSAGES_PER_PAGE) -> TicketDetail:
        """The ticket and its latest `limit` messages (those before the message `before`,
        when given), oldest first; `earlier` counts the rest. Bodies are read for these only."""
        ticket, merged_into = self.ports.queue.load(ticket_id)
        stored = self.ports.tickets.messages(ticket.id)
        if before:
            keys = [m.key for m in stored]
            stored = stored[: keys.index(before)] if before in keys else []
        page = stored[-limit:] if limit > 0 else []
        views = tuple(self._view(m) for m in page)
        return TicketDetail(ticket, merged_into, views, earlier=len(stored) - len(page))

    def _view(self, message: StoredMessage) -> MessageView:
        body = message.body
        if body.pointer:
            try:
                whole = self.ports.bodies.get_body(body.pointer)
                body = Body(
                    whole.get("text", ""), whole.get("html", ""), whole.get("reply_text", ""), body.pointer
                )
            except RawMailMissing:
                log.warning("body %s of %s is missing; showing the stored preview", body.pointer, message.key)
        if body.html:
            body = replace(body, html=self.ports.sanitise_html(body.html))
        expires = self.ports.links.expires
        until = iso_millis(datetime.fromisoformat(self.ports.now()) + timedelta(seconds=expires))
        links = tuple(
            AttachmentView(a, *self.ports.links.link(a), expires, until) for a in message.attachments
        )
        return MessageView(message, body, links)

    # -- working the queue -------------------------------------------------
    def claim_next(self, agent: str, mailbox: str | None = None) -> Ticket | None:
        """Assign the first unassigned ticket to `agent`; None when there is none.

        The write is conditional on the ticket still being unassigned where the caller saw
        it, so agents claiming at once each get a different ticket.
        """
        box = self.mailbox(mailbox)
        for attempt, seen in enumerate(self.ports.queue.unassigned(box, WORKING_STATUSES)):
            if attempt >= CLAIM_ATTEMPTS:
                raise ConcurrentUpdate("the queue is changing too fast; try again")
            claimed = replace(seen, assignee=agent, status=TicketStatus.OPEN, updated_at=self.ports.now())
            trail = audit.events_of(seen.id, agent, audit.change_lines(seen, claimed), claimed.updated_at)
            try:
                self.ports.queue.replace(seen, claimed, trail)
            except (ConcurrentUpdate, TicketNotFound):
                continue  # another agent won it, or it changed: try the next one
            self._announce(seen, claimed, agent)
            return claimed
        return None

    def update(
        self,
        ticket_id: str,
        agent: str,
        status: str | None = None,
        assignee: str | None = None,
        priority: str | None = None,
        tags: Sequence[str] | None = None,
        take_over: bool = False,
        mailbox: str | None = None,
        subject: str | None = None,
    ) -> Ticket:
        """Change status, assignee ("" unassigns, "me" is the caller), priority, tags,
        mailbox (moved to another configured mailbox's queue) or subject (a split-out
        ticket keeps the subject of the mail it began with; replies carry the new one).

        Assigning a new ticket opens it, unless the same request sets a status. Moving a
        ticket away from another agent (to oneself, to a third agent or to nobody) must be
        asked for with `take_over`; else AssignedElsewhere names who has it.
        """
        changes = field_changes(status, priority, tags, subject)
        if assignee is not None:
            changes["assignee"] = self._agent(agent, assignee) if assignee not in ("", "none") else ""
        if mailbox is not None:
            changes["mailbox"] = self.mailbox(mailbox)
        if not changes:
            raise InvalidRequest(
                "nothing to change: give status, assignee, priority, tags, mailbox or subject"
            )
        for attempt in range(1, UPDATE_ATTEMPTS + 1):
            before = editable(self.ports, ticket_id)
            after = replace(before, **changes)
            if before.assignee not in ("", agent, after.assignee) and not take_over:
                raise AssignedElsewhere(before.id, before.assignee)
            if "assignee" in changes and "status" not in changes:
                after = replace(after, status=status_after_assigning(after.status, after.assignee))
            if after == before:
                return before
            after = replace(after, updated_at=self.ports.now())
            after = replace(after, sla=edited_clock(self.ports.sla.policy, before, after, after.updated_at))
            trail = audit.events_of(before.id, agent, audit.change_lines(before, after), after.updated_at)
            # A new subject's words find the ticket in search (the old ones still do).
            terms = subject_terms(after) if after.subject != before.subject else ()
            try:
                self.ports.queue.replace(before, after, trail, terms)
            except ConcurrentUpdate:
                if attempt == UPDATE_ATTEMPTS:
                    raise
                continue
            self._announce(before, after, agent)
            return after
        raise AssertionError("unreachable")

    def reopen(self, ticket_id: str, agent: str) -> None:
        """ports.reopen.TicketReopener: `agent`'s reply went out on a solved or closed ticket."""
        self.update(ticket_id, agent, status=TicketStatus.PENDING)

    def add_note(self, ticket_id: str, agent: str, text: str) -> StoredMessage:
        """An internal note: shown to staff with the messages, never sent to anyone."""
        if not text.strip():
            raise InvalidRequest("text must not be empty")
        if len(text) > MAX_NOTE_CHARS:
            raise InvalidRequest(f"text is longer than {MAX_NOTE_CHARS} characters")
        ticket = editable(self.ports, ticket_id)
        now = self.ports.now()
        note = StoredMessage(
            ticket_id=ticket.id,
            key=f"note-{uuid.uuid4().hex}",
            direction=Direction.INTERNAL,
            kind=MessageKind.NOTE,
            sender=agent,
            sender_name="",
            to=(),
            cc=(),
            subject="",
            message_id="",
            received_at=now,
            thread_signal=ThreadSignal.STAFF,
            body=Body(text=text),
        )
        self.ports.edits.add_message(ticket, note, now)
        self.publish_event(EventKind.NOTE_ADDED, ticket.id, {"by": agent, "message": note.key})
        return note

    # -- split and merge (see ticket_split_merge.py) ------------------------
    def split(self, ticket_id: str, agent: str, message_key: str, more: Sequence[str] = ()) -> Ticket:
        """Move one message (and `more`) out into a new ticket of the same mailbox; the new ticket."""
        return ticket_split_merge.split(self.ports, ticket_id, agent, message_key, more)

    def merge(self, ticket_id: str, agent: str, into: str) -> Ticket:
        """Move every message of this ticket into `into`; this one closes, pointing there."""
        return ticket_split_merge.merge(self.ports, ticket_id, agent, into)

    # -- participants (see ticket_participants.py) ---------------------------
    def add_participant(self, ticket_id: str, agent: str, address: str) -> Ticket:
        """Copy `address` on this ticket's replies from now on."""
        ticket = ticket_participants.add(self.ports, self.settings, ticket_id, address, agent)
        log.info("participants: %s added %s to %s", agent, address, ticket.id)
        return ticket

    def remove_participant(self, ticket_id: str, agent: str, address: str) -> Ticket:
        """Stop copying `address` on this ticket's replies."""
        ticket = ticket_participants.remove(self.ports, ticket_id, address, agent)
        log.info("participants: %s removed %s from %s", agent, address, ticket.id)
        return ticket

    # -- helpers -----------------------------------------------------------
    def _announce(self, before: Ticket, after: Ticket, agent: str) -> None:
        if after.status != before.status:
            detail = {"from": before.status, "to": after.status, "by": agent}
            self.publish_event(EventKind.STATUS_CHANGED, after.id, detail)
        if after.assignee != before.assignee:
            self.publish_event(
                EventKind.ASSIGNED, after.id, {"from": before.assignee, "to": after.assignee, "by": agent}
            )

    def mailbox(self, mailbox: str | None) -> str:
        """A configured mailbox name (the default one when none is given); InvalidRequest else."""
        return mailbox_name(self.settings, mailbox)

    def _agent(self, agent: str, value: str) -> str:
        """The agent an assignment names; InvalidRequest for anyone not in the staff directory
        (a typo would own the ticket and take it out of the pool)."""
        name = assignee_name(agent, value)
        if name and name != agent and not self.ports.is_agent(name):
            raise InvalidRequest(
                f"{name} is not an agent, or is disabled: assign to a colleague who has signed in "
                "(inbound staff list)"
            )
        return name
