"""SLA on in-memory ports: due times set when a ticket is filed and moved by the desk's
changes, the first staff reply and solving stop the clocks, a customer's reply to a solved
ticket restarts resolution, and the sweep publishes each breach exactly once, driven by a
clock the test sets (`now`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.domain import sla
from chalicelib.domain.sla import SlaTarget
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import InvalidRequest
from chalicelib.services.sla_backlog import SlaBacklog
from chalicelib.services.sla_clocks import SlaSweep, set_target
from tests.fakes.desk import FakeQueue
from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver, deliver_via
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

ANN = "ann@example.com"
MAILBOXES = ("support", "billing")


def at(start: str, minutes: float) -> str:
    return iso_millis(datetime.fromisoformat(start) + timedelta(minutes=minutes))


@pytest.fixture
def stack() -> FakeStack:
    stack = FakeStack()
    stack.tickets.set_target("support", "normal", SlaTarget(60, 8 * 60))
    stack.tickets.set_target("support", "urgent", SlaTarget(15, 2 * 60))
    return stack


def sweep(stack: FakeStack, now: str):
    return SlaSweep(MAILBOXES, stack.tickets, stack.events).sweep(now)


def breaches(stack: FakeStack) -> list[tuple[str, str]]:
    return [(t, d["clock"]) for kind, t, d in stack.events.published if kind == "ticket.sla_breached"]


def test_a_new_ticket_carries_due_times_from_its_mailbox_target(stack):
    ticket = stack.tickets.require_ticket(new_ticket(stack))
    assert ticket.sla.first_response_due == at(ticket.created_at, 60)
    assert ticket.sla.resolution_due == at(ticket.created_at, 8 * 60)


def test_a_mailbox_without_a_target_files_tickets_without_due_times(stack):
    outcome = deliver(stack, make_mail(to="billing@example.com"), recipients=("billing@example.com",))
    ticket = stack.tickets.require_ticket(outcome.ticket)
    assert (ticket.mailbox, ticket.sla.next_due) == ("billing", "")


def test_a_priority_change_recomputes_the_due_times_and_a_mailbox_move_too(stack):
    ticket_id = new_ticket(stack)
    created = stack.tickets.require_ticket(ticket_id).created_at
    stack.desk.update(ticket_id, ANN, priority="urgent")
    clock = stack.tickets.require_ticket(ticket_id).sla
    assert (clock.first_response_due, clock.resolution_due) == (at(created, 15), at(created, 120))
    stack.desk.update(ticket_id, ANN, mailbox="billing")  # no target there
    assert stack.tickets.require_ticket(ticket_id).sla.next_due == ""


def test_a_breach_is_published_exactly_once_however_often_the_sweep_runs(stack):
    ticket_id = new_ticket(stack)
    created = stack.tickets.require_ticket(ticket_id).created_at
    assert sweep(stack, at(created, 59)).breaches == []
    assert sweep(stack, at(created, 61)).breaches == [(ticket_id, "first_response")]
    for minutes in (62, 90, 120):
        sweep(stack, at(created, minutes))
    assert breaches(stack) == [(ticket_id, "first_response")]
    assert stack.tickets.require_ticket(ticket_id).sla.first_response_breached
    sweep(stack, at(created, 8 * 60 + 1))
    sweep(stack, at(created, 9 * 60))
    assert breaches(stack) == [(ticket_id, "first_response"), (ticket_id, "resolution")]
    [(_, _, detail)] = [e for e in stack.events.published if e[0] == "ticket.sla_breached"][:1]
    assert detail == {
        "clock": "first_response",
        "due": at(created, 60),
        "mailbox": "support",
        "priority": "normal",
        "assignee": "",
    }


def test_a_priority_raised_past_its_new_due_is_breached_at_the_next_sweep(stack):
    ticket_id = new_ticket(stack)
    created = stack.tickets.require_ticket(ticket_id).created_at
    sweep(stack, at(created, 20))
    stack.desk.update(ticket_id, ANN, priority="urgent")  # due 15 minutes after filing
    sweep(stack, at(created, 21))
    assert breaches(stack) == [(ticket_id, "first_response")]


def test_a_sweep_that_loses_to_a_colleagues_edit_publishes_nothing_and_the_next_one_decides(stack):
    ticket_id = new_ticket(stack)
    created = stack.tickets.require_ticket(ticket_id).created_at
    [seen] = stack.tickets.overdue("support", at(created, 61), 10)
    stack.desk.update(ticket_id, ANN, priority="low")  # no target for low: the clock stops
    assert not stack.tickets.flag(seen, seen)
    assert sweep(stack, at(created, 61)).breaches == [] and breaches(stack) == []


def test_the_first_staff_reply_stops_the_first_response_clock_and_a_later_one_does_not_move_it():
    svc = mail_out(acknowledge_new_tickets=False)
    svc.desk.tickets.set_target("support", "normal", SlaTarget(60, 480))
    outcome = deliver_via(svc, make_mail())
    tickets = svc.desk.tickets
    svc.outbound.reply(outcome.ticket, "agent-7", "Have you tried water?")
    first = tickets.require_ticket(outcome.ticket).sla.first_response_at
    assert first
    svc.outbound.reply(outcome.ticket, "agent-7", "And now?")
    clock = tickets.require_ticket(outcome.ticket).sla
    assert clock.first_response_at == first
    assert clock.next_due == clock.resolution_due
    created = tickets.require_ticket(outcome.ticket).created_at
    assert SlaSweep(MAILBOXES, tickets, svc.desk.events).sweep(at(created, 61)).breaches == []


def test_solving_stops_resolution_and_a_customer_reply_restarts_it_from_then(stack):
    mail = make_mail(message_id="<first@customer.org>")
    ticket_id = deliver(stack, mail).ticket
    stack.desk.update(ticket_id, ANN, status="solved")
    solved = stack.tickets.require_ticket(ticket_id).sla
    assert solved.resolved_at == iso_millis(stack.clock) and solved.next_due == ""
    sweep(stack, "2099-01-01T00:00:00.000Z")
    assert breaches(stack) == []  # nothing runs on a solved ticket
    again = deliver(stack, make_mail(message_id="<again@customer.org>", in_reply_to="<first@customer.org>"))
    assert again.ticket == ticket_id
    ticket = stack.tickets.require_ticket(ticket_id)
    assert ticket.status == "open" and ticket.sla.resolved_at == ""
    assert ticket.sla.resolution_due == at(ticket.sla.started_at, 8 * 60)
    assert ticket.sla.started_at > solved.resolved_at


def test_an_admin_sets_a_target_for_a_known_mailbox_and_priority_only(stack):
    policy = set_target(stack.tickets, MAILBOXES, "billing", "high", 30, 240)
    assert policy.target("billing", "high") == SlaTarget(30, 240)
    with pytest.raises(InvalidRequest, match="unknown mailbox"):
        set_target(stack.tickets, MAILBOXES, "sales", "high", 30, 240)
    with pytest.raises(InvalidRequest, match="priority must be one of"):
        set_target(stack.tickets, MAILBOXES, "billing", "whenever", 30, 240)
    with pytest.raises(InvalidRequest, match="0 to"):
        set_target(stack.tickets, MAILBOXES, "billing", "high", -5, 240)
    assert (
        set_target(stack.tickets, MAILBOXES, "billing", "high", 0, 0).target("billing", "high") == SlaTarget()
    )


def test_a_message_split_out_starts_its_own_clocks_from_the_split_and_a_merged_ticket_leaves_the_watch(stack):
    first = deliver(stack, make_mail(message_id="<a@customer.org>")).ticket
    second = deliver(stack, make_mail(message_id="<b@customer.org>", in_reply_to="<a@customer.org>"))
    assert second.ticket == first
    split = stack.desk.split(first, ANN, second.ses_message_id)
    clock = stack.tickets.require_ticket(split.id).sla
    assert clock.started_at == iso_millis(stack.clock)
    assert clock.first_response_due == at(iso_millis(stack.clock), 60)
    stack.desk.merge(split.id, ANN, into=first)
    report = sweep(stack, "2099-01-01T00:00:00.000Z")
    assert (split.id, "first_response") not in report.breaches, "a merged-away ticket is breached no more"
    assert stack.tickets.require_ticket(split.id).sla.watch_due == ""


def backlog(stack: FakeStack) -> SlaBacklog:
    return SlaBacklog(MAILBOXES, stack.tickets, FakeQueue(stack.tickets), stack.tickets)


def run_backlog(stack: FakeStack, mailbox: str, priority: str, size: int) -> tuple[int, int]:
    """Every page, as the console and `inbound sla set` call them: (pages, tickets updated)."""
    pages = updated = 0
    cursor = None
    while True:
        page = backlog(stack).page(mailbox, priority, cursor, size)
        pages, updated, cursor = pages + 1, updated + page.updated, page.cursor
        if cursor is None:
            return pages, updated


def test_a_changed_target_moves_the_due_times_of_the_open_backlog_page_by_page_and_once(stack):
    ids = [new_ticket(stack, subject=f"Backlog {n}", sender=f"c{n}@customer.org") for n in range(7)]
    stack.desk.update(ids[0], ANN, priority="urgent")  # another priority: its own target
    stack.desk.update(ids[1], ANN, status="solved")  # done: its clock stopped
    solved = stack.tickets.require_ticket(ids[1]).sla
    seen = stack.tickets.require_ticket(ids[2])  # answered: its first response was met as it was
    stack.tickets.flag(seen, replace(seen, sla=sla.answered(seen.sla, seen.created_at)))
    set_target(stack.tickets, MAILBOXES, "support", "normal", 30, 4 * 60)
    counter = lambda: stack.tickets.counts(["support"])[0].changes  # noqa: E731
    before = counter()
    assert run_backlog(stack, "support", "normal", size=2) == (3, 5)  # 6 unsolved, 2 a page
    assert counter() > before, "the open consoles read their queue again"
    for ticket_id in ids[3:]:
        ticket = stack.tickets.require_ticket(ticket_id)
        assert ticket.sla.first_response_due == at(ticket.created_at, 30)
        assert ticket.sla.resolution_due == at(ticket.created_at, 4 * 60)
    urgent = stack.tickets.require_ticket(ids[0])
    assert urgent.sla.first_response_due == at(urgent.created_at, 15)
    assert stack.tickets.require_ticket(ids[1]).sla == solved
    answered = stack.tickets.require_ticket(ids[2])
    assert answered.sla.first_response_due == seen.sla.first_response_due
    assert answered.sla.resolution_due == at(answered.created_at, 4 * 60)
    moved = counter()
    assert run_backlog(stack, "support", "normal", size=2)[1] == 0, "a second run writes nothing"
    assert counter() == moved


def test_a_cleared_target_stops_the_backlogs_clocks_and_the_watch_forgets_them(stack):
    ticket_id = new_ticket(stack)
    set_target(stack.tickets, MAILBOXES, "support", "normal", 0, 0)
    assert backlog(stack).page("support", "normal").updated == 1
    ticket = stack.tickets.require_ticket(ticket_id)
    assert (ticket.sla.next_due, ticket.sla.watch_due) == ("", "")
    assert sweep(stack, "2099-01-01T00:00:00.000Z").breaches == []


def test_the_backlog_job_names_a_known_mailbox_and_priority(stack):
    with pytest.raises(InvalidRequest, match="unknown mailbox"):
        backlog(stack).page("sales", "normal")
    with pytest.raises(InvalidRequest, match="priority must be one of"):
        backlog(stack).page("support", "whenever")
