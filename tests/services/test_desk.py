"""The staff desk on in-memory ports: the queue staff see, claiming, notes, edits, split and
merge, and the ticket events each publishes. The fakes are held to the DynamoDB adapters by
tests/contracts/test_desk_contract.py; races, S3 links and downloads stay in
tests/adapters/test_ticket_desk.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.errors import (
    AssignedElsewhere,
    ConcurrentUpdate,
    InvalidRequest,
    MessageNotFound,
    TicketConflict,
    TicketNotFound,
)
from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail

ANN, BOB = "ann@example.com", "bob@example.com"


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def ids(page) -> list[str]:
    return [t.id for t in page.tickets]


def mail_keys(detail) -> list[str]:
    """The thread's mail and notes, without its audit lines."""
    return [m.message.key for m in detail.messages if m.message.kind != "event"]


def kinds(stack: FakeStack) -> list[str]:
    return [kind for kind, _, _ in stack.events.published]


def test_the_queue_shows_unassigned_first_then_by_priority_then_oldest_first(stack):
    desk = stack.desk
    oldest, middle, urgent, taken = (new_ticket(stack, f"ticket {n}") for n in range(4))
    desk.update(urgent, ANN, priority="urgent")
    desk.update(taken, ANN, priority="urgent", assignee=BOB)
    assert ids(desk.queue(ANN)) == [urgent, oldest, middle, taken]


def test_pages_follow_each_other_without_gaps_or_repeats_across_statuses(stack):
    desk = stack.desk
    made = [new_ticket(stack, f"ticket {n}") for n in range(7)]
    for ticket_id in made[1::2]:
        desk.update(ticket_id, ANN, status="open")
    whole = ids(desk.queue(ANN, limit=100))
    assert sorted(whole) == sorted(made)
    seen, cursor = [], None
    while True:
        page = desk.queue(ANN, limit=3, cursor=cursor)
        seen += ids(page)
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == whole


def test_filters_narrow_the_queue(stack):
    desk = stack.desk
    plain, tagged, mine, waiting = (new_ticket(stack, f"ticket {n}") for n in range(4))
    desk.update(tagged, ANN, tags=["vip", "printer"])
    desk.update(mine, ANN, assignee="me")
    desk.update(waiting, ANN, status="pending", assignee=ANN)
    assert ids(desk.queue(ANN, tag="vip")) == [tagged]
    assert ids(desk.queue(ANN, assignee="me")) == [mine]
    assert ids(desk.queue(ANN, assignee="none")) == [plain, tagged]
    assert ids(desk.queue(ANN, statuses=["pending"])) == [waiting]
    assert ids(desk.queue(ANN, assignee="me", statuses=["open", "pending"])) == [mine, waiting]
    assert ids(desk.queue(BOB, mailbox="billing")) == []


def test_bad_queue_requests_say_what_is_wrong(stack):
    desk = stack.desk
    with pytest.raises(InvalidRequest, match="unknown mailbox 'sales'"):
        desk.queue(ANN, mailbox="sales")
    with pytest.raises(InvalidRequest, match="unknown status 'done'"):
        desk.queue(ANN, statuses=["done"])
    with pytest.raises(InvalidRequest, match="limit"):
        desk.queue(ANN, limit=0)
    with pytest.raises(InvalidRequest, match="cursor"):
        desk.queue(ANN, cursor="bm90IGEgY3Vyc29y")
    for _ in range(2):
        new_ticket(stack)
    cursor = desk.queue(ANN, limit=1).cursor
    with pytest.raises(InvalidRequest, match="another query"):
        desk.queue(ANN, mailbox="billing", limit=1, cursor=cursor)


def test_claiming_takes_the_first_unassigned_ticket_and_opens_it(stack):
    desk = stack.desk
    first, second = new_ticket(stack, "first"), new_ticket(stack, "second")
    claimed = desk.claim_next(ANN)
    assert (claimed.id, claimed.assignee, claimed.status) == (first, ANN, "open")
    published = {kind: detail for kind, _, detail in stack.events.published}
    assert published["ticket.assigned"]["to"] == ANN
    assert published["ticket.status_changed"] == {"from": "new", "to": "open", "by": ANN}
    assert desk.claim_next(BOB).id == second
    assert desk.claim_next(BOB) is None
    assert stack.tickets.require_ticket(first).assignee == ANN
    trail = [m.message.body.text for m in desk.show(first).messages if m.message.kind == "event"]
    assert trail and all(ANN in line or "open" in line for line in trail)


