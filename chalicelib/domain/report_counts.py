"""What a ticket's change adds to the team report's daily counters (standard library only).

The report is never computed by reading tickets: each write that files a ticket, reopens
it, solves it, moves it or sends its first staff reply adds to small per-day counters in
the same transaction (dynamodb_report_counters.py), so a redelivered message or a retried
edit, whose transaction fails on its own condition, adds nothing twice.

Counters of a mailbox's day, and of an agent's day in that mailbox (`agent` set):

- `in`: tickets filed from a received mail; `solved`: a ticket moved from unsolved (new,
  open, pending) to solved or closed; `reopened`: back from solved or closed;
- `net`: the change of the mailbox's unsolved tickets that day (filing, solving,
  reopening, moving between mailboxes, splitting, merging), so the backlog of any past
  day is today's count less the later days' `net`;
- `responded` and `fr<n>`: first staff replies, and the histogram bucket `n` of the time
  from filing to that reply; `rs<n>`: the same for the time from filing to solving;
- `sla_met` of `sla_total`: the SLA clocks (domain/sla.py) that stopped that day, a first
  reply or a solving, on a ticket whose mailbox has a target for its priority, and of them
  those stopped by their due time (attainment is met / total).

An agent's counters are those of the agent who replied, and of the ticket's assignee when
it was solved (an unassigned ticket's solving counts for the mailbox only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from datetime import datetime

from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import Ticket, TicketStatus

UNSOLVED = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING})

# Upper edges of the duration buckets, in seconds: a 1-1.5-2-3-4-6-8 ladder from 2 minutes,
# each edge at most 1.5 times the one below, so a percentile read as its bucket's upper edge
# is never below the true figure and at most 50% above it (at most 1 minute below 2 minutes).
# A duration beyond the last edge falls into one more bucket, shown as "over 27 days".
_MINUTES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 45, 60, 90, 120, 180, 240, 360, 480, 720, 960)
_HOURS = (24, 36, 48, 72, 96, 144, 192, 288, 432, 648)
BUCKET_EDGES = tuple(m * 60 for m in _MINUTES) + tuple(h * 3600 for h in _HOURS)
OVERFLOW = len(BUCKET_EDGES)  # the index of the bucket beyond the last edge


@frozen
class Tally:
    """What one write adds to one day's counters of a mailbox (or of an agent in it)."""

    mailbox: str
    day: str  # YYYY-MM-DD, UTC
    agent: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def bucket(seconds: float) -> int:
    """The histogram bucket of a duration (negative durations, a skewed clock, count as 0)."""
    for index, edge in enumerate(BUCKET_EDGES):
        if seconds <= edge:
            return index
    return OVERFLOW


def day_of(timestamp: str) -> str:
    return timestamp[:10]


def seconds_between(start: str, end: str) -> float:
    return (_parse(end) - _parse(start)).total_seconds()


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def combined(tallies: Iterable[Tally]) -> list[Tally]:
    """One tally per (mailbox, day, agent), counters summed, zeros dropped: a transaction may
    touch each item once."""
    summed: dict[tuple[str, str, str], dict[str, int]] = {}
    for tally in tallies:
        counts = summed.setdefault((tally.mailbox, tally.day, tally.agent), {})
        for name, n in tally.counts.items():
            counts[name] = counts.get(name, 0) + n
    found = []
    for (mailbox, day, agent), counts in summed.items():
        kept = {name: n for name, n in counts.items() if n}
        if kept:
            found.append(Tally(mailbox, day, agent, kept))
    return found


def filed(ticket: Ticket) -> list[Tally]:
    """A ticket filed from a received mail."""
    return [Tally(ticket.mailbox, day_of(ticket.created_at), "", {"in": 1, "net": 1})]


def opened(ticket: Ticket) -> list[Tally]:
    """A ticket made by staff (a split): one more unsolved ticket, not one more received."""
    if ticket.status not in UNSOLVED:
        return []
    return [Tally(ticket.mailbox, day_of(ticket.updated_at or ticket.created_at), "", {"net": 1})]


def merged_away(source: Ticket, at: str) -> list[Tally]:
    """A ticket closed by merging it into another: not solved, but no longer in the backlog."""
    if source.status not in UNSOLVED:
        return []
    return [Tally(source.mailbox, day_of(at), "", {"net": -1})]


def reopened(mailbox: str, old_status: str, new_status: str, at: str) -> list[Tally]:
    """A customer's mail moved a ticket from `old_status` to `new_status`."""
    if old_status in UNSOLVED or new_status not in UNSOLVED:
        return []
    return [Tally(mailbox, day_of(at), "", {"reopened": 1, "net": 1})]


def status_changed(before: Ticket, after: Ticket) -> list[Tally]:
    """A staff edit (or a reply that moves the status): solving, reopening, moving mailbox."""
    day = day_of(after.updated_at)
    was, now = before.status in UNSOLVED, after.status in UNSOLVED
    found = [
        Tally(before.mailbox, day, "", {"net": -int(was)}),
        Tally(after.mailbox, day, "", {"net": int(now)}),
    ]
    if was and not now:
        solved = {"solved": 1, f"rs{bucket(seconds_between(after.created_at, after.updated_at))}": 1}
        due = "" if before.sla.resolved_at else before.sla.resolution_due
        found.append(Tally(after.mailbox, day, "", {**solved, **_sla(due, after.updated_at)}))
        if after.assignee:
            found.append(Tally(after.mailbox, day, after.assignee, solved))
    elif now and not was:
        found.append(Tally(after.mailbox, day, "", {"reopened": 1}))
    return combined(found)


def first_response(ticket: Ticket, agent: str, at: str) -> list[Tally]:
    """The first staff reply on `ticket`, by `agent` at `at`."""
    counts = {"responded": 1, f"fr{bucket(seconds_between(ticket.created_at, at))}": 1}
    day = day_of(at)
    team = {**counts, **_sla(ticket.sla.first_response_due, at)}
    return [Tally(ticket.mailbox, day, "", team)] + (
        [Tally(ticket.mailbox, day, agent, counts)] if agent else []
    )


def _sla(due: str, at: str) -> dict[str, int]:
    """A clock stopped at `at` against its `due` time ("": no target, not counted)."""
    return {"sla_total": 1, "sla_met": int(at <= due)} if due else {}
