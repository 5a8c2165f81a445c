"""Item shapes of the tickets table: keys and conversions to and from domain types.

One table holds tickets, their messages, the Message-ID index, delivery records
and suspended mail (single-table design; every read is a GetItem, BatchGetItem
or Query on a known key, never a Scan):

| item            | pk                          | sk                           |
| --------------- | --------------------------- | ---------------------------- |
| ticket          | TICKET#<id>                 | TICKET                       |
| message         | TICKET#<id>                 | MSG#<received-at>#<ses-id>   |
| Message-ID      | MID#<mailbox>#<message-id>  | MID                          |
|                 |   (ticket_id, key; a received mail's fingerprint, authenticated: domain/message_claims) |
| unfiled claim   | MID#<mailbox>#<message-id>  | UNFILED#<fingerprint>        |
|                 |   (ses_message_id: the delivery that files it on no ticket; dynamodb_deliveries) |
|                 | MID#<mailbox>#no-message-id/<fp> (a mail without one: message_claims.content_claim) |
|                 | MID##quarantine/<reason>/<fp> (a mail quarantined: message_claims.quarantine_claim) |
| delivery record | DELIVERY#<ses-id>           | DELIVERY                     |
| split's number  | DELIVERY#split.<id>.<key>   | ALLOC                        |
| suspended mail  | SUSPENDED#<mailbox>         | <received-at>#<ses-id>       |
| counter         | COUNTER                     | TICKET                       |
| search term     | TERM#<term>                 | <created-at>#<ticket-id>     |

(search terms: see dynamodb_search; a ticket's SLA clock attributes: see dynamodb_sla_clock;
the staff guard: see dynamodb_admin_guard)
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.adapters.dynamodb_sla_clock import sla_attributes, sla_from_item
from chalicelib.domain.attachment_rules import is_risky
from chalicelib.domain.mail import Defect
from chalicelib.domain.notes import Note
from chalicelib.domain.tickets import (
    Body,
    Direction,
    MessageKind,
    Priority,
    StoredAttachment,
    StoredMessage,
    ThreadSignal,
    Ticket,
    TicketStatus,
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

PRIORITY_RANK = {Priority.URGENT: "0", Priority.HIGH: "1", Priority.NORMAL: "2", Priority.LOW: "3"}
# The queue index keeps the working statuses in one partition per mailbox, so the
# default queue page and claiming the next ticket are one Query each.
QUEUE_LANES = {TicketStatus.NEW: "working", TicketStatus.OPEN: "working"}


def queue_lane(status: TicketStatus) -> str:
    """The queue index partition of a status: `working` for new and open, else the status."""
    return QUEUE_LANES.get(status, status)


def ticket_key(ticket_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"TICKET#{ticket_id}"}, "sk": {"S": "TICKET"}}


def delivery_key(ses_message_id: str, sk: str = "DELIVERY") -> dict[str, Any]:
    return {"pk": {"S": f"DELIVERY#{ses_message_id}"}, "sk": {"S": sk}}


def message_id_key(mailbox: str, message_id: str) -> dict[str, Any]:
    # DynamoDB keys are capped at 2048 bytes; Message-IDs of that size are abuse.
    return {"pk": {"S": f"MID#{mailbox}#{message_id[:900]}"}, "sk": {"S": "MID"}}


def unfiled_claim_key(mailbox: str, message_id: str, fingerprint: str) -> dict[str, Any]:
    """Beside the Message-ID's index entry (never read as one: its sort key differs)."""
    return {"pk": message_id_key(mailbox, message_id)["pk"], "sk": {"S": f"UNFILED#{fingerprint}"}}


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    """Plain values to DynamoDB's typed form; empty strings and sets are dropped."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        if value is None or value == "" or (isinstance(value, (set, frozenset)) and not value):
            continue
        out[key] = _serializer.serialize(value)
    return out


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def queue_keys(
    mailbox: str, status: TicketStatus, assignee: str, priority: Priority, created_at: str, ticket_id: str
) -> dict[str, str]:
    """GSI keys: a mailbox's queue by lane, unassigned first, then priority, then age."""
    assigned = "1" if assignee else "0"
    rank = PRIORITY_RANK[priority]
    keys = {
        "gsi1pk": f"QUEUE#{mailbox}#{queue_lane(status)}",
        "gsi1sk": f"{assigned}#{rank}#{created_at}#{ticket_id}",
    }
    if assignee:
        keys.update(gsi2pk=f"ASSIGNEE#{assignee}", gsi2sk=f"{status}#{created_at}#{ticket_id}")
    return keys


