"""The team report from daily counters (report_counts.py): volume, backlog, percentiles,
per mailbox and per agent, SLA attainment. Standard library only.

Percentiles come from the per-day histograms summed over the range: the nearest-rank
percentile's bucket, read as the bucket's upper edge (BUCKET_NOTE says what that costs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import field
from datetime import date, timedelta

from chalicelib.domain.frozen import frozen
from chalicelib.domain.report_counts import BUCKET_EDGES, OVERFLOW

BUCKET_NOTE = (
    "Times are read from fixed buckets: a percentile shows its bucket's upper edge, never below "
    "the true time and at most 50% above it (at most 1 minute under 2 minutes); beyond 27 days it "
    "shows as over 27 days."
)
MAX_DAYS = 92
# How far back a report may start: its Query reads every day from there to today (the backlog
# of a past day is counted back from today's), so this bounds what one report reads.
MAX_DAYS_BACK = 366


@frozen
class DayCounters:
    """One stored day of counters: a mailbox's (agent "") or an agent's in that mailbox."""

    mailbox: str
    day: str
    agent: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> int:
        return int(self.counts.get(name, 0))


def days_between(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def percentile(histogram: Sequence[int], share: float) -> int | None:
    """The upper edge (seconds) of the bucket holding the nearest-rank `share` percentile;
    None without data; -1 when it lies beyond the last edge."""
    total = sum(histogram)
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    running = 0
    for index, n in enumerate(histogram):
        running += n
        if running >= rank:
            return BUCKET_EDGES[index] if index < OVERFLOW else -1
    return -1


def histogram(rows: Iterable[DayCounters], prefix: str) -> list[int]:
    summed = [0] * (OVERFLOW + 1)
    for row in rows:
        for index in range(OVERFLOW + 1):
            summed[index] += row[f"{prefix}{index}"]
    return summed


def times(rows: Sequence[DayCounters], prefix: str, count: str) -> dict[str, object]:
    shape = histogram(rows, prefix)
    return {
        "count": sum(r[count] for r in rows),
        "p50": percentile(shape, 0.5),
        "p90": percentile(shape, 0.9),
    }


def _sla(rows: Sequence[DayCounters]) -> dict[str, object]:
    met, total = sum(r["sla_met"] for r in rows), sum(r["sla_total"] for r in rows)
    return {"met": met, "total": total, "rate": round(met / total, 4) if total else None}


def _figures(rows: Sequence[DayCounters]) -> dict[str, object]:
    return {
        "in": sum(r["in"] for r in rows),
        "solved": sum(r["solved"] for r in rows),
        "reopened": sum(r["reopened"] for r in rows),
        "first_response": times(rows, "fr", "responded"),
        "resolution": times(rows, "rs", "solved"),
        "sla": _sla(rows),
    }


def backlog_by_day(days: Sequence[str], rows: Sequence[DayCounters], open_now: int) -> dict[str, int]:
    """Unsolved tickets at the end of each of `days`: today's count less every later day's `net`
    (`rows` must hold every day after the first of `days`, up to today)."""
    net: dict[str, int] = {}
    for row in rows:
        if not row.agent:
            net[row.day] = net.get(row.day, 0) + row["net"]
    later = sum(n for day, n in net.items() if day > days[-1])
    found = {}
    for day in reversed(days):
        found[day] = open_now - later
        later += net.get(day, 0)
    return found


def build(
    first: str, last: str, mailboxes: Sequence[str], rows: Sequence[DayCounters], open_now: dict[str, int]
) -> dict[str, object]:
    """The report of days [first, last] over `mailboxes` from their stored `rows` (which may
    reach past `last`, for the backlog) and their unsolved tickets now."""
    days = days_between(first, last)
    shown = [r for r in rows if first <= r.day <= last and r.mailbox in mailboxes]
    team = [r for r in shown if not r.agent]
    backlogs = {
        box: backlog_by_day(days, [r for r in rows if r.mailbox == box], open_now.get(box, 0))
        for box in mailboxes
    }
    per_day = []
    for day in days:
        today = [r for r in team if r.day == day]
        per_day.append(
            {"day": day, **_figures(today), "backlog": sum(backlogs[box][day] for box in mailboxes)}
        )
    per_mailbox = [
        {"mailbox": box, **_figures([r for r in team if r.mailbox == box]), "backlog": backlogs[box][last]}
        for box in mailboxes
    ]
    agents = sorted({r.agent for r in shown if r.agent})
    per_agent = []
    for agent in agents:
        theirs = [r for r in shown if r.agent == agent]
        figures = _figures(theirs)
        per_agent.append(
            {"agent": agent, **{k: figures[k] for k in ("solved", "first_response", "resolution")}}
        )
    return {
        "from": first,
        "to": last,
        "mailboxes": list(mailboxes),
        "totals": {**_figures(team), "backlog": sum(b[last] for b in backlogs.values())},
        "days": per_day,
        "per_mailbox": per_mailbox,
        "per_agent": per_agent,
        "buckets": {"edges": list(BUCKET_EDGES), "note": BUCKET_NOTE},
    }
