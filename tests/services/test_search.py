"""Finding tickets on in-memory ports (services/ticket_search.py over tests/fakes/search.py,
held to DynamoDB by tests/contracts/test_search_contract.py): what a staff member types
finds the ticket ingest filed, a reply's words join it, a customer's history lists their
other tickets, and a reindex finds what was filed before the index. What it costs in
DynamoDB requests is tests/adapters/test_search.py's."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidRequest
from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver
from tests.support.desk_helpers import WORDS_FOR_ANNAS_TICKET, annas_ticket_and_another, new_ticket
from tests.support.mail_factory import make_mail

ANN = "ann@example.com"
ANNA = "Anna Berg <anna.berg@kunde.de>"


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def search(stack: FakeStack, text: str, **filters) -> list[str]:
    return [t.id for t in stack.search.search(ANN, text, **filters).tickets]


def test_a_new_ticket_is_found_by_id_address_domain_words_and_file_name(stack):
    ticket = annas_ticket_and_another(stack)
    for query in (ticket, *WORDS_FOR_ANNAS_TICKET):
        assert search(stack, query) == [ticket], query


def test_a_reply_adds_its_words_and_the_filters_narrow_to_what_the_ticket_is_now(stack):
    first_id = "<first@kunde.de>"
    ticket = new_ticket(stack, "Printer", sender=ANNA, body="It is broken", message_id=first_id)
    other = new_ticket(stack, "Printer", sender="bob@customer.org", body="Also broken")
    deliver(
        stack,
        make_mail(
            subject=f"Re: [{ticket}] Printer", sender=ANNA, body="Now the toner leaks", references=first_id
        ),
    )
    stack.desk.update(ticket, ANN, assignee="me")  # assigning a new ticket opens it

    assert search(stack, "toner") == [ticket]
    assert search(stack, "printer broken") == [other, ticket]
    assert search(stack, "printer", assignee="me") == [ticket]
    assert search(stack, "printer", assignee="none", statuses=["new"]) == [other]


def test_a_customers_history_is_their_other_tickets_and_a_reindex_finds_the_older_ones(stack):
    old = new_ticket(stack, "Kaffeemaschine kaputt", sender=ANNA)
    newer = new_ticket(stack, "Kaffeemaschine again", sender=ANNA)
    new_ticket(stack, "Kaffeemaschine too", sender="bob@customer.org")
    assert [t.id for t in stack.search.history(newer).tickets] == [old]
    stack.tickets.terms.clear()  # as before search existed
    assert search(stack, "kaffeemaschine") == []

    done = stack.search.reindex()

    assert done.tickets == 3
    assert search(stack, "kaffeemaschine") == ["T-1003", newer, old]
    assert search(stack, old) == [old]


@pytest.mark.parametrize(
    ("text", "filters", "says"),
    [
        ("   ", {}, "search for a ticket id"),
        ("x" * 501, {}, "at most 500"),
        ("printer", {"statuses": ["lost"]}, "unknown status"),
        ("printer", {"limit": 0}, "limit must be"),
        ("printer", {"mailbox": "nowhere"}, "mailbox"),
    ],
)
def test_a_search_it_cannot_answer_says_why(stack, text, filters, says):
    with pytest.raises(InvalidRequest, match=says):
        stack.search.search(ANN, text, **filters)
