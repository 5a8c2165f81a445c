"""One contract, two implementations: the in-memory tickets of tests/fakes and the DynamoDB
adapters (moto) answer the same calls the same way, so a service test on the fake proves
something about the real thing.

Over 300 lines: one port's contract (TicketStore with the deliveries, suspended list and
counters its commits write in the same transaction), sharing one Store fixture and one set of
record builders; split, each half would need them from tests/support for no gain."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_changes import DynamoDBChanges
from chalicelib.adapters.dynamodb_deliveries import DynamoDBDeliveries
from chalicelib.adapters.dynamodb_report_counters import DynamoDBReportCounters
from chalicelib.adapters.dynamodb_suspended import DynamoDBSuspended
from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
from chalicelib.domain import participants
from chalicelib.domain.message_claims import IndexEntry, MessageIdClaim, UnfiledClaim
from chalicelib.domain.notes import joined, note, plain
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.report_counts import bucket
from chalicelib.domain.tickets import Body, StoredMessage, Ticket, TicketStatus, ticket_id_for
from chalicelib.errors import (
    AlreadyProcessed,
    ConcurrentUpdate,
    DuplicateMessageId,
    TicketNotFound,
    TicketNumberTaken,
)
from chalicelib.services.ports.records import AGENT_SCOPE, ChangeCount, SuspendedMessage, TicketChange
from chalicelib.services.ports.tickets import (
    ChangeCounters,
    Deliveries,
    ReportCounters,
    SuspendedList,
    TicketStore,
)
from tests.fakes.tickets import FakeTickets


@dataclass
class Store:
    tickets: TicketStore
    deliveries: Deliveries
    suspended: SuspendedList
    changes: ChangeCounters
    reports: ReportCounters


@pytest.fixture(params=["fake", "dynamodb"])
def store(request) -> Store:
    if request.param == "fake":
        memory = FakeTickets()
        return Store(memory, memory, memory, memory, memory)
    stack = request.getfixturevalue("stack")
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    return Store(
        DynamoDBTickets(db, table),
        DynamoDBDeliveries(db, table),
        DynamoDBSuspended(db, table),
        DynamoDBChanges(db, table),
        DynamoDBReportCounters(db, table),
    )


def _message(
    ticket_id: str, key: str, at: str, message_id: str = "", sender: str = "alice@customer.org"
) -> StoredMessage:
    return StoredMessage(
        ticket_id=ticket_id,
        key=key,
        direction="inbound",
        kind="customer",
        sender=sender,
        sender_name="Alice",
        to=("support@example.com",),
        cc=(),
        subject="Printer on fire",
        message_id=message_id,
        received_at=at,
        thread_signal="new",
        body=Body(text="It is on fire."),
    )


def _ticket(
    number: int, at: str = "2026-12-07T10:00:00.000Z", requester: str = "alice@customer.org"
) -> Ticket:
    return Ticket(
        id=ticket_id_for(number),
        mailbox="support",
        subject="Printer on fire",
        requester=requester,
        created_at=at,
        updated_at=at,
        message_count=1,
        token_nonce="n0nce",
    )


def _record(outcome: str, ticket: str | None = None, **extra: Any) -> dict[str, Any]:
    return {**Outcome(outcome, "x", ticket=ticket, mailbox="support").as_record(), **extra}


def _new(store: Store, ses_id: str, number: int, message_id: str = "", last: int | None = None) -> Ticket:
    ticket = _ticket(number)
    message = _message(ticket.id, ses_id, ticket.created_at, message_id)
    previous = number - 1 if last is None else last
    store.tickets.commit_new(ses_id, ticket, message, _record("created", ticket.id), previous)
    return ticket


def test_a_new_ticket_is_read_back_with_its_message_index_counter_and_delivery(store):
    ticket = _new(store, "ses-1", 1, "m1@customer.org")

    assert store.tickets.get_ticket(ticket.id) == ticket.__class__(
        **{**ticket.__dict__, "participants": ("alice@customer.org",)}
    )
    assert [m.key for m in store.tickets.messages(ticket.id)] == ["ses-1"]
    assert store.tickets.tickets_by_message_ids("support", ["m1@customer.org", "other"]) == {
        "m1@customer.org": ticket.id
    }
    found = store.tickets.look_up("ses-1", "support", ["m1@customer.org", "m1@customer.org", ""])
    assert (found.last_number, found.message_ids) == (1, {"m1@customer.org": ticket.id})
    assert found.delivery is not None
    assert Outcome.from_record("ses-1", found.delivery) == Outcome("created", "ses-1", ticket.id, "support")
    assert store.tickets.get_tickets([ticket.id, "T-9999", ticket.id]) == {
        ticket.id: store.tickets.get_ticket(ticket.id)
    }
    with pytest.raises(TicketNotFound):
        store.tickets.require_ticket("T-9999")


def test_a_ticket_keeps_whether_its_requester_was_authenticated(store):
    ticket = replace(_ticket(1), requester_authenticated=False)
    message = _message(ticket.id, "ses-1", ticket.created_at)
    store.tickets.commit_new("ses-1", ticket, message, _record("created", ticket.id), 0)
    assert store.tickets.require_ticket(ticket.id).requester_authenticated is False
    assert _new(store, "ses-2", 2).requester_authenticated is True
    later = "2026-12-07T11:00:00.000Z"
    unproven = TicketChange(ticket.id, later)
    store.tickets.commit_thread(
        "ses-3", "support", unproven, _message(ticket.id, "ses-3", later), _record("x")
    )
    assert store.tickets.require_ticket(ticket.id).requester_authenticated is False
    proven = TicketChange(ticket.id, later, requester_authenticated=True)
    store.tickets.commit_thread("ses-4", "support", proven, _message(ticket.id, "ses-4", later), _record("x"))
    assert store.tickets.require_ticket(ticket.id).requester_authenticated is True


def test_a_messages_and_a_tickets_notes_read_back_with_their_codes_and_values(store):
    noted = (
        plain("Auto-Submitted: auto-replied"),
        participants.not_a_participant("eve@else.org"),
        participants.UNAUTHENTICATED,
    )
    ticket = replace(_ticket(1), related_ticket="T-9", related_reason=joined(noted), related_notes=noted)
    message = replace(_message(ticket.id, "ses-1", ticket.created_at), reason=joined(noted), notes=noted)
    store.tickets.commit_new("ses-1", ticket, message, _record("created", ticket.id), 0)
    [got] = store.tickets.messages(ticket.id)
    assert (got.notes, got.reason) == (noted, joined(noted))
    assert store.tickets.require_ticket(ticket.id).related_notes == noted
    # a message stored before notes kept codes reads back with none (its reason is shown)
    _new(store, "ses-2", 2)
    assert store.tickets.messages(ticket_id_for(2))[0].notes == ()
    assert store.tickets.require_ticket(ticket_id_for(2)).related_notes == ()


def test_a_delivery_a_message_id_and_a_ticket_number_are_each_used_once(store):
    _new(store, "ses-1", 1, "m1@customer.org")

    with pytest.raises(AlreadyProcessed):
        _new(store, "ses-1", 2)
    with pytest.raises(DuplicateMessageId):
        _new(store, "ses-2", 2, "m1@customer.org")
    with pytest.raises(TicketNumberTaken) as taken:
        _new(store, "ses-3", 1, last=0)
    assert taken.value.ticket_exists
    with pytest.raises(TicketNumberTaken) as behind:
        _new(store, "ses-4", 3, last=0)
    assert not behind.value.ticket_exists
    assert store.tickets.ticket_counter() == 1
    assert store.deliveries.get_delivery("ses-2") is None  # nothing of a refused commit stays


def test_a_message_id_entry_keeps_its_mails_claim_and_is_replaced_only_from_the_claim_read(store):
    """What the index knows of the mail that stored a Message-ID (domain/message_claims.py): an
    entry without a claim reads as MessageIdClaim() (as older versions wrote them); a mail
    filed apart leaves the entry alone; a take-over replaces it only while it holds the claim
    read, else DuplicateMessageId and nothing of the commit stays."""
    first = MessageIdClaim("f" * 32, authenticated=False)
    forged = _ticket(1)
    store.tickets.commit_new(
        "ses-1",
        forged,
        _message(forged.id, "ses-1", forged.created_at, "m1@customer.org"),
        _record("created", forged.id),
        0,
        (),
        IndexEntry(first),
    )
    assert store.tickets.look_up("ses-x", "support", ["m1@customer.org"]).claims == {"m1@customer.org": first}
    apart = _ticket(2)
    store.tickets.commit_new(
        "ses-2",
        apart,
        _message(apart.id, "ses-2", apart.created_at, "m1@customer.org"),
        _record("created", apart.id),
        1,
        (),
        IndexEntry(MessageIdClaim("a" * 32), indexed=False),
    )
    found = store.tickets.look_up("ses-x", "support", ["m1@customer.org"])
    assert (found.message_ids, found.claims) == ({"m1@customer.org": forged.id}, {"m1@customer.org": first})

    real = MessageIdClaim("b" * 32, authenticated=True)
    stale = IndexEntry(real, replaces=MessageIdClaim("c" * 32))
    ticket = _ticket(3)
    with pytest.raises(DuplicateMessageId):
        store.tickets.commit_new(
            "ses-3",
            ticket,
            _message(ticket.id, "ses-3", ticket.created_at, "m1@customer.org"),
            _record("created", ticket.id),
            2,
            (),
            stale,
        )
    assert store.deliveries.get_delivery("ses-3") is None
    store.tickets.commit_new(
        "ses-3",
        ticket,
        _message(ticket.id, "ses-3", ticket.created_at, "m1@customer.org"),
        _record("created", ticket.id),
        2,
        (),
        IndexEntry(real, replaces=first),
    )
    found = store.tickets.look_up("ses-x", "support", ["m1@customer.org"])
    assert (found.message_ids, found.claims) == ({"m1@customer.org": ticket.id}, {"m1@customer.org": real})
    _new(store, "ses-4", 4, "m4@customer.org")  # no entry given: no claim, as before
    assert store.tickets.look_up("ses-x", "support", ["m4@customer.org"]).claims == {
        "m4@customer.org": MessageIdClaim()
    }


def test_a_reply_joins_its_ticket_and_reopens_it_only_from_the_status_it_was_read_in(store):
    ticket = _new(store, "ses-1", 1)
    later = "2026-12-07T11:00:00.000Z"
    change = TicketChange(
        ticket.id,
        later,
        ("bob@customer.org",),
        attachments=2,
        reopen_to="open",
        old_status="new",
        reopened=ticket,
    )
    reply = _message(ticket.id, "ses-2", later, "m2@customer.org")

    store.tickets.commit_thread(
        "ses-2", "support", change, reply, _record("threaded", ticket.id), (), ticket.created_at
    )

    joined = store.tickets.require_ticket(ticket.id)
    assert (joined.status, joined.message_count, joined.attachment_count, joined.updated_at) == (
        "open",
        2,
        2,
        later,
    )
    assert joined.participants == ("alice@customer.org", "bob@customer.org")
    assert [m.key for m in store.tickets.messages(ticket.id)] == ["ses-1", "ses-2"]
    stale = TicketChange(ticket.id, later, reopen_to="open", old_status="solved", reopened=joined)
    with pytest.raises(ConcurrentUpdate):
        store.tickets.commit_thread(
            "ses-3", "support", stale, _message(ticket.id, "ses-3", later), _record("threaded")
        )
    assert store.deliveries.get_delivery("ses-3") is None


def test_a_split_number_is_pinned_to_its_key(store):
    assert store.tickets.pinned_ticket_id("split.T-1001.a") is None
    first = store.tickets.allocate_ticket_id("split.T-1001.a")
    assert store.tickets.pinned_ticket_id("split.T-1001.a") == first

    assert store.tickets.allocate_ticket_id("split.T-1001.a") == first
    assert store.tickets.allocate_ticket_id("split.T-1001.b") != first


def test_a_stored_reply_is_stored_once(store):
    ticket = _new(store, "ses-1", 1)
    reply = StoredMessage(
        ticket_id=ticket.id,
        key="reply-1",
        direction="outbound",
        kind="reply",
        sender="agent",
        sender_name="",
        to=("alice@customer.org",),
        cc=(),
        subject="Re: Printer on fire",
        message_id="r1@example.com",
        received_at="2026-12-07T12:00:00.000Z",
        thread_signal="staff",
        body=Body(text="Water."),
    )

    assert store.tickets.record_outbound(
        "support", reply, ("ses-alias@email.amazonses.com",), "out-1", (ticket, "pending")
    )
    assert not store.tickets.record_outbound("support", reply)
    stored = store.tickets.require_ticket(ticket.id)
    assert (stored.status, stored.message_count) == ("pending", 2)
    assert store.tickets.tickets_by_message_ids("support", ["ses-alias@email.amazonses.com"]) == {
        "ses-alias@email.amazonses.com": ticket.id
    }


def test_a_suspended_mail_is_recorded_with_its_delivery_once_and_listed_until_deleted(store):
    mail = SuspendedMessage(
        mailbox="support",
        ses_message_id="ses-9",
        received_at="2026-12-07T09:00:00.000Z",
        archive_key="archive/2026/12/07/ses-9.eml",
        sender="robot@customer.org",
        subject="Out of office",
        reason="Auto-Submitted: auto-replied",
        recipients=("support@example.com",),
    )
    store.deliveries.record_delivery("ses-9", _record("auto_reply", received_at=mail.received_at), mail)

    assert store.suspended.suspended("support") == [mail]
    assert store.suspended.suspended("billing") == []
    assert store.suspended.get_suspended("support", mail.key) == mail
    with pytest.raises(AlreadyProcessed):
        store.deliveries.record_delivery("ses-9", _record("auto_reply"), mail)
    store.suspended.delete_suspended("support", mail.key)
    assert store.suspended.get_suspended("support", mail.key) is None
    record = store.deliveries.get_delivery("ses-9")
    assert record is not None and record["received_at"] == mail.received_at
    assert "pk" not in record and "sk" not in record  # the record's fields, not the item's keys


def test_a_suspended_mails_reason_reads_back_with_its_code(store):
    listed = note("mailing_list", "List-Id present (mailing list)", header="List-Id")
    mail = SuspendedMessage(
        mailbox="support",
        ses_message_id="ses-8",
        received_at="2026-12-07T09:00:00.000Z",
        archive_key="archive/2026/12/07/ses-8.eml",
        reason=listed.text,
        notes=(listed,),
    )
    store.deliveries.record_delivery("ses-8", _record("auto_reply", received_at=mail.received_at), mail)
    assert store.suspended.get_suspended("support", mail.key) == mail


def test_only_a_failed_verdict_is_cleared_and_sweeps_are_counted_until_reset(store):
    store.deliveries.record_delivery("ses-f", _record("quarantined", quarantine_reason="failed"))
    store.deliveries.record_delivery("ses-s", _record("quarantined", quarantine_reason="spam"))

    assert [store.deliveries.count_sweep_attempt("ses-f") for _ in range(3)] == [1, 2, 3]
    assert not store.deliveries.clear_failed("ses-s")
    assert not store.deliveries.clear_failed("ses-none")
    assert store.deliveries.clear_failed("ses-f")
    assert store.deliveries.get_delivery("ses-f") is None
    store.deliveries.reset_sweep_attempts("ses-f")
    assert store.deliveries.count_sweep_attempt("ses-f") == 1


def test_filing_counts_new_tickets_and_the_agents_customer_replies_and_marks_the_answer(store):
    """The change counters (new tickets per mailbox, customer replies per agent) and the
    'customer replied' marker (the customer wrote last, after a staff reply)."""
    ann = AGENT_SCOPE + "ann@example.com"
    assert store.changes.counts(["support", ann]) == [ChangeCount("support"), ChangeCount(ann)]
    ticket = _new(store, "ses-1", 1)
    staff = replace(
        _message(ticket.id, "out-1", "2026-12-07T11:00:00.000Z"), direction="outbound", kind="staff"
    )
    store.tickets.record_outbound("support", staff)
    assert not store.tickets.require_ticket(ticket.id).customer_replied
    answer = _message(ticket.id, "ses-2", "2026-12-07T12:00:00.000Z", "m2@customer.org")
    change = TicketChange(ticket.id, answer.received_at, last_from="customer", assignee="ann@example.com")

    store.tickets.commit_thread("ses-2", "support", change, answer, _record("threaded", ticket.id))

    assert store.tickets.require_ticket(ticket.id).customer_replied
    assert store.changes.counts(["support", ann, "billing"]) == [
        ChangeCount("support", changes=3, tickets=1, ticket=ticket.id),  # the staff reply counts too
        ChangeCount(ann, changes=1, replies=1, ticket=ticket.id),
        ChangeCount("billing"),
    ]


def test_the_report_counters_count_a_filing_and_the_first_reply_once(store):
    """Filing adds `in` and one unsolved ticket; the first staff reply its response time, for
    the mailbox and the agent; a second reply written against the same stale read of the
    ticket, and the first one stored again (a retry), add nothing."""
    ticket = _new(store, "ses-1", 1)
    staff = replace(
        _message(ticket.id, "out-1", "2026-12-07T11:00:00.000Z"),
        direction="outbound",
        kind="staff",
        sender_name="ann@example.com",
    )
    assert store.tickets.record_outbound("support", staff, moved=(ticket, TicketStatus.PENDING))
    assert not store.tickets.record_outbound("support", staff, moved=(ticket, TicketStatus.PENDING))
    again = replace(staff, key="out-2", received_at="2026-12-07T12:00:00.000Z")
    assert store.tickets.record_outbound("support", again, moved=(ticket, TicketStatus.PENDING))

    rows, unsolved = store.reports.stored_days("support", "2026-12-07")
    hour = f"fr{bucket(3600)}"
    assert {(r.day, r.agent): r.counts for r in rows} == {
        ("2026-12-07", ""): {"in": 1, "net": 1, "responded": 1, hour: 1},
        ("2026-12-07", "ann@example.com"): {"responded": 1, hour: 1},
    }
    assert unsolved == 1
    assert store.reports.stored_days("support", "2026-12-08") == ([], 1)


def test_the_first_delivery_to_claim_an_unfiled_mail_holds_it_and_may_claim_it_again(store):
    """GIVEN a suspended mail's claim by one delivery WHEN another delivery of the same mail
    claims it THEN it is told the first's id; the first (run again after a kill) keeps it, and
    the same Message-ID with another fingerprint (another mail) is a claim of its own."""
    claim = UnfiledClaim("support", "<away@customer.org>", "f" * 32)
    assert store.deliveries.claim_unfiled(claim, "ses-a") == "ses-a"
    assert store.deliveries.claim_unfiled(claim, "ses-b") == "ses-a"
    assert store.deliveries.claim_unfiled(claim, "ses-a") == "ses-a"
    assert store.deliveries.claim_unfiled(replace(claim, fingerprint="0" * 32), "ses-b") == "ses-b"
    assert store.deliveries.claim_unfiled(replace(claim, mailbox="billing"), "ses-c") == "ses-c"
    assert store.tickets.tickets_by_message_ids("support", ["<away@customer.org>"]) == {}


def test_claims_of_quarantined_mail_and_of_mail_without_message_id_are_held_alike(store):
    """The keys message_claims makes for a quarantined mail (no mailbox) and for a mail
    without a Message-ID are claims like any other: first delivery holds, the same again passes."""
    quarantined = UnfiledClaim("", "quarantine/spam/" + "a" * 32, "a" * 32)
    no_id = UnfiledClaim("support", "no-message-id/" + "b" * 32, "b" * 32)
    for claim in (quarantined, no_id):
        assert store.deliveries.claim_unfiled(claim, "ses-a") == "ses-a"
        assert store.deliveries.claim_unfiled(claim, "ses-b") == "ses-a"
        assert store.deliveries.claim_unfiled(claim, "ses-a") == "ses-a"
    assert store.tickets.tickets_by_message_ids("support", [no_id.message_id]) == {}
