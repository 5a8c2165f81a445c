"""The audit trail is written in English (domain/audit.py and the desk's services); the
console says each line in the agent's language by matching it against the English
`event.*` templates of its catalogue (i18n.js readBack). Every line the desk writes must
match one, or a German console would show it in English."""

from __future__ import annotations

from chalicelib.domain import audit, forwards
from tests.fakes.stack import FakeStack
from tests.support.console_catalogue import read_back
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail

ANN, BOB = "ann@example.com", "bob@example.com"


def _trail(stack: FakeStack, *ticket_ids: str) -> list[str]:
    return [
        m.message.body.text
        for ticket_id in ticket_ids
        for m in stack.desk.show(ticket_id).messages
        if m.message.kind == "event"
    ]


def test_every_line_of_the_trail_the_desk_writes_has_its_template() -> None:
    stack = FakeStack()
    desk = stack.desk
    first = deliver(stack, make_mail(message_id="<one@customer.org>"))
    ticket_id = str(first.ticket)
    for n in range(3):
        deliver(stack, make_mail(subject=f"[{ticket_id}] more {n}", message_id=f"<more{n}@customer.org>"))
    desk.update(ticket_id, ANN, assignee=ANN)
    desk.update(ticket_id, ANN, assignee=BOB, take_over=True, priority="urgent", tags=["vip", "refund"])
    desk.add_participant(ticket_id, ANN, "carol@customer.org")
    desk.remove_participant(ticket_id, ANN, "carol@customer.org")
    keys = [m.message.key for m in desk.show(ticket_id).messages if m.message.kind == "customer"]
    one = desk.split(ticket_id, ANN, keys[1])
    two = desk.split(ticket_id, ANN, keys[2], [keys[3]])
    other = new_ticket(stack, "Another one")
    desk.merge(other, ANN, one.id)
    desk.update(ticket_id, BOB, assignee="", status="pending", tags=["vip"], mailbox="billing")
    desk.update(one.id, ANN, subject="Scanner driver for the X200")

    lines = _trail(stack, ticket_id, one.id, two.id, other)
    unread = [line for line in lines if read_back("event.", line) is None]
    assert unread == [], f"trail lines no event.* template of i18n-en.js matches: {unread}"
    # the walk above wrote each kind of line at least once
    said = " | ".join(lines)
    for words in (
        "assigned to",
        "(was",
        "unassigned",
        "moved from",
        "status",
        "priority",
        "tags",
        "Cc",
        "subject",
    ):
        assert words in said, (words, lines)
    assert "split" in said and "merged" in said, lines


def test_a_forwards_line_has_its_template_with_and_without_a_note() -> None:
    mail = audit.event(
        "T-1001", "anna@kunde.de", "", "2026-12-07T17:03:00.000Z"
    )  # a message's sender and time
    lines = [
        forwards.audit_line("eng@example.com", None, ""),
        forwards.audit_line("eng@example.com", None, "Bitte  prüfen:\nder Drucker"),
        forwards.audit_line("eng@example.com", mail, ""),
        forwards.audit_line("eng@example.com", mail, "see below"),
    ]
    keys = [read_back("event.", line) for line in lines]
    assert keys == [
        "event.forwarded_ticket",
        "event.forwarded_ticket_note",
        "event.forwarded_message",
        "event.forwarded_message_note",
    ], lines
