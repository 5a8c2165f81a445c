"""Finding tickets: search by id, address, words and file names; a customer's history;
and indexing the tickets filed before search existed.

The index behind `ports.SearchIndex` is kept in the same transaction as each message; a
managed search engine can take its place behind that port without the desk or the API
changing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from chalicelib.domain.frozen import frozen
from chalicelib.domain.search_terms import (
    MessageText,
    SearchQuery,
    message_terms,
    query_terms,
    stored_message_terms,
)
from chalicelib.domain.tickets import STATUSES, Direction, ticket_id_for
from chalicelib.errors import InvalidRequest
from chalicelib.services.desk_input import MAX_LIMIT
from chalicelib.services.desk_views import QueuePage

if TYPE_CHECKING:
    from chalicelib.domain.tickets import Ticket
    from chalicelib.services.ports.tickets import SearchIndex, TicketStore

MAX_QUERY_CHARS = 500
HISTORY_LIMIT = 25


@frozen
class Reindexed:
    tickets: int
    terms: int


class TicketFinder:
    def __init__(
        self,
        index: SearchIndex,
        tickets: TicketStore,
        mailbox: Callable[[str | None], str],
        assignee: Callable[[str, str], str],
    ) -> None:
        self.index = index
        self.tickets = tickets
        self._mailbox = mailbox  # validates a mailbox name (the desk's rule)
        self._assignee = assignee  # "me"/"none"/an agent -> the stored value (the desk's rule)

    def search(
        self,
        agent: str,
        text: str,
        mailbox: str | None = None,
        statuses: Sequence[str] | None = None,
        assignee: str | None = None,
        tag: str | None = None,
        cursor: str | None = None,
        limit: int = 25,
    ) -> QueuePage:
        """Tickets matching every term of `text`, newest first, in any status unless asked."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidRequest(f"a search is at most {MAX_QUERY_CHARS} characters")
        terms = query_terms(text)
        if not terms:
            raise InvalidRequest("search for a ticket id, an address, a domain, words or a file name")
        wanted = tuple(dict.fromkeys(statuses or ()))
        if unknown := [s for s in wanted if s not in STATUSES]:
            raise InvalidRequest(f"unknown status {unknown[0]!r}; use {', '.join(STATUSES)}")
        query = SearchQuery(
            terms,
            self._mailbox(mailbox) if mailbox else None,
            wanted,
            None if assignee is None else self._assignee(agent, assignee),
            (tag or "").strip() or None,
        )
        found, next_cursor = self.index.search(query, limit, cursor or None)
        return QueuePage(tuple(found), next_cursor)

    def history(self, ticket_id: str, cursor: str | None = None, limit: int = HISTORY_LIMIT) -> QueuePage:
        """The requester's other tickets, in every mailbox, newest first."""
        ticket = self.tickets.require_ticket(ticket_id)
        if not ticket.requester:
            return QueuePage((), None)
        found, next_cursor = self.index.requester_tickets(ticket.requester, limit + 1, cursor or None)
        others = [t for t in found if t.id != ticket.id][:limit]
        return QueuePage(tuple(others), next_cursor)

    def reindex(self, progress: Callable[[Reindexed], object] = lambda _: None) -> Reindexed:
        """Index every ticket: numbers 1 to the counter's, read 100 at a time (BatchGetItem),
        each ticket's messages one Query; no Scan. Safe to run again or alongside ingest."""
        count = terms = 0
        for ticket in self._every_ticket():
            found: list[str] = []
            for message in self.tickets.messages(ticket.id):
                if message.direction == Direction.INBOUND and message.sender:
                    found += stored_message_terms(message)
            ticket_terms = message_terms(MessageText(ticket.id, ticket.requester, "", ticket.subject, ""))
            unique = tuple(dict.fromkeys([*ticket_terms, *found]))
            self.index.add_terms(ticket, unique)
            count, terms = count + 1, terms + len(unique)
            progress(Reindexed(count, terms))
        return Reindexed(count, terms)

    def _every_ticket(self) -> Iterator[Ticket]:
        last = self.tickets.ticket_counter()
        for start in range(1, last + 1, 100):
            ids = [ticket_id_for(n) for n in range(start, min(start + 100, last + 1))]
            found = self.tickets.get_tickets(ids)
            yield from (found[i] for i in ids if i in found)
