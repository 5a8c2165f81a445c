"""What sending needs of the desk: a reply that went out on a solved or closed ticket
reopens it (services/outbound.py). The desk implements it (TicketDesk.reopen) on its own
ports, so a reply's reopening is the status change an agent makes, not a second copy of it;
in memory in tests/fakes/reopen.py, held to the desk on DynamoDB by
tests/contracts/test_reopen_contract.py."""

from __future__ import annotations

from typing import Protocol


class TicketReopener(Protocol):
    def reopen(self, ticket_id: str, agent: str) -> None:
        """Pending again, as if `agent` changed its status: their audit line, a new resolution
        clock, the report's counters, the event. An InboundError when it cannot (merged or
        changed meanwhile), and nothing changes."""
        ...
