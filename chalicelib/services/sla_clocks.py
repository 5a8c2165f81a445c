"""SLA clocks as the desk changes a ticket, and the breach watch the scheduled sweep runs.

Due times are computed in domain/sla.py; this module decides when to read the targets (only
when a change can move a due time) and publishes each breach once: the sweep reads the
tickets whose next breach time has passed (one Query per mailbox on a sparse index, never a
Scan), flags the clocks on the ticket in a write conditional on the clock as read, and
publishes a ticket event per clock only when that write won.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.domain import sla
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import DONE_STATUSES, Priority, Ticket
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import InvalidRequest

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import Events, SlaSettings, SlaWatch

log = logging.getLogger("inbound.sla")

WATCH_PAGE = 100  # tickets one sweep flags per mailbox; the rest wait for the next sweep


def edited_clock(
    targets: Callable[[], sla.SlaPolicy], before: Ticket, after: Ticket, now: str
) -> sla.SlaClock:
    """`after`'s clock once the desk changed `before` into it: a priority or mailbox change
    recomputes running due times, solving or closing stops resolution, reopening restarts it.
    The targets are read only when one of those happened."""
    was_done, is_done = before.status in DONE_STATUSES, after.status in DONE_STATUSES
    moved = (before.priority, before.mailbox) != (after.priority, after.mailbox)
    if not moved and was_done == is_done:
        return after.sla
    if is_done and not was_done and not moved:
        return sla.resolved(after.sla, now)
    target = targets().target(after.mailbox, after.priority)
    clock = sla.retarget(after.sla, target, after.created_at) if moved else after.sla
    return sla.after_status(clock, target, was_done, is_done, now)


@dataclass
class BreachReport:
    breaches: list[tuple[str, str]] = field(default_factory=list)  # (ticket, clock) published


class SlaSweep:
    def __init__(self, mailboxes: Sequence[str], watch: SlaWatch, events: Events) -> None:
        self.mailboxes = tuple(dict.fromkeys(mailboxes))
        self.watch = watch
        self.events = events

    def sweep(self, now: str | None = None) -> BreachReport:
        now = now or iso_millis(datetime.now(UTC))
        report = BreachReport()
        for mailbox in self.mailboxes:
            for ticket in self.watch.overdue(mailbox, now, WATCH_PAGE):
                self._one(ticket, now, report)
        if report.breaches:
            log.info("sla: %d breaches published", len(report.breaches))
        return report

    def _one(self, ticket: Ticket, now: str, report: BreachReport) -> None:
        if ticket.status in DONE_STATUSES or ticket.merged_into:  # done by a path that left the key
            stopped = sla.resolved(ticket.sla, ticket.updated_at or now)
            self.watch.flag(ticket, replace(ticket, sla=stopped))
            return
        found = ticket.sla.due_breaches(now)
        if not self.watch.flag(ticket, replace(ticket, sla=ticket.sla.flag(found))):
            return  # another writer changed the clock first: the ticket is read again next sweep
        for clock in found:
            due = (
                ticket.sla.first_response_due
                if clock == sla.Clock.FIRST_RESPONSE
                else ticket.sla.resolution_due
            )
            detail = {
                "clock": str(clock),
                "due": due,
                "mailbox": ticket.mailbox,
                "priority": str(ticket.priority),
                "assignee": ticket.assignee,
            }
            self.events.publish_event(EventKind.SLA_BREACHED, ticket.id, detail)
            report.breaches.append((ticket.id, str(clock)))


def set_target(
    settings_port: SlaSettings,
    mailboxes: Sequence[str],
    mailbox: str,
    priority: str,
    first: int,
    resolution: int,
) -> sla.SlaPolicy:
    """An admin sets one mailbox's target for one priority (minutes; 0 clears)."""
    if mailbox not in mailboxes:
        raise InvalidRequest(f"unknown mailbox {mailbox!r}; use {', '.join(sorted(mailboxes))}")
    if priority not in tuple(Priority):
        raise InvalidRequest(f"priority must be one of {', '.join(Priority)}; got {priority!r}")
    try:
        target = sla.SlaTarget(first, resolution)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    settings_port.set_target(mailbox, priority, target)
    return settings_port.policy()
