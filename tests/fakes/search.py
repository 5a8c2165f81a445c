"""In-memory ticket search and customer history (ports.SearchIndex) over the terms the fake
ticket store was given with each write, held to the DynamoDB adapter by
tests/contracts/test_search_contract.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chalicelib.domain.search_terms import SearchQuery
from chalicelib.domain.tickets import Ticket
from chalicelib.errors import InvalidRequest
from tests.fakes.tickets import FakeTickets

CURSOR = "fake-cursor:"  # a page's cursor: this, then the last ticket's place in the order


def _place(ticket: Ticket) -> str:
    """Newest first, as the adapter's index keys sort: creation time, then id."""
    return f"{ticket.created_at}#{ticket.id}"


def _wanted(ticket: Ticket, query: SearchQuery) -> bool:
    return (
        (not query.mailbox or ticket.mailbox == query.mailbox)
        and (not query.statuses or ticket.status in query.statuses)
        and (not query.tag or query.tag in ticket.tags)
        and (query.assignee is None or ticket.assignee == query.assignee)
    )


def _page(found: Iterable[Ticket], limit: int, cursor: str | None) -> tuple[list[Ticket], str | None]:
    if cursor is not None and not cursor.startswith(CURSOR):
        raise InvalidRequest("cursor is not one this API issued")
    below = cursor.removeprefix(CURSOR) if cursor else None
    ordered = sorted(found, key=_place, reverse=True)
    rest = [t for t in ordered if below is None or _place(t) < below]
    page = rest[:limit]
    return page, (CURSOR + _place(page[-1]) if len(rest) > limit else None)


@dataclass
class FakeSearch:
    memory: FakeTickets

    def search(
        self, query: SearchQuery, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        if not query.terms:
            return [], None
        having = set.intersection(*(self.memory.terms.get(term, set()) for term in query.terms))
        found = (self.memory.tickets[t] for t in having if t in self.memory.tickets)
        return _page((t for t in found if _wanted(t, query)), limit, cursor)

    def requester_tickets(
        self, requester: str, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        mine = (t for t in self.memory.tickets.values() if t.requester.lower() == requester.lower())
        return _page(mine, limit, cursor)

    def add_terms(self, ticket: Ticket, terms: Sequence[str]) -> None:
        self.memory.require_ticket(ticket.id)
        self.memory.add_terms(ticket.id, terms)
