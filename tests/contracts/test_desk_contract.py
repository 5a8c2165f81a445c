"""The desk's queue and edits: the in-memory fakes and the DynamoDB adapters (moto) answer
the same calls the same way (queue order, filters, pages, stale writes, split and merge)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from chalicelib.adapters.dynamodb_changes import DynamoDBChanges
from chalicelib.adapters.dynamodb_queue import DynamoDBQueue
from chalicelib.adapters.dynamodb_ticket_edits import DynamoDBTicketEdits
from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
from chalicelib.domain.message_claims import IndexEntry, MessageIdClaim
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.tickets import Ticket, TicketStatus, ticket_id_for
from chalicelib.errors import ConcurrentUpdate, TicketNotFound
from chalicelib.services.ports.records import ChangeCount, QueueQuery
from chalicelib.services.ports.tickets import ChangeCounters, TicketEdits, TicketQueue, TicketStore
from tests.fakes.desk import FakeEdits, FakeQueue
from tests.fakes.tickets import FakeTickets
from tests.support.filed_tickets import customer_message, file_ticket

WORKING = (TicketStatus.NEW, TicketStatus.OPEN)


@dataclass
class Desk:
    tickets: TicketStore
    queue: TicketQueue
    edits: TicketEdits
    changes: ChangeCounters


@pytest.fixture(params=["fake", "dynamodb"])
def desk(request) -> Desk:
    if request.param == "fake":
        memory = FakeTickets()
        return Desk(memory, FakeQueue(memory), FakeEdits(memory), memory)
    stack = request.getfixturevalue("stack")
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    return Desk(
        DynamoDBTickets(db, table),
        DynamoDBQueue(db, table),
        DynamoDBTicketEdits(db, table),
        DynamoDBChanges(db, table),
    )


def _tickets(desk: Desk, count: int, mailbox: str = "support") -> list[Ticket]:
    return [
        file_ticket(desk.tickets, n, message_id=f"m{n}@c.org", subject=f"ticket {n}", mailbox=mailbox)
        for n in range(1, count + 1)
    ]


def _ids(tickets: list[Ticket]) -> list[str]:
    return [t.id for t in tickets]


def test_the_queue_reads_unassigned_first_then_by_priority_then_oldest_and_pages_through(desk):
    a, b, c, d, e = _tickets(desk, 5)
    desk.queue.replace(c, replace(c, priority="urgent"))
    desk.queue.replace(d, replace(d, assignee="bob@example.com", status=TicketStatus.OPEN))
    desk.queue.replace(e, replace(e, tags=("vip",)))

    whole, end = desk.queue.page(QueueQuery("support", WORKING), 10)
    assert (_ids(whole), end) == ([c.id, a.id, b.id, e.id, d.id], None)
    first, cursor = desk.queue.page(QueueQuery("support", WORKING), 2)
    second, cursor = desk.queue.page(QueueQuery("support", WORKING), 2, cursor)
    third, last = desk.queue.page(QueueQuery("support", WORKING), 2, cursor)
    assert _ids(first + second + third) == _ids(whole) and last is None
    assert _ids(desk.queue.page(QueueQuery("support", WORKING, tag="vip"), 10)[0]) == [e.id]
    assert _ids(desk.queue.page(QueueQuery(None, WORKING, assignee="bob@example.com"), 10)[0]) == [d.id]
    assert _ids(desk.queue.unassigned("support", WORKING)) == [c.id, a.id, b.id, e.id]
    assert desk.queue.page(QueueQuery("billing", WORKING), 10) == ([], None)


def test_a_write_from_a_stale_view_is_refused_and_a_missing_ticket_is_not_found(desk):
    [ticket] = _tickets(desk, 1)
    desk.queue.replace(ticket, replace(ticket, assignee="bob@example.com"))

    with pytest.raises(ConcurrentUpdate):
        desk.queue.replace(ticket, replace(ticket, assignee="ann@example.com"))
    assert desk.queue.load(ticket.id) == (desk.tickets.require_ticket(ticket.id), "")
    assert desk.tickets.require_ticket(ticket.id).assignee == "bob@example.com"
    ghost = replace(ticket, id="T-9999")
    with pytest.raises(TicketNotFound):
        desk.queue.replace(ghost, replace(ghost, status=TicketStatus.OPEN))
    with pytest.raises(TicketNotFound):
        desk.queue.load("not-a-ticket")


def test_a_staff_edit_of_the_subject_is_what_the_ticket_reads_afterwards(desk):
    [ticket] = _tickets(desk, 1)

    desk.queue.replace(ticket, replace(ticket, subject="Scanner driver"), terms=("scanner", "driver"))

    assert desk.tickets.require_ticket(ticket.id).subject == "Scanner driver"
    assert desk.queue.load(ticket.id)[0].subject == "Scanner driver"


def test_a_split_message_moves_to_its_new_ticket_which_the_source_links_to(desk):
    [source] = _tickets(desk, 1)
    later = customer_message(source.id, "ses-2b", "2026-12-07T11:00:00.000Z", "m2b@c.org")
    desk.edits.add_message(source, later, later.received_at)
    new = replace(
        source, id=ticket_id_for(7), subject="also", created_at=later.received_at, related_ticket=source.id
    )

    desk.edits.split(desk.tickets.require_ticket(source.id), later, new, later.received_at)

    assert [m.key for m in desk.tickets.messages(new.id)] == ["ses-2b"]
    assert [m.key for m in desk.tickets.messages(source.id)] == ["ses-1"]
    kept = desk.tickets.require_ticket(source.id)
    assert (kept.message_count, kept.related_ticket) == (1, new.id)
    # A message whose Message-ID was never indexed (a note here; a mailed report) is not by the move.
    assert desk.tickets.tickets_by_message_ids("support", ["m2b@c.org"]) == {}
    with pytest.raises(ConcurrentUpdate):  # the last message stays
        desk.edits.split(kept, desk.tickets.messages(source.id)[0], replace(new, id=ticket_id_for(8)), "x")


def test_a_merged_ticket_hands_its_messages_and_people_over_and_closes_pointing_there(desk):
    source, target = _tickets(desk, 2)
    desk.edits.merge_messages(source, target, desk.tickets.messages(source.id), "2026-12-07T12:00:00.000Z")
    desk.edits.close_merged(source, target, "2026-12-07T12:00:00.000Z")

    closed, into = desk.queue.load(source.id)
    assert (closed.status, closed.message_count, into) == ("closed", 0, target.id)
    assert desk.tickets.require_ticket(target.id).message_count == 2
    assert sorted(m.key for m in desk.tickets.messages(target.id)) == ["ses-1", "ses-2"]
    with pytest.raises(ConcurrentUpdate):
        desk.edits.add_message(closed, customer_message(source.id, "late", "2026-12-07T13:00:00.000Z"), "x")


def test_a_moved_mail_keeps_its_message_id_entrys_fingerprint_and_another_mails_entry_stays(desk):
    """Split and merge move a mail's Message-ID entry with the fingerprint it was stored with
    (domain/message_claims.py), so the same mail again is still a duplicate and another
    mail with its Message-ID is still filed apart; a mail filed apart under a Message-ID
    that is another mail's moves without taking that entry."""
    claim = MessageIdClaim("f" * 32, authenticated=True)
    at = "2026-12-07T10:00:00.000Z"
    source = Ticket(
        "T-1001", "support", "Printer", "alice@customer.org", created_at=at, updated_at=at, message_count=1
    )
    first = customer_message(source.id, "ses-1", at, "m1@c.org")
    desk.tickets.commit_new(
        "ses-1", source, first, Outcome("created", "ses-1", source.id).as_record(), 0, (), IndexEntry(claim)
    )
    apart = replace(source, id="T-1002")
    desk.tickets.commit_new(
        "ses-2",
        apart,
        customer_message(apart.id, "ses-2", at, "m1@c.org"),
        Outcome("created", "ses-2", apart.id).as_record(),
        1,
        (),
        IndexEntry(MessageIdClaim("a" * 32), indexed=False),
    )
    later = customer_message(source.id, "ses-1b", "2026-12-07T11:00:00.000Z")
    desk.edits.add_message(desk.tickets.require_ticket(source.id), later, later.received_at)
    new = replace(source, id=ticket_id_for(7), created_at=later.received_at, related_ticket=source.id)

    desk.edits.split(desk.tickets.require_ticket(source.id), first, new, later.received_at)
    found = desk.tickets.look_up("ses-x", "support", ["m1@c.org"])
    assert (found.message_ids, found.claims) == ({"m1@c.org": new.id}, {"m1@c.org": claim})

    into = desk.tickets.require_ticket(source.id)
    desk.edits.merge_messages(
        desk.tickets.require_ticket(apart.id), into, desk.tickets.messages(apart.id), at
    )
    found = desk.tickets.look_up("ses-x", "support", ["m1@c.org"])
    assert (found.message_ids, found.claims) == ({"m1@c.org": new.id}, {"m1@c.org": claim})


