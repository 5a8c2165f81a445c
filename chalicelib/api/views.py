"""The JSON the staff API answers with, built from the project's own types."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.lookalike_names import mixed_scripts
from chalicelib.domain.notes import Note
from chalicelib.domain.outcome import Outcome
from chalicelib.domain.tickets import Direction, StoredMessage, Ticket
from chalicelib.domain.timestamps import iso_millis

if TYPE_CHECKING:  # the desk pulls in boto3: not at import, which must stay light
    from collections.abc import Mapping, Sequence

    from chalicelib.domain.held_replies import HeldReply
    from chalicelib.domain.sla import SlaPolicy
    from chalicelib.services.change_feed import Changes
    from chalicelib.services.desk_views import AttachmentView, MessageView, QueuePage, TicketDetail
    from chalicelib.services.ports.records import Presence, SuspendedMessage
    from chalicelib.services.queue_counts import ViewCount


def ticket_json(ticket: Ticket, merged_into: str = "") -> dict[str, Any]:
    """One ticket; `messages` and `attachments` are counts (the `tickets list --json` contract)."""
    return {
        "id": ticket.id,
        "mailbox": ticket.mailbox,
        "status": ticket.status,
        "subject": ticket.subject,
        "requester": ticket.requester,
        "assignee": ticket.assignee or None,
        "priority": ticket.priority,
        "tags": list(ticket.tags),
        "participants": list(ticket.copied),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "messages": ticket.message_count,
        "attachments": ticket.attachment_count,
        "merged_into": merged_into or ticket.merged_into or None,
        "related_ticket": ticket.related_ticket or None,
        "related_reason": ticket.related_reason or None,
        "related_notes": [notes_json(n) for n in ticket.related_notes],
        "customer_replied": ticket.customer_replied,
        "staff_replied": ticket.staff_replied,
        "sla": sla_json(ticket),
    }


def sla_json(ticket: Ticket, now: str = "") -> dict[str, Any]:
    """Its SLA clock (domain/sla.py); `due` is the time the team works against now (null:
    none runs), `breached` whether either clock ran past its due time by `now` (default:
    this moment), whether or not the sweep has flagged it yet."""
    clock = ticket.sla
    first_missed, resolution_missed = clock.missed(now or iso_millis(datetime.now(UTC)))
    return {
        "due": clock.next_due or None,
        "due_clock": ("first_response" if clock.awaiting_first_response else "resolution")
        if clock.next_due
        else None,
        "breached": first_missed or resolution_missed,
        "first_response_due": clock.first_response_due or None,
        "first_response_at": clock.first_response_at or None,
        "first_response_breached": first_missed,
        "resolution_due": clock.resolution_due or None,
        "resolved_at": clock.resolved_at or None,
        "resolution_breached": resolution_missed,
    }


def changes_json(changes: Changes) -> dict[str, Any]:
    """The counters an open console compares with what it last saw."""
    mine = changes.mine
    answer: dict[str, Any] = {
        "mailboxes": {
            c.scope: {"changes": c.changes, "tickets": c.tickets, "ticket": c.ticket or None}
            for c in changes.mailboxes
        },
        "mine": {"changes": mine.changes, "replies": mine.replies, "ticket": mine.ticket or None},
    }
    if here := changes.presence:  # asked with ?ticket=: who opened, writes on or left it
        answer["presence"] = {"ticket": here.scope.partition(":")[2], "changes": here.changes}
    return answer


def counts_json(counts: Mapping[str, ViewCount]) -> dict[str, Any]:
    """{"counts": {"new": {"count": 3, "more": false}, ..., "mine": {...}}} (services/queue_counts.py)."""
    return {"counts": {name: {"count": c.count, "more": c.more} for name, c in counts.items()}}


def queue_json(page: QueuePage) -> dict[str, Any]:
    return {"tickets": [ticket_json(t) for t in page.tickets], "cursor": page.cursor}


def _attachment_json(view: AttachmentView) -> dict[str, Any]:
    a = view.attachment
    return {
        "filename": a.filename,
        "content_type": a.declared_type,
        "detected_type": a.sniffed_type,
        "size": a.size,
        "sha256": a.sha256,
        "risky": a.risky,
        "content_id": a.content_id or None,
        "disposition": view.disposition,
        "url": view.url,
        "url_expires_in": view.expires_in,
        "url_expires_at": view.expires_at,
    }


def notes_json(note: Note) -> dict[str, Any]:
    return {"code": note.code or None, "data": dict(note.values), "text": note.text}


def message_json(view: MessageView) -> dict[str, Any]:
    m, body = view.message, view.body
    return {
        "key": m.key,
        "kind": m.kind,
        "direction": m.direction,
        "sender": m.sender,
        "sender_name": m.sender_name,
        # A name in lookalike letters ("Support Team" with a Cyrillic S): the console marks it.
        "sender_name_mixed_scripts": m.direction == Direction.INBOUND and mixed_scripts(m.sender_name),
        "to": list(m.to),
        "cc": list(m.cc),
        "subject": m.subject,
        "time": m.received_at,
        "date": m.date or None,
        "thread_signal": m.thread_signal,
        "related_ticket": m.related_ticket or None,
        "reason": m.reason or None,
        # `reason`'s parts by code and values: the console says each in the agent's language
        # (empty on messages stored before: the console shows `reason` as written)
        "notes": [notes_json(n) for n in m.notes],
        "verdicts": dict(m.verdicts),
        "authenticated": m.authenticated,
        "trust_reason": m.trust_reason or None,
        "text": body.text,
        "html": body.html,
        "reply_text": body.reply_text,
        "attachments": [_attachment_json(a) for a in view.attachments],
        "lossy_decoding": m.lossy_decoding,
        "defects": [str(d) for d in m.defects],
    }


# Lambda returns at most 6 MB (6,291,456 bytes) of response, and API Gateway's proxy
# response carries the body as a JSON string inside JSON, which escapes it once more (a
# quote or backslash doubles). Half the limit for the messages leaves room for both.
RESPONSE_BUDGET = 3_000_000


def detail_json(detail: TicketDetail, budget: int = RESPONSE_BUDGET) -> dict[str, Any]:
    """The ticket and the latest of its messages that fit `budget` bytes of JSON; `earlier`
    says how many come before them and `before` is the `?before=` that fetches those."""
    kept: list[dict[str, Any]] = []
    used = 0
    for view in reversed(detail.messages):
        message = message_json(view)
        size = len(json.dumps(message))
        if kept and used + size > budget:
            break
        if size > budget:  # one message alone too big: its bodies are cut to fit
            message = _cut(message, budget)
        kept.append(message)
        used += size
    kept.reverse()
    earlier = detail.earlier + len(detail.messages) - len(kept)
    return {
        "ticket": ticket_json(detail.ticket, detail.merged_into),
        "messages": kept,
        "earlier": earlier,
        "before": kept[0]["key"] if earlier and kept else None,
    }


def _cut(message: dict[str, Any], budget: int) -> dict[str, Any]:
    share = budget // 8  # text, html and reply_text, each escaped at most 2x
    cut = {field: str(message[field] or "")[:share] for field in ("text", "html", "reply_text")}
    return {**message, **cut, "truncated": True}


def note_json(note: StoredMessage) -> dict[str, Any]:
    return {"key": note.key, "ticket": note.ticket_id, "sender": note.sender, "time": note.received_at}


def suspended_json(suspended: SuspendedMessage) -> dict[str, Any]:
    return {
        "key": suspended.key,
        "ses_message_id": suspended.ses_message_id,
        "sender": suspended.sender,
        "subject": suspended.subject,
        "reason": suspended.reason,
        # the reason by code: the console says it in the agent's language (empty: `reason` as written)
        "notes": [notes_json(n) for n in suspended.notes],
        "received_at": suspended.received_at,
        "recipients": list(suspended.recipients),
    }


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "outcome": outcome.outcome,
        "ticket": outcome.ticket,
        "mailbox": outcome.mailbox,
        "thread_signal": outcome.thread_signal,
        "reason": outcome.reason,
    }


def reply_json(sent: StoredMessage) -> dict[str, Any]:
    """A staff reply the outbound guard sent; `reason` names recipients it left out."""
    return {
        "key": sent.key,
        "ticket": sent.ticket_id,
        "sender": sent.sender,
        "to": list(sent.to),
        "cc": list(sent.cc),
        "message_id": sent.message_id,
        "time": sent.received_at,
        "warnings": sent.reason or None,
    }


def held_json(held: HeldReply) -> dict[str, Any]:
    """A reply held for its undo window (domain/held_replies.py) and what became of it."""
    return {
        "held": held.hold_id,
        "ticket": held.ticket_id,
        "state": str(held.state),
        "held_at": held.held_at,
        "send_at": held.send_at,
        "reason": held.reason or None,
        # the refusal's code and values: the console says it in the agent's language
        # (null on records kept from before codes were stored: the text is shown)
        "reason_code": held.reason_code or None,
        "reason_data": dict(held.reason_values),
        "message": held.message_key or None,
    }


def presence_json(ticket_id: str, others: Sequence[Presence], changes: int | None = None) -> dict[str, Any]:
    """Who else has the ticket open (`writing`: a reply or note in progress), and since when
    seen; `changes`: the ticket's presence counter when this request moved it (else null)."""
    return {
        "ticket": ticket_id,
        "present": [{"agent": p.agent, "writing": p.writing, "seen_at": p.seen_at} for p in others],
        "changes": changes,
    }


def sla_targets_json(policy: SlaPolicy, mailboxes: list[str]) -> dict[str, Any]:
    """Every mailbox and priority with its target in minutes (0: none); wall-clock time."""
    from chalicelib.domain.tickets import Priority

    rows = []
    for mailbox in dict.fromkeys(mailboxes):
        for priority in Priority:
            target = policy.target(mailbox, priority)
            rows.append(
                {
                    "mailbox": mailbox,
                    "priority": str(priority),
                    "first_response_minutes": target.first_response_minutes,
                    "resolution_minutes": target.resolution_minutes,
                }
            )
    return {"targets": rows, "clock": "wall-clock"}


def sla_backlog_json(mailbox: str, priority: str, page: Any) -> dict[str, Any]:
    """One page of moving the open backlog to a changed target (services/sla_backlog.py):
    tickets read, tickets whose due times moved, and the cursor of the next page (null: done)."""
    return {
        "mailbox": mailbox,
        "priority": priority,
        "read": page.read,
        "updated": page.updated,
        "cursor": page.cursor,
    }
