"""Ticket search on an inverted index in the tickets table, and the requester index.

| item        | pk            | sk                       | written                          |
| ----------- | ------------- | ------------------------ | -------------------------------- |
| search term | TERM#<term>   | <created-at>#<ticket-id> | in the message's own transaction |

A term's partition lists the tickets that have it, newest first when read backwards.
The sort key is the ticket's creation time, not the message's, so a term that comes
back in a later message of the same ticket overwrites its item instead of adding one.
A query is one Query per term (ScanIndexForward=False); several terms intersect by
leapfrogging: each partition skips to the newest ticket not newer than the others'
(`sk <= :at`), so a rare term next to a common one costs few reads. Each further Query
of a partition asks for twice the keys of the one before (up to MAX_TERM_PAGE), so two
common terms, whose partitions are entered again and again, cost a few Queries a page
instead of dozens (bench/RESULTS.md, Search). The page's tickets
are one BatchGetItem, and the mailbox, status and assignee filters apply to the tickets
as they are now (status and assignee change; the terms do not).

Customer history is the `byrequester` index (gsi3pk `REQUESTER#<address>`, gsi3sk
`<created-at>#<ticket-id>`, on ticket items; see dynamodb_items.ticket_item).

A deployment that outgrows this moves to a managed search engine behind the same
port (services/ports/tickets.SearchIndex), fed from a DynamoDB stream of the ticket
and message items; the term items then stop being written.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_sla_clock as sla_clock
from chalicelib.adapters.dynamodb_requests import batch_get
from chalicelib.domain.search_terms import SearchQuery
from chalicelib.domain.tickets import Ticket
from chalicelib.errors import InvalidRequest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REQUESTER_INDEX = "byrequester"
TERM_PAGE = 100  # index items per Query of one term (sort keys only, about 40 bytes each)
MAX_TERM_PAGE = 1600  # the most a partition read again asks for (about 64 KB of keys)
BATCH_GET = 100  # tickets per BatchGetItem, DynamoDB's limit
MAX_EXAMINED = 1000  # tickets read for one page before it is answered short, with a cursor


def term_key(term: str, ticket_id: str, created_at: str) -> dict[str, Any]:
    return {"pk": {"S": f"TERM#{term}"}, "sk": {"S": f"{created_at}#{ticket_id}"}}


def term_puts(table: str, ticket_id: str, created_at: str, terms: Sequence[str]) -> list[dict[str, Any]]:
    """Transaction items that index `terms` for a ticket (unconditional: a repeat overwrites)."""
    return [
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **term_key(term, ticket_id, created_at),
                    "type": {"S": "term"},
                    "ticket_id": {"S": ticket_id},
                },
            }
        }
        for term in dict.fromkeys(terms)
    ]


def write_terms(
    db: DynamoDBClient, table: str, ticket_id: str, created_at: str, terms: Sequence[str]
) -> None:
    """Index `terms` for a ticket outside a transaction (BatchWriteItem; idempotent)."""
    puts = term_puts(table, ticket_id, created_at, terms)
    for start in range(0, len(puts), 25):  # BatchWriteItem's limit
        request: dict[str, Any] = {table: [{"PutRequest": p["Put"]} for p in puts[start : start + 25]]}
        for p in request[table]:
            del p["PutRequest"]["TableName"]
        while request:
            request = db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _encode(below: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"below": below}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        below = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))).get("below")
    except (binascii.Error, ValueError, AttributeError) as exc:
        raise InvalidRequest("cursor is not one this API issued") from exc
    if not isinstance(below, str) or not 0 < len(below) < 200:
        raise InvalidRequest("cursor is not one this API issued")
    return below


class _TermStream:
    """One term's tickets, newest first, read a page at a time; `seek` skips ahead."""

    def __init__(self, db: DynamoDBClient, table: str, term: str, below: str | None, page: int) -> None:
        self._db, self._table, self._pk, self._page = db, table, f"TERM#{term}", page
        self._grow = max(page, MAX_TERM_PAGE)
        self._buffer: deque[str] = deque()
        self._bound, self._inclusive = below, False
        self._done = False

    def head(self) -> str | None:
        if not self._buffer and not self._done:
            self._read()
        return self._buffer[0] if self._buffer else None

    def pop(self) -> None:
        self._buffer.popleft()

    def seek(self, at_most: str) -> None:
        while self._buffer and self._buffer[0] > at_most:
            self._buffer.popleft()
        if not self._buffer and not self._done:
            self._bound, self._inclusive = at_most, True

    def _read(self) -> None:
        values: dict[str, Any] = {":pk": {"S": self._pk}}
        condition = "pk = :pk"
        if self._bound is not None:
            values[":b"] = {"S": self._bound}
            condition += " AND sk <= :b" if self._inclusive else " AND sk < :b"
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ProjectionExpression="sk",
            ScanIndexForward=False,
            Limit=self._page,
        )
        found = [raw["sk"]["S"] for raw in response.get("Items", [])]
        self._buffer.extend(found)
        self._done = "LastEvaluatedKey" not in response
        # A partition read again is a common term's, entered at every few candidates of a
        # rarer one: twice the keys each time costs the same read units in fewer requests.
        self._page = min(self._page * 2, self._grow)
        if found:
            self._bound, self._inclusive = found[-1], False


