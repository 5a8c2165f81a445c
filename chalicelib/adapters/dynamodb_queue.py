"""The staff queue on the tickets table's GSIs, and conditional ticket updates.

Reads are Queries on `queue` (gsi1pk `QUEUE#<mailbox>#<lane>`, gsi1sk
`<assigned>#<rank>#<created>#<id>`; one lane for the working statuses new and open, one
per other status: see `dynamodb_items.queue_lane`) or `byassignee` (gsi2pk
`ASSIGNEE#<agent>`, gsi2sk `<status>#<created>#<id>`, one prefix per status), merged in
key order. The default queue page and claiming are therefore one Query each. A page's
cursor holds, per partition, the index key of the last ticket it showed there (opaque
base64 to callers). Writes condition on the status and queue position the caller saw,
so the GSI keys always match the item and two writers cannot both win.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import itertools
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_sla_clock as sla_clock
from chalicelib.adapters.aws_errors import error_code
from chalicelib.adapters.dynamodb_requests import EDIT_CONFLICT_RETRIES, query_all, transact_write
from chalicelib.adapters.dynamodb_search import term_puts
from chalicelib.adapters.dynamodb_ticket_updates import changes_bump, report_adds
from chalicelib.domain import report_counts
from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import StoredMessage, Ticket, TicketStatus
from chalicelib.errors import ConcurrentUpdate, InvalidRequest, TicketNotFound
from chalicelib.services.ports.records import QueueQuery

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

QUEUE_INDEX, ASSIGNEE_INDEX, DUE_INDEX = "queue", "byassignee", "queuebydue"
TICKET_ID = re.compile(r"T-[0-9]{1,12}")
_INDEX_KEYS = {
    QUEUE_INDEX: ("gsi1pk", "gsi1sk"),
    ASSIGNEE_INDEX: ("gsi2pk", "gsi2sk"),
    DUE_INDEX: ("gsi1pk", "duesk"),  # the queue's lanes by due time (dynamodb_sla_clock.due_keys)
}


@frozen
class _Partition:
    name: str  # the status
    index: str
    pk: str
    sk_prefix: str
    filters: tuple[tuple[str, str, str], ...]  # (expression, placeholder, value)
    statuses: tuple[str, ...] = ()  # only these, when the partition holds more (a lane)

    def order(self, raw: dict[str, Any]) -> str:
        sk = raw[_INDEX_KEYS[self.index][1]]["S"]
        # byassignee keys start with the status: order across statuses by age.
        return sk.partition("#")[2] if self.index == ASSIGNEE_INDEX else sk

    def position(self, raw: dict[str, Any]) -> dict[str, str]:
        return {name: raw[name]["S"] for name in dict.fromkeys(("pk", "sk", *_INDEX_KEYS[self.index]))}


def _partitions(query: QueueQuery) -> list[_Partition]:
    filters: list[tuple[str, str, str]] = []
    if query.tag:
        filters.append(("contains(tags, :tag)", ":tag", query.tag))
    if query.assignee and query.sort == "due":
        if not query.mailbox:
            raise InvalidRequest("sorting by due time needs a mailbox")
        filters.append(("assignee = :who", ":who", query.assignee))
    elif query.assignee:
        if query.mailbox:
            filters.append(("mailbox = :mailbox", ":mailbox", query.mailbox))
        return [
            _Partition(s, ASSIGNEE_INDEX, f"ASSIGNEE#{query.assignee}", f"{s}#", tuple(filters))
            for s in query.statuses
        ]
    prefix = "0#" if query.assignee == "" else ""
    index = QUEUE_INDEX
    if query.sort == "due":
        if query.assignee == "":  # the due index's keys do not start with the assigned flag
            filters.append(("(attribute_not_exists(assignee) OR assignee = :none)", ":none", ""))
        prefix, index = "", DUE_INDEX
    lanes: dict[str, list[TicketStatus]] = {}
    for status in query.statuses:
        lanes.setdefault(items.queue_lane(status), []).append(status)
    partitions = []
    for lane, wanted in lanes.items():
        held: set[str] = {s for s, name in items.QUEUE_LANES.items() if name == lane} or {lane}
        narrow = tuple(wanted) if set(wanted) != held else ()
        partitions.append(
            _Partition(lane, index, f"QUEUE#{query.mailbox}#{lane}", prefix, tuple(filters), narrow)
        )
    return partitions


def encode_cursor(positions: dict[str, dict[str, str]]) -> str:
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, partitions: list[_Partition]) -> dict[str, dict[str, Any]]:
    """Start keys per status; InvalidRequest for a cursor this query did not issue."""
    try:
        positions = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("cursor is not one this API issued") from exc
    by_name = {p.name: p for p in partitions}
    if not isinstance(positions, dict) or not set(positions) <= set(by_name):
        raise InvalidRequest("cursor belongs to another query (statuses differ)")
    starts = {}
    for name, position in positions.items():
        part = by_name[name]
        wanted = {"pk", "sk", *_INDEX_KEYS[part.index]}
        if not isinstance(position, dict) or set(position) != wanted:
            raise InvalidRequest("cursor belongs to another query")
        if position[_INDEX_KEYS[part.index][0]] != part.pk or not all(
            isinstance(v, str) for v in position.values()
        ):
            raise InvalidRequest("cursor belongs to another query")
        starts[name] = {key: {"S": value} for key, value in position.items()}
    return starts


class DynamoDBQueue:
    def __init__(self, client: "DynamoDBClient", table: str) -> None:
        self._db = client
        self.table = table

    # -- reads -------------------------------------------------------------
    def page(
        self, query: QueueQuery, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        """Up to `limit` tickets in queue order, and the cursor of the next page (None: no more)."""
        partitions = _partitions(query)
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
        partitions = _partitions(QueueQuery(mailbox, statuses, assignee=""))
        return (items.ticket_from_item(raw) for _, raw in self._merged(partitions, {}, page_size=10))

    def _merged(
        self, partitions: list[_Partition], starts: dict[str, Any], page_size: int
    ) -> Iterator[tuple[_Partition, dict[str, Any]]]:
        streams = [self._tagged(part, starts.get(part.name), page_size) for part in partitions]
        return ((part, raw) for _, _, part, raw in heapq.merge(*streams, key=lambda entry: entry[:2]))

    def _tagged(
        self, part: _Partition, start: dict[str, Any] | None, page_size: int
    ) -> Iterator[tuple[str, str, _Partition, dict[str, Any]]]:
        for raw in self._query(part, start, page_size):
            yield part.order(raw), part.name, part, raw

    def _query(
        self, part: _Partition, start: dict[str, Any] | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        pk_name, sk_name = _INDEX_KEYS[part.index]
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


def start_key_plain(key: dict[str, Any]) -> dict[str, str]:
    return {name: value["S"] for name, value in key.items()}
