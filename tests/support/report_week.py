"""A week of desk work on a clock the test moves: tickets filed, answered, solved and reopened over
seven days by two agents in two mailboxes, through the real services (ingest, desk, outbound)
on whatever ports they stand on (fakes, or the embedded stack's adapters), and what the team
report must say about it (worked out by hand below).

| ticket | mailbox | filed      | first reply            | solved                          |
| ------ | ------- | ---------- | ---------------------- | ------------------------------- |
| A      | support | D0 09:00   | ann D0 09:30 (30 min)  | ann D1 09:00 (24 h)             |
| B      | support | D0 10:00   | bob D0 12:00 (2 h)     | bob D2 10:00 (48 h)             |
| C      | billing | D1 08:00   | ann D1 08:05 (5 min)   | ann D1 09:00 (1 h); customer reopens D3 10:00; ann D4 10:00 (74 h) |
| D      | billing | D2 11:00   | bob D3 11:00 (24 h)    | open at the end                 |
| E      | support | D5 09:00   | none                   | open                            |
| F      | support | D5 10:00   | ann D5 10:01 (1 min)   | open (pending)                  |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from chalicelib.domain.timestamps import iso_millis
from chalicelib.services.ingest import IngestService
from chalicelib.services.outbound import OutboundService
from chalicelib.services.ticket_desk import TicketDesk
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

ANN, BOB = "ann@example.com", "bob@example.com"
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
FIRST_DAY, LAST_DAY = "2026-11-23", "2026-11-29"
DAYS = [(MONDAY + timedelta(days=n)).date().isoformat() for n in range(7)]
MINUTE, HOUR = 60, 3600

# What the report says of the week (bucket edges: a time shows as its bucket's upper edge).
IN_PER_DAY = [2, 1, 1, 0, 0, 2, 0]
SOLVED_PER_DAY = [0, 2, 1, 0, 1, 0, 0]
BACKLOG_PER_DAY = [2, 1, 1, 2, 1, 3, 3]
# First responses 1 min, 5 min, 30 min, 2 h, 24 h -> edges 1, 6, 32 min, 2 h, 24 h.
FIRST_RESPONSE = {"count": 5, "p50": 32 * MINUTE, "p90": 24 * HOUR}
# Resolutions 1 h, 24 h, 48 h, 74 h -> edges 1, 24, 48, 96 h.
RESOLUTION = {"count": 4, "p50": 24 * HOUR, "p90": 96 * HOUR}
PER_AGENT = {
    ANN: {
        "solved": 3,
        "first_response": {"count": 3, "p50": 6 * MINUTE, "p90": 32 * MINUTE},
        "resolution": {"count": 3, "p50": 24 * HOUR, "p90": 96 * HOUR},
    },
    BOB: {
        "solved": 1,
        "first_response": {"count": 2, "p50": 2 * HOUR, "p90": 24 * HOUR},
        "resolution": {"count": 1, "p50": 48 * HOUR, "p90": 48 * HOUR},
    },
}
PER_MAILBOX = {"support": (4, 2, 0, 2), "billing": (2, 2, 1, 1)}  # in, solved, reopened, backlog


@dataclass
class Week:
    """The services on one movable clock."""

    settings: Any
    ingest: IngestService
    desk: TicketDesk
    outbound: OutboundService
    set_clock: Callable[[datetime], None]

    def at(self, day: int, hour: int, minute: int = 0) -> None:
        self.set_clock(MONDAY + timedelta(days=day, hours=hour, minutes=minute))

    def file(self, mailbox: str, subject: str, references: str | None = None) -> str:
        raw = make_mail(subject=subject, to=f"{mailbox}@example.com", references=references)
        stack = SimpleNamespace(store=self.ingest.ports.store, settings=self.settings, ingest=self.ingest)
        outcome = deliver(stack, raw, recipients=(f"{mailbox}@example.com",))
        assert outcome.ticket, outcome
        return str(outcome.ticket)

    def reply(self, ticket: str, agent: str) -> str:
        return self.outbound.reply(ticket, agent, "We are on it.").message_id

    def take(self, ticket: str, agent: str) -> None:
        self.desk.update(ticket, agent, assignee="me")

    def solve(self, ticket: str, agent: str) -> None:
        self.desk.update(ticket, agent, status="solved")


def on_clock(settings: Any, ingest: IngestService, desk: TicketDesk, outbound: OutboundService) -> Week:
    """The three services again, on their own ports, reading one clock the week moves."""
    now = [MONDAY]
    return Week(
        settings,
        IngestService(settings, replace(ingest.ports, clock=lambda: now[0], acknowledge=None)),
        TicketDesk(settings, replace(desk.ports, now=lambda: iso_millis(now[0]))),
        OutboundService(settings, replace(outbound.ports, clock=lambda: now[0])),
        lambda moment: now.__setitem__(0, moment),
    )


def work_the_week(week: Week) -> dict[str, str]:
    """The table above, in time order; the ticket ids by letter."""
    t: dict[str, str] = {}
    week.at(0, 9)
    t["A"] = week.file("support", "Printer on fire")
    week.at(0, 9, 10)
    week.take(t["A"], ANN)
    week.at(0, 9, 30)
    week.reply(t["A"], ANN)
    week.at(0, 10)
    t["B"] = week.file("support", "Paper jam")
    week.at(0, 11)
    week.take(t["B"], BOB)
    week.at(0, 12)
    week.reply(t["B"], BOB)
    week.at(1, 8)
    t["C"] = week.file("billing", "Refund please")
    week.take(t["C"], ANN)
    week.at(1, 8, 5)
    answer = week.reply(t["C"], ANN)
    week.at(1, 9)
    week.solve(t["A"], ANN)
    week.solve(t["C"], ANN)
    week.at(2, 10)
    week.solve(t["B"], BOB)
    week.at(2, 11)
    t["D"] = week.file("billing", "Invoice address")
    week.at(3, 10)
    assert week.file("billing", "Re: Refund please", references=answer) == t["C"]  # reopens it
    week.at(3, 11)
    week.reply(t["D"], BOB)
    week.at(4, 10)
    week.solve(t["C"], ANN)
    week.at(5, 9)
    t["E"] = week.file("support", "Toner")
    week.at(5, 10)
    t["F"] = week.file("support", "Login")
    week.at(5, 10, 1)
    week.reply(t["F"], ANN)
    return t
