"""The SLA targets and the breach watch: the in-memory fake and the DynamoDB adapters (moto,
with the stage's real indexes) answer alike."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from chalicelib.adapters.dynamodb_queue import DynamoDBQueue
from chalicelib.adapters.dynamodb_sla import DynamoDBSlaSettings, DynamoDBSlaWatch
from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
from chalicelib.domain import sla
from chalicelib.domain.sla import SlaTarget
from chalicelib.domain.tickets import Ticket, TicketStatus
from chalicelib.errors import InvalidRequest
from chalicelib.services.ports.records import QueueQuery
from chalicelib.services.ports.tickets import SlaSettings, SlaWatch, TicketQueue, TicketStore
from tests.fakes.desk import FakeQueue
from tests.fakes.tickets import FakeTickets
from tests.support.filed_tickets import file_ticket

FILED = "2026-12-07T09:00:00.000Z"


@dataclass
class Sla:
    tickets: TicketStore
    settings: SlaSettings
    watch: SlaWatch
    queue: TicketQueue


@pytest.fixture(params=["fake", "dynamodb"])
def store(request) -> Sla:
    if request.param == "fake":
        memory = FakeTickets()
        return Sla(memory, memory, memory, FakeQueue(memory))
    stack = request.getfixturevalue("stack")
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    return Sla(
        DynamoDBTickets(db, table),
        DynamoDBSlaSettings(db, table),
        DynamoDBSlaWatch(db, table),
        DynamoDBQueue(db, table),
    )


def _file(store: Sla, n: int, target: SlaTarget, mailbox: str = "support") -> Ticket:
    clock = sla.start(target, FILED)
    return file_ticket(
        store.tickets,
        n,
        subject=f"ticket {n}",
        mailbox=mailbox,
        created_at=FILED,
        updated_at=FILED,
        sla=clock,
    )


def test_targets_are_set_per_mailbox_and_priority_cleared_with_zeros_and_read_with_a_lookup(store):
    assert store.settings.policy().targets == {}
    store.settings.set_target("support", "urgent", SlaTarget(15, 120))
    store.settings.set_target("billing", "normal", SlaTarget(60, 0))
    policy = store.settings.policy()
    assert policy.target("support", "urgent") == SlaTarget(15, 120)
    assert policy.target("billing", "normal") == SlaTarget(60, 0)
    assert store.tickets.look_up("ses-x", "support", []).sla == policy
    store.settings.set_target("support", "urgent", SlaTarget())
    assert store.settings.policy().targets == {("billing", "normal"): SlaTarget(60, 0)}


def test_the_watch_returns_tickets_due_by_now_earliest_first_per_mailbox(store):
    late = _file(store, 1, SlaTarget(120, 0))
    early = _file(store, 2, SlaTarget(30, 0))
    _file(store, 3, SlaTarget(30, 0), mailbox="billing")
    _file(store, 4, SlaTarget())  # no clock: never watched
    assert store.watch.overdue("support", "2026-12-07T09:29:59.999Z", 10) == []
    assert [t.id for t in store.watch.overdue("support", "2026-12-07T09:30:00.000Z", 10)] == [early.id]
    assert [t.id for t in store.watch.overdue("support", "2026-12-07T12:00:00.000Z", 10)] == [
        early.id,
        late.id,
    ]
    assert [t.id for t in store.watch.overdue("support", "2026-12-07T12:00:00.000Z", 1)] == [early.id]


def test_a_flag_is_written_once_and_takes_the_ticket_off_the_watch(store):
    ticket = _file(store, 1, SlaTarget(30, 0))
    [seen] = store.watch.overdue("support", "2026-12-07T10:00:00.000Z", 10)
    flagged = replace(seen, sla=seen.sla.flag((sla.Clock.FIRST_RESPONSE,)))
    assert store.watch.flag(seen, flagged)
    assert not store.watch.flag(seen, flagged), "a second sweep that read the same clock loses"
    assert store.tickets.require_ticket(ticket.id).sla.first_response_breached
    assert store.watch.overdue("support", "2099-01-01T00:00:00.000Z", 10) == []


def test_the_queue_sorted_by_due_shows_the_soonest_due_first_and_tickets_without_one_last(store):
    late = _file(store, 1, SlaTarget(240, 0))
    none = _file(store, 2, SlaTarget())
    soon = _file(store, 3, SlaTarget(15, 0))
    middle = _file(store, 4, SlaTarget(60, 0))
    working = (TicketStatus.NEW, TicketStatus.OPEN)
    by_due = QueueQuery("support", working, sort="due")
    first, cursor = store.queue.page(by_due, 2)
    rest, end = store.queue.page(by_due, 2, cursor)
    assert [t.id for t in first + rest] == [soon.id, middle.id, late.id, none.id]
    assert end is None
    # Taking one moves it out of the unassigned view, in due order still.
    taken = replace(middle, assignee="ann@example.com", status=TicketStatus.OPEN)
    store.queue.replace(middle, taken)
    unassigned, _ = store.queue.page(QueueQuery("support", working, assignee="", sort="due"), 10)
    assert [t.id for t in unassigned] == [soon.id, late.id, none.id]
    mine, _ = store.queue.page(QueueQuery("support", working, assignee="ann@example.com", sort="due"), 10)
    assert [t.id for t in mine] == [middle.id]
    with pytest.raises(InvalidRequest):
        store.queue.page(QueueQuery(None, working, assignee="ann@example.com", sort="due"), 10)
    with pytest.raises(InvalidRequest):
        store.queue.page(QueueQuery("support", working), 2, cursor)  # the due order's cursor