def test_a_participant_is_added_only_while_there_is_room_and_removed_any_time(desk):
    [ticket] = _tickets(desk, 1)
    desk.edits.change_participants(ticket, "add", "bob@customer.org", "2026-12-07T12:00:00.000Z", 1)

    assert desk.tickets.require_ticket(ticket.id).participants == ("alice@customer.org", "bob@customer.org")
    with pytest.raises(ConcurrentUpdate):
        desk.edits.change_participants(ticket, "add", "carol@customer.org", "2026-12-07T12:01:00.000Z", 1)
    desk.edits.change_participants(ticket, "remove", "bob@customer.org", "2026-12-07T12:02:00.000Z", 0)
    assert desk.tickets.require_ticket(ticket.id).participants == ("alice@customer.org",)


def test_every_staff_edit_moves_its_mailboxs_change_counter_and_a_move_moves_both(desk):
    """So a colleague's open console re-reads its queue within seconds (notify.js): claim,
    note, participants, split, merge and a move to another mailbox; none is a new ticket."""
    one, two = _tickets(desk, 2)
    counted = [ChangeCount("support", changes=2, tickets=2, ticket=two.id), ChangeCount("billing")]
    assert desk.changes.counts(["support", "billing"]) == counted
    at = "2026-12-07T11:00:00.000Z"

    desk.queue.replace(one, replace(one, assignee="bob@example.com", status=TicketStatus.OPEN))
    assert desk.changes.counts(["support"]) == [ChangeCount("support", changes=3, tickets=2, ticket=one.id)]
    note = replace(customer_message(one.id, "note-1", at), direction="internal", kind="note")
    desk.edits.add_message(desk.tickets.require_ticket(one.id), note, at)
    desk.edits.change_participants(desk.tickets.require_ticket(one.id), "add", "bob@customer.org", at, 5)
    later = customer_message(two.id, "ses-2b", at, "m2b@c.org")
    desk.edits.add_message(two, later, at)
    new = replace(two, id=ticket_id_for(7), created_at=at)
    desk.edits.split(desk.tickets.require_ticket(two.id), later, new, at)
    assert desk.changes.counts(["support"]) == [ChangeCount("support", changes=7, tickets=2, ticket=two.id)]
    source, target = desk.tickets.require_ticket(new.id), desk.tickets.require_ticket(one.id)
    desk.edits.merge_messages(source, target, desk.tickets.messages(new.id), at)
    desk.edits.close_merged(source, target, at)
    assert desk.changes.counts(["support"]) == [ChangeCount("support", changes=8, tickets=2, ticket=one.id)]

    moved = desk.tickets.require_ticket(two.id)
    desk.queue.replace(moved, replace(moved, mailbox="billing"))

    assert desk.changes.counts(["support", "billing"]) == [
        ChangeCount("support", changes=9, tickets=2, ticket=two.id),
        ChangeCount("billing", changes=1, ticket=two.id),
    ]