def _intersection(streams: list[_TermStream]) -> Iterator[str]:
    """Sort keys present in every stream, newest first."""
    while True:
        heads = [stream.head() for stream in streams]
        if any(head is None for head in heads):
            return
        low = min(h for h in heads if h is not None)
        if all(head == low for head in heads):
            yield low
            for stream in streams:
                stream.pop()
            continue
        for stream, head in zip(streams, heads, strict=True):
            if head != low:
                stream.seek(low)


def _wanted(ticket: Ticket, query: SearchQuery) -> bool:
    if query.mailbox and ticket.mailbox != query.mailbox:
        return False
    if query.statuses and ticket.status not in query.statuses:
        return False
    if query.tag and query.tag not in ticket.tags:
        return False
    return query.assignee is None or ticket.assignee == query.assignee


class DynamoDBSearch:
    def __init__(self, client: DynamoDBClient, table: str, term_page: int = TERM_PAGE) -> None:
        self._db = client
        self.table = table
        self.term_page = term_page

    def search(
        self, query: SearchQuery, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        """Up to `limit` tickets having every term, newest first, and the next page's cursor."""
        if not query.terms:
            return [], None
        below = _decode(cursor) if cursor else None
        matches = _intersection(
            [_TermStream(self._db, self.table, t, below, self.term_page) for t in query.terms]
        )
        shown: list[tuple[str, Ticket]] = []
        examined, last = 0, ""
        while examined < MAX_EXAMINED:
            batch = list(itertools.islice(matches, min(BATCH_GET, limit + 1 if not examined else BATCH_GET)))
            if not batch:
                return [t for _, t in shown], None
            found = self._tickets([sk.rpartition("#")[2] for sk in batch])
            for sk in batch:
                ticket = found.get(sk.rpartition("#")[2])
                if ticket is not None and _wanted(ticket, query):
                    if len(shown) == limit:
                        return [t for _, t in shown], _encode(shown[-1][0])
                    shown.append((sk, ticket))
                examined, last = examined + 1, sk
        # Filters left most candidates out: a short page, and a cursor to look further.
        return [t for _, t in shown], _encode(last)

    def requester_tickets(
        self, requester: str, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        """The requester's tickets in every mailbox, newest first (one Query of byrequester)."""
        values: dict[str, Any] = {":pk": {"S": items.requester_pk(requester)}}
        condition = "gsi3pk = :pk"
        if cursor:
            values[":b"] = {"S": _decode(cursor)}
            condition += " AND gsi3sk < :b"
        response = self._db.query(
            TableName=self.table,
            IndexName=REQUESTER_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit + 1,
        )
        raws = response.get("Items", [])
        tickets = [items.ticket_from_item(raw) for raw in raws[:limit]]
        more = len(raws) > limit
        return tickets, _encode(raws[limit - 1]["gsi3sk"]["S"]) if more else None

    def add_terms(self, ticket: Ticket, terms: Sequence[str]) -> None:
        """Index an existing ticket (the backfill): its terms, its requester key, and its
        place in the queue sorted by due time (a ticket from before SLA has none: last)."""
        write_terms(self._db, self.table, ticket.id, ticket.created_at, terms)
        sets = ["duesk = if_not_exists(duesk, :due)"]
        values = {":due": {"S": str(sla_clock.due_keys(ticket)["duesk"])}}
        if ticket.requester:
            keys = items.requester_keys(ticket.requester, ticket.created_at, ticket.id)
            sets += ["gsi3pk = :pk", "gsi3sk = :sk"]
            values.update({":pk": {"S": keys["gsi3pk"]}, ":sk": {"S": keys["gsi3sk"]}})
        self._db.update_item(
            TableName=self.table,
            Key=items.ticket_key(ticket.id),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values,
        )

    def _tickets(self, ticket_ids: list[str]) -> dict[str, Ticket]:
        keys = [items.ticket_key(t) for t in dict.fromkeys(ticket_ids)]
        tickets = (items.ticket_from_item(raw) for raw in batch_get(self._db, self.table, keys))
        return {ticket.id: ticket for ticket in tickets}
