"""The staff desk's ports in memory (ports.TicketQueue, TicketEdits, DownloadLinks, Events),
on the same FakeTickets as ingest, held to the DynamoDB adapters by
tests/contracts/test_desk_contract.py (the links and events by test_links_and_events_contract.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.adapters.s3_download_links import shows_inline
from chalicelib.domain import report_counts
from chalicelib.domain.audit import counted
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import Priority, StoredAttachment, StoredMessage, Ticket, TicketStatus
from chalicelib.errors import ConcurrentUpdate, InvalidRequest, TicketNotFound
from chalicelib.services.ports.records import Disposition, ParticipantChange, QueueQuery
from tests.fakes.tickets import FakeTickets

TICKET_ID = re.compile(r"T-[0-9]{1,12}")
RANK = {priority: rank for rank, priority in enumerate(Priority)}
FAKE_LINK_BASE = "https://files.invalid/"  # a link names the file's key after this


def _queue_order(ticket: Ticket) -> tuple[Any, ...]:
    """Unassigned first, then priority, then oldest: the adapter's queue index order."""
    return (bool(ticket.assignee), RANK.get(Priority(ticket.priority), 2), ticket.created_at, ticket.id)


@dataclass
class FakeQueue:
    memory: FakeTickets

    def page(
        self, query: QueueQuery, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        found = [t for t in self.memory.tickets.values() if _wanted(t, query)]
        if query.sort == "due":  # the adapter's queuebydue index
            if query.assignee and not query.mailbox:
                raise InvalidRequest("sorting by due time needs a mailbox")
            found.sort(key=lambda t: (t.sla.next_due or "~", t.created_at, t.id))
        else:
            # An agent's own queue reads by age across statuses (the adapter's byassignee index).
            found.sort(key=(lambda t: (t.created_at, t.id)) if query.assignee else _queue_order)
        # The cursor names its query, as the adapter's names its index partitions.
        asked = f"{query.mailbox}|{','.join(query.statuses)}|{query.assignee}|{query.tag}|{query.sort}"
        start = 0
        if cursor:
            named, _, offset = cursor.rpartition("@")
            if not offset.isdigit():
                raise InvalidRequest("cursor is not one this API issued")
            if named != asked:
                raise InvalidRequest("cursor belongs to another query")
            start = int(offset)
        shown = found[start : start + limit]
        more = len(found) > start + limit
        return shown, f"{asked}@{start + limit}" if more else None

    def unassigned(self, mailbox: str, statuses: tuple[TicketStatus, ...]) -> Iterator[Ticket]:
        query = QueueQuery(mailbox, statuses, assignee="")
        return iter(sorted((t for t in self.memory.tickets.values() if _wanted(t, query)), key=_queue_order))

    def load(self, ticket_id: str) -> tuple[Ticket, str]:
        if not TICKET_ID.fullmatch(ticket_id):
            raise TicketNotFound(ticket_id[:40])
        return self.memory.require_ticket(ticket_id), self.memory.merged_into.get(ticket_id, "")

    def replace(
        self,
        before: Ticket,
        after: Ticket,
        events: tuple[StoredMessage, ...] = (),
        terms: tuple[str, ...] = (),
    ) -> None:
        now = self.memory.require_ticket(before.id)
        seen = (before.mailbox, before.status, before.assignee, before.priority)
        if (
            before.id in self.memory.merged_into
            or (now.mailbox, now.status, now.assignee, now.priority) != seen
            or now.sla != before.sla
        ):
            raise ConcurrentUpdate(f"{before.id} changed while updating it")
        tags = tuple(sorted(set(after.tags))) if set(after.tags) != set(before.tags) else now.tags
        self.memory.tickets[before.id] = replace(
            now,
            status=after.status,
            priority=after.priority,
            updated_at=after.updated_at,
            mailbox=after.mailbox,
            subject=after.subject,
            assignee=after.assignee,
            tags=tags,
            sla=after.sla,
        )
        self.memory.add_terms(before.id, terms)
        for event in events:
            self.memory.record_event(event)
        for box in dict.fromkeys((after.mailbox, before.mailbox)):
            self.memory.bump(box, before.id)
        self.memory.add_report(report_counts.status_changed(before, after))


def _wanted(ticket: Ticket, query: QueueQuery) -> bool:
    return (
        (query.mailbox is None or ticket.mailbox == query.mailbox)
        and ticket.status in query.statuses
        and (query.assignee is None or ticket.assignee == query.assignee)
        and (query.tag is None or query.tag in ticket.tags)
    )


@dataclass
class FakeEdits:
    memory: FakeTickets
    merge_chunk: int = 30

    def add_message(self, ticket: Ticket, message: StoredMessage, updated_at: str) -> None:
        self._live(ticket.id)
        if message.key in self.memory.thread.get(ticket.id, {}):
            raise ConcurrentUpdate(f"{ticket.id} changed while editing it")
        self._count(ticket.id, updated_at, 1, len(message.attachments))
        self.memory.record_event(message)
        self.memory.bump(ticket.mailbox, ticket.id)

    def split(
        self,
        source: Ticket,
        message: StoredMessage,
        new: Ticket,
        updated_at: str,
        terms: tuple[str, ...] = (),
        events: tuple[StoredMessage, ...] = (),
    ) -> None:
        now = self._live(source.id)
        thread = self.memory.thread.get(source.id, {})
        if new.id in self.memory.tickets or now.message_count <= 1 or message.key not in thread:
            raise ConcurrentUpdate(f"{source.id} changed while editing it")
        self._count(source.id, updated_at, -1, -len(message.attachments))
        if not self.memory.tickets[source.id].related_ticket:
            self.memory.tickets[source.id] = replace(
                self.memory.tickets[source.id],
                related_ticket=new.id,
                related_reason=f"a message was split into {new.id}",
            )
        everyone = tuple(sorted(set(new.participants) | {new.requester}))
        self.memory.tickets[new.id] = replace(new, participants=everyone)
        self.memory.add_terms(new.id, terms)
        self._move(source.mailbox, message, new.id)
        for event in events:
            self.memory.record_event(event)
        self.memory.bump(source.mailbox, source.id)
        self.memory.add_report(report_counts.opened(new))

    def merge_messages(
        self,
        source: Ticket,
        target: Ticket,
        messages: list[StoredMessage],
        updated_at: str,
        terms: tuple[str, ...] = (),
    ) -> None:
        self._live(target.id)
        self.memory.require_ticket(source.id)  # the source may be closed as merged already
        if any(m.key not in self.memory.thread.get(source.id, {}) for m in messages):
            raise ConcurrentUpdate(f"{source.id} changed while editing it")
        count, attachments = len(counted(messages)), sum(len(m.attachments) for m in messages)
        self._count(source.id, updated_at, -count, -attachments)
        self._count(target.id, updated_at, count, attachments)
        self.memory.add_terms(target.id, terms)
        for message in messages:
            self._move(source.mailbox, message, target.id)

    def close_merged(
        self, source: Ticket, target: Ticket, updated_at: str, events: tuple[StoredMessage, ...] = ()
    ) -> None:
        now = self._live(source.id)
        goal = self._live(target.id)
        self.memory.tickets[source.id] = replace(
            now, status=TicketStatus.CLOSED, updated_at=updated_at, merged_into=target.id
        )
        self.memory.merged_into[source.id] = target.id
        people = {source.requester, *source.participants} - {""}
        self.memory.tickets[target.id] = replace(
            goal, updated_at=updated_at, participants=tuple(sorted(set(goal.participants) | people))
        )
        for event in events:
            self.memory.record_event(event)
        for box in dict.fromkeys((target.mailbox, source.mailbox)):
            self.memory.bump(box, target.id)
        self.memory.add_report(report_counts.merged_away(source, updated_at))

    def change_participants(
        self,
        ticket: Ticket,
        action: ParticipantChange,
        address: str,
        updated_at: str,
        room: int,
        events: tuple[StoredMessage, ...] = (),
    ) -> None:
        now = self._live(ticket.id)
        people = set(now.participants)
        if action == "add" and len(people) > room:
            raise ConcurrentUpdate(f"{ticket.id} changed while editing its participants")
        people = people | {address} if action == "add" else people - {address}
        self.memory.tickets[ticket.id] = replace(
            now, participants=tuple(sorted(people)), updated_at=updated_at
        )
        for event in events:
            self.memory.record_event(event)
        self.memory.bump(ticket.mailbox, ticket.id)

    def _live(self, ticket_id: str) -> Ticket:
        if ticket_id not in self.memory.tickets or ticket_id in self.memory.merged_into:
            raise ConcurrentUpdate(f"{ticket_id} changed while editing it")
        return self.memory.tickets[ticket_id]

    def _count(self, ticket_id: str, updated_at: str, messages: int, attachments: int) -> None:
        now = self.memory.tickets[ticket_id]
        self.memory.tickets[ticket_id] = replace(
            now,
            updated_at=updated_at,
            message_count=now.message_count + messages,
            attachment_count=now.attachment_count + attachments,
        )

    def _move(self, mailbox: str, message: StoredMessage, ticket_id: str) -> None:
        del self.memory.thread[message.ticket_id][message.key]
        self.memory.thread.setdefault(ticket_id, {})[message.key] = replace(message, ticket_id=ticket_id)
        entry = (mailbox, message.message_id)
        # As the adapter's: only the message's own entry follows it (one without a key, written
        # before entries named their message, by its ticket), fingerprint and all.
        owned = self.memory.index_keys.get(entry, message.key) == message.key
        if message.message_id and owned and self.memory.index.get(entry) == message.ticket_id:
            self.memory.index[entry] = ticket_id


@dataclass
class FakeLinks:
    """Download links that name the file they stand for; a safe image or PDF shows inline,
    as the adapter's presigned link asks S3 to answer."""

    expires: int = 300

    def link(self, attachment: StoredAttachment) -> tuple[str, Disposition]:
        return f"{FAKE_LINK_BASE}{attachment.key}", "inline" if shows_inline(attachment) else "attachment"


@dataclass
class FakeEvents:
    """The ticket events published, in order."""

    published: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def publish_event(self, kind: EventKind, ticket_id: str, detail: Mapping[str, Any] | None = None) -> bool:
        self.published.append((str(kind), ticket_id, dict(detail or {})))
        return True
