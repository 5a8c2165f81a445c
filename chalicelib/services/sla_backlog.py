"""A changed SLA target moves the due times of the open backlog, one bounded page at a time.

A ticket takes its due times when it is filed (sla_clocks.edited_clock moves them on a
priority or mailbox change); without this, a new target applied to tomorrow's tickets only
and the queue's "due in" and the breach watch kept the old promise for the backlog. The
console and `inbound sla set` call `page` until it returns no cursor: each call reads one
page of the mailbox's unsolved tickets in queue order (whose keys no SLA write moves, so the
cursor stays valid while the job writes) and rewrites the clock of each ticket of the
priority whose due times differ from the current target. Safe to run again and alongside
the desk: a ticket already at its target is not written, and each write is conditional on
the clock as read (SlaWatch.flag), so a colleague's edit in between is read again, not undone.
A page that moved any ticket moves the mailbox's change counter once, so every open console
reads its queue again and shows the new due times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.domain import sla
from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import DONE_STATUSES, Priority, Ticket, TicketStatus
from chalicelib.errors import InvalidRequest
from chalicelib.services.ports.records import QueueQuery

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import SlaSettings, SlaWatch, TicketQueue

BACKLOG_PAGE = 100  # tickets read per call: one Query per queue lane, at most this many writes
UNSOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


@frozen
class BacklogPage:
    read: int  # the mailbox's unsolved tickets this page read (every priority)
    updated: int  # those of the priority whose due times moved
    cursor: str | None  # the next page; None when the backlog is done


class SlaBacklog:
    def __init__(
        self, mailboxes: Sequence[str], settings: SlaSettings, queue: TicketQueue, watch: SlaWatch
    ) -> None:
        self.mailboxes = tuple(mailboxes)
        self.settings = settings
        self.queue = queue
        self.watch = watch

    def page(
        self, mailbox: str, priority: str, cursor: str | None = None, size: int = BACKLOG_PAGE
    ) -> BacklogPage:
        """Bring one page of `mailbox`'s unsolved `priority` tickets to the target set now."""
        if mailbox not in self.mailboxes:
            raise InvalidRequest(f"unknown mailbox {mailbox!r}; use {', '.join(sorted(self.mailboxes))}")
        if priority not in tuple(Priority):
            raise InvalidRequest(f"priority must be one of {', '.join(Priority)}; got {priority!r}")
        target = self.settings.policy().target(mailbox, priority)
        tickets, more = self.queue.page(QueueQuery(mailbox, UNSOLVED), size, cursor or None)
        moved = [t.id for t in tickets if t.priority == priority and self._retarget(t, target)]
        if moved:  # the open consoles show the new due times within a change tick
            self.watch.moved(mailbox, moved[-1])
        return BacklogPage(len(tickets), len(moved), more)

    def _retarget(self, ticket: Ticket, target: sla.SlaTarget) -> bool:
        wanted = (ticket.mailbox, ticket.priority)
        # The queue index is eventually consistent: a write that loses to an edit the page did
        # not show yet reads the ticket itself and decides once more.
        for _ in range(2):
            if ticket.status in DONE_STATUSES or (ticket.mailbox, ticket.priority) != wanted:
                return False
            clock = sla.retarget(ticket.sla, target, ticket.created_at)
            if clock == ticket.sla:
                return False
            if self.watch.flag(ticket, replace(ticket, sla=clock)):
                return True
            ticket, _ = self.queue.load(ticket.id)
        return False