def test_a_note_is_kept_with_the_messages_and_never_sent(stack):
    desk = stack.desk
    ticket_id = new_ticket(stack)
    note = desk.add_note(ticket_id, ANN, "Called the customer; printer is a toaster.")
    assert kinds(stack)[-1] == "ticket.note_added"
    last = desk.show(ticket_id).messages[-1]
    assert (last.message.kind, last.message.direction, last.message.sender) == ("note", "internal", ANN)
    assert last.body.text.startswith("Called the customer") and last.message.key == note.key
    assert stack.tickets.require_ticket(ticket_id).message_count == 2
    with pytest.raises(InvalidRequest, match="empty"):
        desk.add_note(ticket_id, ANN, "   ")
    with pytest.raises(TicketNotFound):
        desk.add_note("T-999999", ANN, "hello")


def test_status_assignee_priority_and_tags_change_and_the_queue_follows(stack):
    desk = stack.desk
    ticket_id = new_ticket(stack)
    updated = desk.update(ticket_id, ANN, status="pending", assignee=BOB, priority="high", tags=["b", "a"])
    assert set(kinds(stack)) == {"ticket.status_changed", "ticket.assigned"}
    assert (updated.status, updated.assignee, updated.priority, updated.tags) == (
        "pending",
        BOB,
        "high",
        ("a", "b"),
    )
    assert ids(desk.queue(ANN)) == []
    assert ids(desk.queue(BOB, assignee="me", statuses=["pending"])) == [ticket_id]
    with pytest.raises(AssignedElsewhere, match=f"assigned to {BOB}"):
        desk.update(ticket_id, ANN, status="open", assignee="", tags=[])
    desk.update(ticket_id, ANN, status="open", assignee="", tags=[], take_over=True)
    stored = stack.tickets.require_ticket(ticket_id)
    assert (stored.status, stored.assignee, stored.tags) == ("open", "", ())
    assert ids(desk.queue(ANN, assignee="none")) == [ticket_id]
    with pytest.raises(InvalidRequest, match="status must be one of"):
        desk.update(ticket_id, ANN, status="done")
    with pytest.raises(InvalidRequest, match="bbo@example.com is not an agent"):
        desk.update(ticket_id, ANN, assignee="bbo@example.com")
    assert stack.tickets.require_ticket(ticket_id).assignee == "", "a typo owns nothing"
    stack.agents.set_disabled(BOB, True)  # `inbound staff disable`
    with pytest.raises(InvalidRequest, match=f"{BOB} is not an agent, or is disabled"):
        desk.update(ticket_id, ANN, assignee=BOB)
    assert stack.tickets.require_ticket(ticket_id).assignee == "", "a disabled agent owns nothing"
    with pytest.raises(InvalidRequest, match="priority must be one of"):
        desk.update(ticket_id, ANN, priority="asap")
    with pytest.raises(InvalidRequest, match="nothing to change"):
        desk.update(ticket_id, ANN)


def test_an_edit_based_on_a_stale_view_of_the_ticket_is_refused(stack):
    ticket_id = new_ticket(stack)
    seen = stack.tickets.require_ticket(ticket_id)
    stack.desk.update(ticket_id, BOB, assignee=BOB)
    with pytest.raises(ConcurrentUpdate):
        stack.desk.ports.queue.replace(seen, replace(seen, assignee=ANN))
    assert stack.tickets.require_ticket(ticket_id).assignee == BOB


def test_splitting_moves_one_message_to_a_new_ticket_that_its_replies_follow(stack):
    """GIVEN a customer raised a second problem inside a ticket WHEN staff split that message
    out THEN it is the new ticket's only message, and replies to it land on the new ticket."""
    desk = stack.desk
    first = deliver(stack, make_mail(message_id="<one@customer.org>"))
    scanner = make_mail(subject=f"[{first.ticket}] also my scanner", message_id="<two@customer.org>")
    second = deliver(stack, scanner, timestamp="2026-11-27T10:05:00.000Z")
    assert second.ticket == first.ticket
    new = desk.split(first.ticket, ANN, second.ses_message_id)
    assert (new.requester, new.status, new.message_count) == ("alice@customer.org", "new", 1)
    assert (new.subject, new.related_ticket) == ("also my scanner", first.ticket), "a fresh tag, linked back"
    assert mail_keys(desk.show(new.id)) == [second.ses_message_id]
    assert mail_keys(desk.show(first.ticket)) == [first.ses_message_id]
    assert stack.tickets.require_ticket(first.ticket).message_count == 1
    assert kinds(stack)[-2:] == ["ticket.split", "ticket.created"]
    answer = deliver(stack, make_mail(subject="Re: scanner", in_reply_to="<two@customer.org>"))
    assert (answer.outcome, answer.ticket, answer.thread_signal) == ("threaded", new.id, "references")
    still = deliver(stack, make_mail(subject="Re: printer", in_reply_to="<one@customer.org>"))
    assert still.ticket == first.ticket
    again = desk.split(first.ticket, ANN, second.ses_message_id)  # a retried request
    assert (again.id, again.message_count) == (new.id, 2), "the same ticket, nothing moved twice"
    with pytest.raises(MessageNotFound):
        desk.split(first.ticket, ANN, second.ses_message_id, ["no-such-message"])


