"""Which partitions of the tickets table's queue indexes a queue query reads, and the page
cursor that resumes each of them.

`queue` (gsi1pk `QUEUE#<mailbox>#<lane>`, gsi1sk `<assigned>#<rank>#<created>#<id>`; one lane
for the working statuses new and open, one per other status: see `dynamodb_items.queue_lane`),
`queuebydue` (the same lanes by due time) or `byassignee` (gsi2pk `ASSIGNEE#<agent>`, gsi2sk
`<status>#<created>#<id>`, one prefix per status). A cursor holds, per partition, the index
key of the last ticket a page showed there (opaque base64 to callers).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.adapters import dynamodb_items as items
from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import TicketStatus
from chalicelib.errors import InvalidRequest
from chalicelib.services.ports.records import QueueQuery

QUEUE_INDEX, ASSIGNEE_INDEX, DUE_INDEX = "queue", "byassignee", "queuebydue"
INDEX_KEYS = {
    QUEUE_INDEX: ("gsi1pk", "gsi1sk"),
    ASSIGNEE_INDEX: ("gsi2pk", "gsi2sk"),
    DUE_INDEX: ("gsi1pk", "duesk"),  # the queue's lanes by due time (dynamodb_sla_clock.due_keys)
}


@frozen
class QueuePartition:
    name: str  # the status
    index: str
    pk: str
    sk_prefix: str
    filters: tuple[tuple[str, str, str], ...]  # (expression, placeholder, value)
    statuses: tuple[str, ...] = ()  # only these, when the partition holds more (a lane)

    def order(self, raw: dict[str, Any]) -> str:
        sk = raw[INDEX_KEYS[self.index][1]]["S"]
        # byassignee keys start with the status: order across statuses by age.
        return sk.partition("#")[2] if self.index == ASSIGNEE_INDEX else sk

    def position(self, raw: dict[str, Any]) -> dict[str, str]:
        return {name: raw[name]["S"] for name in dict.fromkeys(("pk", "sk", *INDEX_KEYS[self.index]))}


def query_partitions(query: QueueQuery) -> list[QueuePartition]:
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
            QueuePartition(s, ASSIGNEE_INDEX, f"ASSIGNEE#{query.assignee}", f"{s}#", tuple(filters))
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
            QueuePartition(lane, index, f"QUEUE#{query.mailbox}#{lane}", prefix, tuple(filters), narrow)
        )
    return partitions


def encode_cursor(positions: dict[str, dict[str, str]]) -> str:
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, partitions: list[QueuePartition]) -> dict[str, dict[str, Any]]:
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
        wanted = {"pk", "sk", *INDEX_KEYS[part.index]}
        if not isinstance(position, dict) or set(position) != wanted:
            raise InvalidRequest("cursor belongs to another query")
        if position[INDEX_KEYS[part.index][0]] != part.pk or not all(
            isinstance(v, str) for v in position.values()
        ):
            raise InvalidRequest("cursor belongs to another query")
        starts[name] = {key: {"S": value} for key, value in position.items()}
    return starts


def start_key_plain(key: dict[str, Any]) -> dict[str, str]:
    return {name: value["S"] for name, value in key.items()}
