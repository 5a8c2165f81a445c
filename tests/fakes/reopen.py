"""In memory: a reply's reopening (services/ports/reopen.py) on FakeTickets, as the desk
does it (the agent's audit line, the resolution clock restarted, one write that refuses a
ticket changed meanwhile); held to the desk on DynamoDB by tests/contracts/test_reopen_contract.py."""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.domain import audit
from chalicelib.domain.tickets import TicketStatus
from chalicelib.errors import InboundError
from chalicelib.services.sla_clocks import edited_clock
from tests.fakes.desk import FakeQueue
from tests.fakes.tickets import FakeTickets


@dataclass
class FakeReopener:
    """`refusal`: what the next reopen raises instead, as the desk does when the ticket was
    merged or changed meanwhile; nothing changes."""

    tickets: FakeTickets
    now: str = "2026-12-07T12:00:00.000Z"
    refusal: InboundError | None = None

    def reopen(self, ticket_id: str, agent: str) -> None:
        refusal, self.refusal = self.refusal, None
        if refusal is not None:
            raise refusal
        before = self.tickets.live_ticket(ticket_id)
        after = replace(before, status=TicketStatus.PENDING, updated_at=self.now)
        after = replace(after, sla=edited_clock(self.tickets.policy, before, after, self.now))
        trail = audit.events_of(before.id, agent, audit.change_lines(before, after), self.now)
        FakeQueue(self.tickets).replace(before, after, trail)
