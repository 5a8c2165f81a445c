"""A reply's reopening (services/ports/reopen.py): the in-memory fake and the desk on DynamoDB
(moto), as the wiring hands it to the outbound service, answer the same way: a solved or
closed ticket is pending again with the agent's audit line and its resolution clock running;
a merged ticket is refused naming the survivor, a missing one is not found; nothing changes
then."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.adapters.dynamodb_ticket_edits import DynamoDBTicketEdits
from chalicelib.domain.sla import SlaClock
from chalicelib.errors import MergedTicket, TicketNotFound
from chalicelib.services.ports.reopen import TicketReopener
from chalicelib.services.ports.tickets import TicketEdits, TicketStore
from tests.fakes.desk import FakeEdits
from tests.fakes.reopen import FakeReopener
from tests.fakes.tickets import FakeTickets
from tests.support.filed_tickets import file_ticket

ANN = "ann@example.com"
SOLVED_AT = "2026-12-07T11:00:00.000Z"


@dataclass
class Reopening:
    reopener: TicketReopener
    tickets: TicketStore
    edits: TicketEdits  # to merge a ticket away


@pytest.fixture(params=["fake", "desk"])
def reopening(request) -> Reopening:
    if request.param == "fake":
        memory = FakeTickets()
        return Reopening(FakeReopener(memory), memory, FakeEdits(memory))
    stack = request.getfixturevalue("stack")
    edits = DynamoDBTicketEdits(stack.client("dynamodb"), stack.settings.tickets_table)
    return Reopening(stack.services.outbound.ports.reopener, stack.tickets, edits)


def _events(reopening: Reopening, ticket_id: str) -> list[tuple[str, str]]:
    return [(m.sender_name, m.body.text) for m in reopening.tickets.messages(ticket_id) if m.kind == "event"]


def test_a_solved_or_closed_ticket_is_pending_again_with_the_agents_line_and_a_running_clock(reopening):
    done = SlaClock(started_at="2026-12-07T10:01:00.000Z", resolved_at=SOLVED_AT)
    solved = file_ticket(reopening.tickets, 1, status="solved", sla=done)
    closed = file_ticket(reopening.tickets, 2, status="closed", sla=done)

    for ticket in (solved, closed):
        reopening.reopener.reopen(ticket.id, ANN)

        now = reopening.tickets.require_ticket(ticket.id)
        assert now.status == "pending"
        assert now.sla.resolved_at == "" and now.sla.started_at > SOLVED_AT
        assert _events(reopening, ticket.id) == [(ANN, f"status {ticket.status} → pending")]


def test_a_merged_ticket_is_refused_naming_the_survivor_and_a_missing_one_is_not_found(reopening):
    source = file_ticket(reopening.tickets, 1, status="solved")
    target = file_ticket(reopening.tickets, 2)
    at = "2026-12-07T12:00:00.000Z"
    reopening.edits.merge_messages(source, target, reopening.tickets.messages(source.id), at)
    reopening.edits.close_merged(source, target, at)
    merged = reopening.tickets.require_ticket(source.id)

    with pytest.raises(MergedTicket) as refused:
        reopening.reopener.reopen(source.id, ANN)
    with pytest.raises(TicketNotFound):
        reopening.reopener.reopen("T-1999", ANN)

    assert refused.value.into == target.id
    assert reopening.tickets.require_ticket(source.id) == merged
    assert _events(reopening, source.id) == []
