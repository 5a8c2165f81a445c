"""Which messages hold a reply back, and how the refusal reads (domain/collisions.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.audit import event
from chalicelib.domain.collisions import stale_reason, unseen
from chalicelib.domain.tickets import StoredMessage

NOW = datetime(2026, 12, 7, 10, 0, 40, tzinfo=UTC)


def message(
    key: str,
    direction: str,
    kind: str,
    sender: str = "",
    name: str = "",
    at: str = "2026-12-07T10:00:00.000Z",
):
    return StoredMessage(
        ticket_id="T-1",
        key=key,
        direction=direction,
        kind=kind,
        sender=sender,
        sender_name=name,
        to=(),
        cc=(),
        subject="",
        message_id="",
        received_at=at,
        thread_signal="new",
    )


THREAD = [
    message("m1", "inbound", "customer", "alice@customer.org"),
    message("a1", "outbound", "acknowledgement", "support@example.com", "Support team"),
    message("n1", "internal", "note", "bob@example.com"),
    message("r1", "outbound", "staff", "support@example.com", "ann@example.com"),
    event("T-1", "bob@example.com", "priority normal → high", "2026-12-07T10:00:01.000Z"),
    message("o1", "inbound", "auto_reply", "alice@customer.org"),
]


def test_only_customer_mail_and_colleagues_replies_hold_a_reply_back():
    assert unseen(THREAD, "m1", "ann@example.com") == ()
    assert [m.key for m in unseen(THREAD, "m1", "bob@example.com")] == ["r1"]
    later = [*THREAD, message("m2", "inbound", "customer", "alice@customer.org")]
    assert [m.key for m in unseen(later, "o1", "ann@example.com")] == ["m2"]
    assert unseen(THREAD, "gone", "ann@example.com") is None


def test_the_refusal_says_who_wrote_how_long_ago_and_what_to_do():
    colleague = message("r1", "outbound", "staff", "support@example.com", "ann@example.com")
    customer = message("m2", "inbound", "customer", "alice@customer.org", at="2026-12-07T09:57:40.000Z")
    assert (
        stale_reason((colleague,), NOW)
        == "a colleague (ann@example.com) replied 40 s ago — review and send again"
    )
    assert (
        stale_reason((colleague, customer), NOW)
        == "alice@customer.org wrote again 3 min ago — review and send again"
    )
    assert stale_reason(
        (message("x", "inbound", "customer", at="2026-12-07T10:00:39.000Z"),), NOW
    ).startswith("the customer wrote again just now")
    assert stale_reason(None, NOW) == "the thread changed (a message was moved) — review and send again"


def test_a_colleague_solving_or_closing_the_ticket_holds_a_reply_back_and_says_so():
    """GIVEN ann read the thread WHEN bob closes the ticket THEN her reply is held back with a
    line saying who closed it and when; her own closing, and other edits, hold nothing back."""
    closed = event("T-1", "bob@example.com", "status open → closed", "2026-12-07T09:58:40.000Z")
    solved = event("T-1", "bob@example.com", "status open → solved", "2026-12-07T10:00:10.000Z")
    reopened = event("T-1", "bob@example.com", "status closed → open", "2026-12-07T10:00:20.000Z")
    own = event("T-1", "ann@example.com", "status open → closed", "2026-12-07T10:00:30.000Z")
    assert [m.key for m in unseen([*THREAD, closed], "o1", "ann@example.com")] == [closed.key]
    assert unseen([*THREAD, reopened, own], "o1", "ann@example.com") == ()
    assert (
        stale_reason((closed,), NOW)
        == "bob@example.com closed the ticket 2 min ago — send again to reopen it"
    )
    assert stale_reason((solved,), NOW).startswith("bob@example.com solved the ticket 30 s ago")
    customer = message("m2", "inbound", "customer", "alice@customer.org", at="2026-12-07T09:57:40.000Z")
    assert (
        stale_reason((customer, closed), NOW)
        == "alice@customer.org wrote again 3 min ago — review and send again"
    ), "a message to read comes first"