def test_a_split_naming_an_unknown_message_is_refused_without_spending_a_ticket_number(stack):
    """GIVEN a ticket WHEN staff split it naming a message key it does not have THEN the
    refusal spends no number: the next new ticket takes the next one."""
    first = deliver(stack, make_mail(message_id="<one@customer.org>"))
    deliver(stack, make_mail(subject=f"[{first.ticket}] more", message_id="<two@customer.org>"))
    with pytest.raises(MessageNotFound, match="no-such-message"):
        stack.desk.split(first.ticket, ANN, "no-such-message")
    following = deliver(stack, make_mail(subject="Another problem", message_id="<three@customer.org>"))
    assert following.ticket == f"T-{int(first.ticket.removeprefix('T-')) + 1}"


def test_the_only_message_of_a_ticket_cannot_be_split_out(stack):
    outcome = deliver(stack, make_mail())
    with pytest.raises(TicketConflict, match="only message"):
        stack.desk.split(outcome.ticket, ANN, outcome.ses_message_id)


def test_merging_moves_every_message_and_closes_the_source_with_a_pointer(stack):
    desk = stack.desk
    source = deliver(stack, make_mail(subject="Printer", message_id="<src@customer.org>"))
    deliver(stack, make_mail(subject=f"Re: [{source.ticket}] Printer", body="more"))
    target = new_ticket(stack, "Printer again")
    merged = desk.merge(source.ticket, ANN, target)
    [(_, merged_ticket, detail)] = [e for e in stack.events.published if e[0] == "ticket.merged"]
    assert merged_ticket == source.ticket and detail["into"] == target
    assert merged.id == target and merged.message_count == 3
    assert len(mail_keys(desk.show(target))) == 3
    closed = desk.show(source.ticket)
    assert (closed.ticket.status, closed.merged_into, closed.messages) == ("closed", target, ())
    assert source.ticket not in ids(desk.queue(ANN))
    answer = deliver(stack, make_mail(subject="Re: Printer", in_reply_to="<src@customer.org>"))
    assert answer.ticket == target
    with pytest.raises(TicketConflict, match="merged into"):
        desk.update(source.ticket, ANN, status="open")
    with pytest.raises(TicketConflict, match="already merged"):
        desk.merge(source.ticket, ANN, target)
    with pytest.raises(InvalidRequest, match="itself"):
        desk.merge(target, ANN, target)
    with pytest.raises(InvalidRequest, match="no ticket T-999999"):
        desk.merge(target, ANN, "T-999999")


def test_staff_copy_and_uncopy_a_participant_and_the_trail_says_who(stack):
    desk = stack.desk
    ticket_id = new_ticket(stack)
    added = desk.add_participant(ticket_id, ANN, "Bob@Customer.org")
    assert added.copied == ("bob@customer.org",)
    with pytest.raises(InvalidRequest, match="one of our own addresses"):
        desk.add_participant(ticket_id, ANN, "billing@example.com")
    with pytest.raises(InvalidRequest, match="requester"):
        desk.remove_participant(ticket_id, ANN, "alice@customer.org")
    stack.clock += timedelta(minutes=1)
    assert desk.remove_participant(ticket_id, ANN, "bob@customer.org").copied == ()
    trail = [m.message.body.text for m in desk.show(ticket_id).messages if m.message.kind == "event"]
    assert trail == ["added bob@customer.org to Cc", "removed bob@customer.org from Cc"]


def test_a_colleagues_claim_note_and_edits_move_the_mailboxs_change_counter(stack):
    """What an open console polls (notify.js): every staff edit moves its mailbox's counter,
    none counts as a new ticket."""
    desk = stack.desk
    ticket_id = new_ticket(stack, "printer")
    [before] = stack.tickets.counts(["support"])

    assert desk.claim_next(BOB) is not None
    desk.add_note(ticket_id, BOB, "Called them.")
    desk.update(ticket_id, BOB, status="pending", priority="urgent", tags=["vip"])

    [after] = stack.tickets.counts(["support"])
    assert (after.changes - before.changes, after.tickets, after.ticket) == (3, before.tickets, ticket_id)


def test_a_views_count_stops_at_the_cap_and_says_there_are_more(stack):
    """GIVEN three new tickets WHEN the views are counted up to two THEN "new" says 2 and more,
    the others 0 and no more (the console shows "2+")."""
    from chalicelib.services.queue_counts import view_counts

    for n in range(3):
        new_ticket(stack, f"Question {n}")

    counts = view_counts(stack.desk.ports.queue, "support", "ann@example.com", cap=2)

    assert (counts["new"].count, counts["new"].more) == (2, True)
    assert [(c.count, c.more) for name, c in counts.items() if name != "new"] == [(0, False)] * 5
