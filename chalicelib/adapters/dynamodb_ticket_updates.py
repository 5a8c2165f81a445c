"""The writes that change a ticket item inside dynamodb_tickets' transactions, built here:
the counter a new ticket takes its number from, a message joining a ticket (reopening it
and moving it in the queue), a sent reply, the Message-ID index entries, and the change
and report counters every ticket write adds to (here so that the ingest's cold start
loads no module more)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_sla_clock as sla_clock
from chalicelib.domain.participants import MAX_PARTICIPANTS
from chalicelib.domain.tickets import MessageKind, TicketStatus
from chalicelib.services.ports.records import AGENT_SCOPE, TICKET_SCOPE

if TYPE_CHECKING:
    from chalicelib.domain.message_claims import IndexEntry
    from chalicelib.domain.report_counts import Tally
    from chalicelib.domain.tickets import StoredMessage, Ticket
    from chalicelib.services.ports.records import TicketChange


def counter_update(table: str, key: dict[str, Any], number: int, last_number: int) -> dict[str, Any]:
    """The counter moves to `number` only if it still holds `last_number` (absent before the first)."""
    condition = "attribute_not_exists(next_number)" if last_number == 0 else "next_number = :last"
    values: dict[str, Any] = {":n": {"N": str(number)}}
    if last_number:
        values[":last"] = {"N": str(last_number)}
    return {
        "TableName": table,
        "Key": key,
        "UpdateExpression": "SET next_number = :n",
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }


def thread_update(table: str, change: TicketChange) -> dict[str, Any]:
    """A message joins the ticket: counts, new participants (within the cap), reopening."""
    names = {"#u": "updated_at", "#mc": "message_count", "#ac": "attachment_count"}
    values: dict[str, Any] = {
        ":u": {"S": change.updated_at},
        ":one": {"N": "1"},
        ":n": {"N": str(change.attachments)},
    }
    sets = ["#u = :u"]
    adds = ["#mc :one", "#ac :n"]
    condition = "attribute_exists(pk)"
    if change.last_from:
        values[":from"] = {"S": change.last_from}
        sets.append("last_from = :from")
    if change.new_participants:
        names["#p"] = "participants"
        new = sorted(set(change.new_participants))
        values[":p"] = {"SS": new}
        adds.append("#p :p")
        # The cap holds against a parallel delivery too: the set (requester included)
        # must still have room when this one commits.
        values[":room"] = {"N": str(MAX_PARTICIPANTS + 1 - len(new))}
        condition += " AND size(#p) <= :room"
    if change.reopen_to:
        names["#s"] = "status"
        values[":s"] = {"S": change.reopen_to}
        values[":old"] = {"S": change.old_status}
        sets.append("#s = :s")
        condition += " AND #s = :old"
        reopened = change.reopened
        keys = {} if reopened is None else _queue_keys(reopened, TicketStatus(change.reopen_to))
        for index, (key, value) in enumerate(keys.items()):
            names[f"#q{index}"] = key
            values[f":q{index}"] = {"S": value}
            sets.append(f"#q{index} = :q{index}")
    removes: list[str] = []
    if change.restarted is not None:  # a new SLA clock (a solved ticket reopened)
        sla_sets, sla_values, removes = sla_clock.sla_update(change.restarted)
        sets += sla_sets
        values.update(sla_values)
    if change.requester_authenticated:
        removes = [*removes, "requester_unauthenticated"]
    remove = f" REMOVE {', '.join(removes)}" if removes else ""
    return {
        "TableName": table,
        "Key": items.ticket_key(change.ticket_id),
        "UpdateExpression": f"SET {', '.join(sets)} ADD {', '.join(adds)}{remove}",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def outbound_update(
    table: str,
    message: StoredMessage,
    moved: tuple[Ticket, TicketStatus] | None,
    answered: Ticket | None = None,
) -> dict[str, Any]:
    """A sent reply joins the ticket; with `moved`, the ticket takes that status only if its
    status and queue position are still as read; with `answered` (the ticket with its
    first-response clock stopped), the clock and its due keys."""
    values: dict[str, Any] = {
        ":u": {"S": message.received_at},
        ":one": {"N": "1"},
        ":n": {"N": str(len(message.attachments))},
    }
    # A staff reply clears the "customer replied" marker (Ticket.customer_replied).
    replied = ["last_from = :staff", "staff_replied = :true"] if message.kind == MessageKind.STAFF else []
    if replied:
        values.update({":staff": {"S": "staff"}, ":true": {"BOOL": True}})
    if answered is not None:
        # if_not_exists: a parallel first reply that committed first keeps its time.
        keys = sla_clock.due_keys(answered)
        replied.append("sla_first_response_at = if_not_exists(sla_first_response_at, :fra)")
        values[":fra"] = {"S": answered.sla.first_response_at}
        replied += [f"{name} = :{name}" for name, value in keys.items() if value is not None]
        values.update({f":{name}": {"S": value} for name, value in keys.items() if value is not None})
        gone = [name for name, value in keys.items() if value is None]
    else:
        gone = []
    remove = f" REMOVE {', '.join(gone)}" if gone else ""
    update: dict[str, Any] = {
        "TableName": table,
        "Key": items.ticket_key(message.ticket_id),
        "UpdateExpression": "SET "
        + ", ".join(["updated_at = :u", *replied])
        + " ADD message_count :one, attachment_count :n"
        + remove,
        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(merged_into)",
        "ExpressionAttributeValues": values,
    }
    if moved is None or moved[0].status == moved[1]:
        return update
    before, status = moved
    old = _queue_keys(before, TicketStatus(before.status))
    new = _queue_keys(before, status)
    sets = ["updated_at = :u", *replied, "#s = :s"] + [f"{name} = :{name}" for name in sorted(new)]
    values.update({f":{name}": {"S": value} for name, value in new.items()})
    values.update({":s": {"S": status}, ":olds": {"S": before.status}, ":oldq": {"S": old["gsi1sk"]}})
    update["UpdateExpression"] = (
        "SET " + ", ".join(sets) + " ADD message_count :one, attachment_count :n" + remove
    )
    update["ConditionExpression"] += " AND #s = :olds AND gsi1sk = :oldq"
    update["ExpressionAttributeNames"] = {"#s": "status"}
    return update


def index_puts(
    table: str,
    mailbox: str,
    message: StoredMessage,
    aliases: tuple[str, ...] = (),
    conditional: bool = True,
    entry: IndexEntry | None = None,
) -> list[dict[str, Any]]:
    """The Message-ID index entries of `message` (and `aliases`) in `mailbox`; `conditional`:
    only where the id is not stored yet (a received mail's duplicate check), or, for an
    `entry` that replaces another mail's claim, only where the entry still holds that claim.
    A received mail's `entry` carries its fingerprint (domain/message_claims.py)."""
    if entry is not None and not entry.indexed:
        return []
    operations = []
    for message_id in dict.fromkeys(i for i in (message.message_id, *aliases) if i):
        attributes: dict[str, Any] = {
            "type": "message-id",
            "ticket_id": message.ticket_id,
            "key": message.key,
        }
        if entry is not None and entry.claim.fingerprint:
            attributes |= {"fingerprint": entry.claim.fingerprint, "authenticated": entry.claim.authenticated}
        item = {**items.message_id_key(mailbox, message_id), **items.serialize(attributes)}
        put: dict[str, Any] = {"TableName": table, "Item": item}
        if conditional and entry is not None and entry.replaces is not None:
            put["ConditionExpression"] = "fingerprint = :claimed"
            put["ExpressionAttributeValues"] = {":claimed": {"S": entry.replaces.fingerprint}}
        elif conditional:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        operations.append({"Put": put})
    return operations


def _queue_keys(ticket: Ticket, status: TicketStatus) -> dict[str, str]:
    """The queue index keys of `ticket` once it has `status`."""
    return items.queue_keys(
        ticket.mailbox, status, ticket.assignee, ticket.priority, ticket.created_at, ticket.id
    )


def changes_key(scope: str) -> dict[str, Any]:
    """A change counter's key (dynamodb_changes.py): a mailbox's, an agent's, or a ticket's
    presence counter (dynamodb_presence.py)."""
    if scope.startswith(AGENT_SCOPE):
        return {"pk": {"S": f"CHANGES#AGENT#{scope.removeprefix(AGENT_SCOPE)}"}, "sk": {"S": "CHANGES"}}
    if scope.startswith(TICKET_SCOPE):
        return {"pk": {"S": f"CHANGES#TICKET#{scope.removeprefix(TICKET_SCOPE)}"}, "sk": {"S": "CHANGES"}}
    return {"pk": {"S": f"CHANGES#{scope}"}, "sk": {"S": "CHANGES"}}


def changes_bump(table: str, scope: str, ticket_id: str, *counted: str) -> dict[str, Any]:
    """A transaction item: the counter's `changes` and each of `counted` (tickets, replies) up by one.

    One hot item per mailbox: transactions touching it at the same moment conflict
    (TransactionConflict) and the delivery is retried from the queue, as new tickets
    already are on the ticket-number counter."""
    adds = ", ".join(f"{name} :one" for name in ("changes", *counted))
    return {
        "Update": {
            "TableName": table,
            "Key": changes_key(scope),
            "UpdateExpression": f"SET ticket = :t ADD {adds}",
            "ExpressionAttributeValues": {":t": {"S": ticket_id}, ":one": {"N": "1"}},
        }
    }


def report_key(mailbox: str, sk: str) -> dict[str, Any]:
    """A report counter's key (dynamodb_report_counters.py)."""
    return {"pk": {"S": f"REPORT#{mailbox}"}, "sk": {"S": sk}}


def report_day_sk(day: str, agent: str = "") -> str:
    return f"DAY#{day}#AGENT#{agent}" if agent else f"DAY#{day}"


OPEN_SK = "~OPEN"  # the mailbox's unsolved tickets now; sorts after every DAY# item


def report_adds(table: str, tallies: list[Tally]) -> list[dict[str, Any]]:
    """Transaction items adding `tallies` (report_counts.combined: one per item) to the report's
    day counters, and each mailbox's `net` to its count of unsolved tickets."""
    operations = [
        _adds(table, report_key(t.mailbox, report_day_sk(t.day, t.agent)), t.counts) for t in tallies
    ]
    opened: dict[str, int] = {}
    for tally in tallies:
        if not tally.agent and tally.counts.get("net"):
            opened[tally.mailbox] = opened.get(tally.mailbox, 0) + tally.counts["net"]
    operations += [_adds(table, report_key(box, OPEN_SK), {"open": n}) for box, n in opened.items() if n]
    return operations


def _adds(table: str, key: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    names = {f"#c{i}": name for i, name in enumerate(counts)}
    values = {f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())}
    adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": f"ADD {adds}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }
