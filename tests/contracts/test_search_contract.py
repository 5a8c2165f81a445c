"""Ticket search and customer history twice: the fake and the DynamoDB adapter (moto). What
the finder counts on: every term must match, newest first; the filters apply to the tickets
as they are; pages follow each other without gaps or repeats, and a cursor not issued is
refused; a requester's tickets come from every mailbox; a ticket filed before the index is
found once its terms are added, and adding them again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.search_terms import SearchQuery
from chalicelib.domain.tickets import TicketStatus
from chalicelib.errors import InvalidRequest
from chalicelib.services.ports.tickets import SearchIndex
from tests.fakes.search import FakeSearch
from tests.fakes.tickets import FakeTickets
from tests.support.filed_tickets import file_ticket


@pytest.fixture(params=["fake", "dynamodb"])
def index(request: pytest.FixtureRequest) -> tuple[Any, SearchIndex]:
    """The ticket store that writes the terms, and the search that reads them."""
    if request.param == "fake":
        memory = FakeTickets()
        return memory, FakeSearch(memory)
    from chalicelib.adapters.dynamodb_search import DynamoDBSearch
    from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets

    stack = request.getfixturevalue("stack")
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    return DynamoDBTickets(db, table), DynamoDBSearch(db, table)


def _ids(page: tuple[list[Any], str | None]) -> list[str]:
    return [t.id for t in page[0]]


def _all_pages(read: Callable[[str | None], tuple[list[Any], str | None]]) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        tickets, cursor = read(cursor)
        pages.append([t.id for t in tickets])
        if cursor is None:
            return pages


def test_every_term_must_match_and_the_newest_ticket_comes_first(index):
    tickets, search = index
    file_ticket(tickets, 1, ("printer", "fire"))
    file_ticket(tickets, 2, ("printer",))
    file_ticket(tickets, 3, ("printer", "fire", "smoke"))

    assert _ids(search.search(SearchQuery(("printer", "fire")), 10)) == ["T-1003", "T-1001"]
    assert _ids(search.search(SearchQuery(("printer",)), 10)) == ["T-1003", "T-1002", "T-1001"]
    assert search.search(SearchQuery(("printer", "water")), 10) == ([], None)
    assert search.search(SearchQuery(()), 10) == ([], None)


def test_the_filters_apply_to_the_ticket_as_it_is(index):
    tickets, search = index
    file_ticket(tickets, 1, ("printer",))
    file_ticket(tickets, 2, ("printer",), mailbox="billing")
    file_ticket(tickets, 3, ("printer",), status=TicketStatus.OPEN, assignee="ann@example.com", tags=("vip",))

    def found(**filters: Any) -> list[str]:
        return _ids(search.search(SearchQuery(("printer",), **filters), 10))

    assert found(mailbox="billing") == ["T-1002"]
    assert found(statuses=(TicketStatus.OPEN,)) == ["T-1003"]
    assert found(assignee="ann@example.com") == ["T-1003"]
    assert found(assignee="", mailbox="support") == ["T-1001"]
    assert found(tag="vip") == ["T-1003"]


def test_pages_follow_each_other_and_a_cursor_not_issued_is_refused(index):
    tickets, search = index
    for n in range(1, 6):
        file_ticket(tickets, n, ("printer",))

    pages = _all_pages(lambda cursor: search.search(SearchQuery(("printer",)), 2, cursor))

    assert pages == [["T-1005", "T-1004"], ["T-1003", "T-1002"], ["T-1001"]]
    with pytest.raises(InvalidRequest):
        search.search(SearchQuery(("printer",)), 2, "not-a-cursor")


def test_a_requesters_tickets_come_from_every_mailbox_newest_first_in_pages(index):
    tickets, search = index
    file_ticket(tickets, 1)
    file_ticket(tickets, 2, mailbox="billing")
    file_ticket(tickets, 3, requester="bob@customer.org")
    file_ticket(tickets, 4)

    pages = _all_pages(lambda cursor: search.requester_tickets("Alice@Customer.org", 2, cursor))

    assert pages == [["T-1004", "T-1002"], ["T-1001"]]


def test_a_ticket_filed_before_the_index_is_found_once_its_terms_are_added(index):
    tickets, search = index
    old = file_ticket(tickets, 1)
    assert _ids(search.search(SearchQuery(("printer",)), 10)) == []

    search.add_terms(old, ("printer", "fire"))
    search.add_terms(old, ("printer", "fire"))

    assert _ids(search.search(SearchQuery(("printer", "fire")), 10)) == ["T-1001"]