def requester_pk(requester: str) -> str:
    return f"REQUESTER#{requester.lower()[:900]}"


def requester_keys(requester: str, created_at: str, ticket_id: str) -> dict[str, str]:
    """`byrequester` index keys: a customer's tickets in every mailbox, by age."""
    return {"gsi3pk": requester_pk(requester), "gsi3sk": f"{created_at}#{ticket_id}"}


def ticket_item(ticket: Ticket) -> dict[str, Any]:
    item = {
        "pk": f"TICKET#{ticket.id}",
        "sk": "TICKET",
        "type": "ticket",
        "id": ticket.id,
        "mailbox": ticket.mailbox,
        "subject": ticket.subject,
        "requester": ticket.requester,
        "status": ticket.status,
        "participants": set(ticket.participants) | {ticket.requester},
        "assignee": ticket.assignee,
        "priority": ticket.priority,
        "tags": set(ticket.tags),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "message_count": ticket.message_count,
        "attachment_count": ticket.attachment_count,
        "token_nonce": ticket.token_nonce,
        "related_ticket": ticket.related_ticket,
        "related_reason": ticket.related_reason,
        "related_notes": notes_list(ticket.related_notes),
        "last_from": ticket.last_from,
        "staff_replied": ticket.staff_replied or None,
        "requester_unauthenticated": (not ticket.requester_authenticated) or None,
        **sla_attributes(ticket),
    }
    item.update(
        queue_keys(
            ticket.mailbox, ticket.status, ticket.assignee, ticket.priority, ticket.created_at, ticket.id
        )
    )
    if ticket.requester:
        item.update(requester_keys(ticket.requester, ticket.created_at, ticket.id))
    return serialize(item)


def ticket_from_item(raw: dict[str, Any]) -> Ticket:
    item = deserialize(raw)
    return Ticket(
        id=item["id"],
        mailbox=item.get("mailbox", ""),
        subject=item.get("subject", ""),
        requester=item.get("requester", ""),
        status=TicketStatus(item.get("status", TicketStatus.NEW)),
        participants=tuple(sorted(item.get("participants", set()))),
        assignee=item.get("assignee", ""),
        priority=Priority(item.get("priority", Priority.NORMAL)),
        tags=tuple(sorted(item.get("tags", set()))),
        created_at=item.get("created_at", ""),
        updated_at=item.get("updated_at", ""),
        message_count=int(item.get("message_count", 0)),
        attachment_count=int(item.get("attachment_count", 0)),
        token_nonce=item.get("token_nonce", ""),
        related_ticket=item.get("related_ticket", ""),
        related_reason=item.get("related_reason", ""),
        # absent on tickets stored before notes kept their codes: `related_reason` alone
        related_notes=notes_from(item.get("related_notes", [])),
        merged_into=item.get("merged_into", ""),
        last_from=item.get("last_from", ""),
        staff_replied=bool(item.get("staff_replied", False)),
        sla=sla_from_item(item),
        requester_authenticated=not item.get("requester_unauthenticated", False),
    )


def _attachment_dict(a: StoredAttachment) -> dict[str, Any]:
    return {
        "index": a.index,
        "filename": a.filename,
        "safe_name": a.safe_name,
        "key": a.key,
        "declared_type": a.declared_type,
        "sniffed_type": a.sniffed_type,
        "size": a.size,
        "sha256": a.sha256,
        "risky": a.risky,
        "inline": a.inline,
        "content_id": a.content_id,
    }


