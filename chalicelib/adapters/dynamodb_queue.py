"""The staff queue on the tickets table's GSIs, and conditional ticket updates.

Reads are Queries on the partitions of the queue indexes a query names (one per lane or
status: see `dynamodb_queue_partitions`, which also holds the page cursor), merged in key
order. The default queue page and claiming are therefore one Query each. Writes condition on
the status and queue position the caller saw, so the GSI keys always match the item and two
writers cannot both win.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_sla_clock as sla_clock
from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.dynamodb_queue_partitions import (
    INDEX_KEYS,
    QueuePartition,
    decode_cursor,
    encode_cursor,
    query_partitions,
    start_key_plain,
)
from chalicelib.adapters.dynamodb_requests import EDIT_CONFLICT_RETRIES, query_all, transact_write
from chalicelib.adapters.dynamodb_search import term_puts
from chalicelib.adapters.dynamodb_ticket_updates import changes_bump, report_adds
from chalicelib.domain import report_counts
from chalicelib.domain.tickets import StoredMessage, Ticket, TicketStatus
from chalicelib.errors import ConcurrentUpdate, InvalidRequest, TicketNotFound
from chalicelib.services.ports.records import QueueQuery

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TICKET_ID = re.compile(r"T-[0-9]{1,12}")


class DynamoDBQueue:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    # -- reads -------------------------------------------------------------
    def page(
        self, query: QueueQuery, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        """Up to `limit` tickets in queue order, and the cursor of the next page (None: no more)."""
        partitions = query_partitions(query)
        starts = decode_cursor(cursor, partitions) if cursor else {}
        merged = self._merged(partitions, starts, page_size=limit + 1)
        taken = list(itertools.islice(merged, limit + 1))
        shown, more = taken[:limit], len(taken) > limit
        positions = {name: start_key_plain(key) for name, key in starts.items()}
        for part, raw in shown:
            positions[part.name] = part.position(raw)
        tickets = [items.ticket_from_item(raw) for _, raw in shown]
        return tickets, encode_cursor(positions) if more else None

    def unassigned(self, mailbox: str, statuses: tuple[TicketStatus, ...]) -> Iterator[Ticket]:
        """Unassigned tickets of a mailbox in claim order, fetched page by page as consumed."""
        partitions = query_partitions(QueueQuery(mailbox, statuses, assignee=""))
        return (items.ticket_from_item(raw) for _, raw in self._merged(partitions, {}, page_size=10))

    def _merged(
        self, partitions: list[QueuePartition], starts: dict[str, Any], page_size: int
    ) -> Iterator[tuple[QueuePartition, dict[str, Any]]]:
        streams = [self._tagged(part, starts.get(part.name), page_size) for part in partitions]
        return ((part, raw) for _, _, part, raw in heapq.merge(*streams, key=lambda entry: entry[:2]))

    def _tagged(
        self, part: QueuePartition, start: dict[str, Any] | None, page_size: int
    ) -> Iterator[tuple[str, str, QueuePartition, dict[str, Any]]]:
        for raw in self._query(part, start, page_size):
            yield part.order(raw), part.name, part, raw

    def _query(
        self, part: QueuePartition, start: dict[str, Any] | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        pk_name, sk_name = INDEX_KEYS[part.index]
        values: dict[str, Any] = {":pk": {"S": part.pk}}
        condition = f"{pk_name} = :pk"
        if part.sk_prefix:
            values[":prefix"] = {"S": part.sk_prefix}
            condition += f" AND begins_with({sk_name}, :prefix)"
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": part.index,
            "KeyConditionExpression": condition,
            "Limit": page_size,
        }
        filters = [expression for expression, _, _ in part.filters]
        values.update({placeholder: {"S": value} for _, placeholder, value in part.filters})
        if part.statuses:
            wanted = {f":status{i}": {"S": status} for i, status in enumerate(part.statuses)}
            filters.append(f"#status IN ({', '.join(wanted)})")
            values.update(wanted)
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        kwargs["ExpressionAttributeValues"] = values
        if start:
            kwargs["ExclusiveStartKey"] = start
        try:
            yield from query_all(self._db, **kwargs)
        except ClientError as exc:
            if error_code(exc) == "ValidationException" and start:
                raise InvalidRequest("cursor belongs to another query") from exc
            raise

    def load(self, ticket_id: str) -> tuple[Ticket, str]:
        """The ticket as it is now (strongly consistent) and the ticket it was merged into."""
        if not TICKET_ID.fullmatch(ticket_id):
            raise TicketNotFound(ticket_id[:40])
        raw = self._db.get_item(
            TableName=self.table, Key=items.ticket_key(ticket_id), ConsistentRead=True
        ).get("Item")
        if raw is None:
            raise TicketNotFound(ticket_id)
        return items.ticket_from_item(raw), raw.get("merged_into", {}).get("S", "")

    # -- writes ------------------------------------------------------------
    def replace(
        self,
        before: Ticket,
        after: Ticket,
        events: tuple[StoredMessage, ...] = (),
        terms: tuple[str, ...] = (),
    ) -> None:
        """Write `after`'s staff-editable fields and queue keys, if the ticket is still `before`,
        its audit `events` (thread lines), the mailbox's change counter and the report's
        counters (solved, reopened, moved: report_counts.status_changed) in one transaction.

        ConcurrentUpdate when someone changed its status, priority or assignee first (or
        merged it away); TicketNotFound when it does not exist.
        """
        names = {"#s": "status", "#p": "priority", "#a": "assignee", "#t": "tags", "#u": "updated_at"}
        values: dict[str, Any] = {
            ":s": {"S": after.status},
            ":p": {"S": after.priority},
            ":u": {"S": after.updated_at},
        }
        sets = ["#s = :s", "#p = :p", "#u = :u"]
        removes = []
        if after.subject != before.subject:
            names["#subj"] = "subject"
            values[":subj"] = {"S": after.subject}
            sets.append("#subj = :subj")
        if after.mailbox != before.mailbox:  # moved: the queue keys below follow it
            names["#m"] = "mailbox"
            values[":m"] = {"S": after.mailbox}
            sets.append("#m = :m")
        keys = items.queue_keys(
            after.mailbox, after.status, after.assignee, after.priority, after.created_at, after.id
        )
        for index, (name, value) in enumerate(sorted(keys.items())):
            values[f":k{index}"] = {"S": value}
            sets.append(f"{name} = :k{index}")  # gsi key names are not reserved words
        if after.assignee:
            values[":a"] = {"S": after.assignee}
            sets.append("#a = :a")
        else:
            removes += ["#a", "gsi2pk", "gsi2sk"]
        sla_sets, sla_values, sla_removes = sla_clock.sla_update(after)
        sets += sla_sets
        values.update(sla_values)
        removes += sla_removes
        if set(after.tags) != set(before.tags):  # a stale index copy must not undo a tag edit
            if after.tags:
                values[":t"] = {"SS": sorted(set(after.tags))}
                sets.append("#t = :t")
            else:
                removes.append("#t")
        else:
            del names["#t"]
        old = items.queue_keys(
            before.mailbox, before.status, before.assignee, before.priority, before.created_at, before.id
        )
        values.update(
            {":q1": {"S": old["gsi1pk"]}, ":q2": {"S": old["gsi1sk"]}, ":olds": {"S": before.status}}
        )
        condition = (
            "attribute_exists(pk) AND attribute_not_exists(merged_into) AND gsi1pk = :q1 AND gsi1sk = :q2"
            " AND #s = :olds"
        )
        clock_unchanged, clock_values = sla_clock.sla_condition(before)
        condition += " AND " + clock_unchanged
        values.update(clock_values)
        if before.assignee:
            values[":olda"] = {"S": before.assignee}
            condition += " AND #a = :olda"
        else:
            values[":empty"] = {"S": ""}
            condition += " AND (attribute_not_exists(#a) OR #a = :empty)"
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": items.ticket_key(before.id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        lines = [{"Put": {"TableName": self.table, "Item": items.message_item(e)}} for e in events]
        # The mailbox's change counter (both mailboxes' on a move) in the same request, so a
        # colleague's open console re-reads its queue within seconds: one request as before,
        # a transaction (double write units) in place of a lone UpdateItem.
        bumps = [
            changes_bump(self.table, box, before.id) for box in dict.fromkeys((after.mailbox, before.mailbox))
        ]
        counted = report_adds(self.table, report_counts.status_changed(before, after))
        try:
            transact_write(
                self._db,
                [
                    {"Update": update},
                    *lines,
                    *bumps,
                    *counted,
                    *term_puts(self.table, before.id, before.created_at, terms),
                ],
                conflict_retries=EDIT_CONFLICT_RETRIES,
            )
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            if not self._exists(before.id):
                raise TicketNotFound(before.id) from exc
            raise ConcurrentUpdate(f"{before.id} changed while updating it") from exc

    def _exists(self, ticket_id: str) -> bool:
        key = items.ticket_key(ticket_id)
        found = self._db.get_item(
            TableName=self.table, Key=key, ConsistentRead=True, ProjectionExpression="pk"
        )
        return "Item" in found
