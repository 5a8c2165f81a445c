"""Change counters in the tickets table: one small item per mailbox and per agent, bumped
in the transaction that files a received message (a new ticket, a message joining one)
and in the write of every staff edit (claim, assignment, status, priority, tags, move,
note, participants, split, merge, a staff reply: the mailbox's `changes` only), so an
open console polls one BatchGetItem and re-reads its queue only when a counter moved,
and sees a colleague's edit within seconds. Acknowledgements bump nothing (filing did).

| item    | pk                      | sk      | attributes                          |
| ------- | ----------------------- | ------- | ----------------------------------- |
| changes | CHANGES#<mailbox>       | CHANGES | changes, tickets, ticket            |
| changes | CHANGES#AGENT#<agent>   | CHANGES | changes, replies, ticket            |

The transaction items that bump them are `dynamodb_ticket_updates.changes_bump` (there so
that the ingest's cold start loads no module more); a staff edit that was one UpdateItem
(dynamodb_queue.replace) is a transaction with the bump now: still one request.

A counter is one hot item per mailbox: transactions that touch it at the same moment
conflict (TransactionConflict): the delivery is retried from the queue, as new tickets
already are on the ticket-number counter; a staff edit's transaction is sent again up to
twice (dynamodb_requests.EDIT_CONFLICT_RETRIES), then answers 409 (ConcurrentUpdate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamodb_ticket_updates import changes_key
from chalicelib.services.ports.records import ChangeCount

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBChanges:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    def counts(self, scopes: Sequence[str]) -> list[ChangeCount]:
        """One BatchGetItem (eventually consistent: half the read cost, a second behind at most)."""
        wanted = list(dict.fromkeys(scopes))[:100]
        if not wanted:
            return []
        keys = [changes_key(scope) for scope in wanted]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {self.table: {"Keys": keys}}
        while request:
            answer = self._db.batch_get_item(RequestItems=request)
            for raw in answer.get("Responses", {}).get(self.table, []):
                found[raw["pk"]["S"]] = raw
            request = dict(answer.get("UnprocessedKeys") or {})
        return [_count(scope, found.get(changes_key(scope)["pk"]["S"], {})) for scope in wanted]


def _count(scope: str, raw: dict[str, Any]) -> ChangeCount:
    def number(name: str) -> int:
        return int(raw.get(name, {}).get("N", "0"))

    return ChangeCount(
        scope=scope,
        changes=number("changes"),
        tickets=number("tickets"),
        replies=number("replies"),
        ticket=raw.get("ticket", {}).get("S", ""),
    )