def notes_list(notes: tuple[Note, ...]) -> list[dict[str, Any]]:
    return [{"text": n.text, "code": n.code, "values": dict(n.values)} for n in notes]


def notes_from(stored: list[dict[str, Any]]) -> tuple[Note, ...]:
    return tuple(
        Note(
            text=n.get("text", ""),
            code=n.get("code", ""),
            values=tuple(sorted((k, str(v)) for k, v in n.get("values", {}).items())),
        )
        for n in stored
    )


def message_item(message: StoredMessage) -> dict[str, Any]:
    item = {
        "pk": f"TICKET#{message.ticket_id}",
        "sk": f"MSG#{message.received_at}#{message.key}",
        "type": "message",
        "ticket_id": message.ticket_id,
        "key": message.key,
        "direction": message.direction,
        "kind": message.kind,
        "sender": message.sender,
        "sender_name": message.sender_name,
        "to": list(message.to),
        "cc": list(message.cc),
        "subject": message.subject,
        "message_id": message.message_id,
        "received_at": message.received_at,
        "date": message.date,
        "thread_signal": message.thread_signal,
        "related_ticket": message.related_ticket,
        "reason": message.reason,
        "verdicts": dict(message.verdicts),
        "text": message.body.text,
        "html": message.body.html,
        "reply_text": message.body.reply_text,
        "body_pointer": message.body.pointer,
        "attachments": [_attachment_dict(a) for a in message.attachments],
        "lossy_decoding": message.lossy_decoding,
        "defects": [str(d) for d in message.defects[:50]],
        "authenticated": message.authenticated,
        "trust_reason": message.trust_reason,
        "notes": notes_list(message.notes),
    }
    return serialize(item)


def message_from_item(raw: dict[str, Any]) -> StoredMessage:
    item = deserialize(raw)
    attachments = tuple(
        StoredAttachment(
            index=int(a["index"]),
            filename=a.get("filename", ""),
            safe_name=a.get("safe_name", ""),
            key=a.get("key", ""),
            declared_type=a.get("declared_type", ""),
            sniffed_type=a.get("sniffed_type", ""),
            size=int(a.get("size", 0)),
            sha256=a.get("sha256", ""),
            # Judged again on read, so files stored before the saved-name rule get their badge.
            risky=bool(a.get("risky"))
            or is_risky(a.get("filename", ""), a.get("declared_type", ""), a.get("sniffed_type", "")),
            inline=bool(a.get("inline")),
            content_id=a.get("content_id", ""),
        )
        for a in item.get("attachments", [])
    )
    return StoredMessage(
        ticket_id=item["ticket_id"],
        key=item["key"],
        direction=Direction(item.get("direction", Direction.INBOUND)),
        kind=MessageKind(item.get("kind", MessageKind.CUSTOMER)),
        sender=item.get("sender", ""),
        sender_name=item.get("sender_name", ""),
        to=tuple(item.get("to", [])),
        cc=tuple(item.get("cc", [])),
        subject=item.get("subject", ""),
        message_id=item.get("message_id", ""),
        received_at=item.get("received_at", ""),
        date=item.get("date", ""),
        thread_signal=ThreadSignal(item.get("thread_signal", ThreadSignal.NEW)),
        related_ticket=item.get("related_ticket", ""),
        reason=item.get("reason", ""),
        verdicts=dict(item.get("verdicts", {})),
        body=Body(
            text=item.get("text", ""),
            html=item.get("html", ""),
            reply_text=item.get("reply_text", ""),
            pointer=item.get("body_pointer", ""),
        ),
        attachments=attachments,
        lossy_decoding=bool(item.get("lossy_decoding")),
        defects=tuple(Defect.parse(text) for text in item.get("defects", [])),
        authenticated=item.get("authenticated"),
        trust_reason=item.get("trust_reason", ""),
        # absent on messages stored before notes kept their codes: `reason` alone
        notes=notes_from(item.get("notes", [])),
    )
