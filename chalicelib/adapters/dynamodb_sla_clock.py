"""A ticket's SLA clock (domain/sla.py) as attributes of its item in the tickets table.

One flat attribute each (`sla_started_at`, ..., `sla_resolution_breached`), so an update can
set one without the others existing (tickets filed before SLA have none), and the clock's
two index keys: `duesk` (the `queuebydue` index) and `watchpk`/`watchsk` (the sparse
`slawatch` index). The ticket item itself is dynamodb_items'; the SLA targets an admin sets
are dynamodb_sla's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeSerializer

from chalicelib.domain.sla import SlaClock

if TYPE_CHECKING:
    from chalicelib.domain.tickets import Ticket

_serializer = TypeSerializer()

SLA_TIMES = ("started_at", "first_response_due", "first_response_at", "resolution_due", "resolved_at")
SLA_FLAGS = ("first_response_breached", "resolution_breached")


def sla_attributes(ticket: Ticket) -> dict[str, Any]:
    """The clock's attributes (None: absent) and its index keys (due_keys)."""
    clock = ticket.sla
    values: dict[str, Any] = {f"sla_{name}": getattr(clock, name) or None for name in SLA_TIMES}
    values.update({f"sla_{name}": getattr(clock, name) or None for name in SLA_FLAGS})
    values.update(due_keys(ticket))
    return values


def due_keys(ticket: Ticket) -> dict[str, str | None]:
    """`duesk`: the ticket's place in the `queuebydue` index (hash gsi1pk, the queue's lane):
    the due time it works against, those without one last. `watchpk`/`watchsk`: the sparse
    `slawatch` index of tickets whose next breach is still to come, by when (the sweeper
    reads the past part of it)."""
    clock = ticket.sla
    due = clock.next_due or NO_DUE
    watch = clock.watch_due
    return {
        "duesk": f"{due}#{ticket.created_at}#{ticket.id}",
        "watchpk": f"SLA#{ticket.mailbox}" if watch else None,
        "watchsk": f"{watch}#{ticket.id}" if watch else None,
    }


NO_DUE = "~"  # after every ISO time in key order


def sla_update(ticket: Ticket) -> tuple[list[str], dict[str, Any], list[str]]:
    """SET clauses, their values and REMOVE names writing `ticket`'s clock and due keys
    into an UpdateExpression (attribute names here are no reserved words)."""
    sets, values, removes = [], {}, []
    for name, value in sla_attributes(ticket).items():
        if value is None:
            removes.append(name)
        else:
            sets.append(f"{name} = :{name}")
            values[f":{name}"] = _serializer.serialize(value)
    return sets, values, removes


def sla_condition(ticket: Ticket) -> tuple[str, dict[str, Any]]:
    """A ConditionExpression that holds while the stored clock is still `ticket`'s, and its
    values: a write computed from a clock read earlier must not undo a breach flagged (or a
    first reply recorded) since."""
    clock = ticket.sla
    parts, values = [], {}
    for name in SLA_TIMES:
        if value := getattr(clock, name):
            parts.append(f"sla_{name} = :was_{name}")
            values[f":was_{name}"] = {"S": value}
        else:
            parts.append(f"attribute_not_exists(sla_{name})")
    for name in SLA_FLAGS:
        if getattr(clock, name):
            parts.append(f"sla_{name} = :was_{name}")
            values[f":was_{name}"] = {"BOOL": True}
        else:
            parts.append(f"attribute_not_exists(sla_{name})")
    return " AND ".join(parts), values


def sla_from_item(item: dict[str, Any]) -> SlaClock:
    values: dict[str, Any] = {name: item.get(f"sla_{name}", "") for name in SLA_TIMES}
    values.update({name: bool(item.get(f"sla_{name}", False)) for name in SLA_FLAGS})
    return SlaClock(**values)
