"""Splitting a message out into its own ticket, and merging one ticket into another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chalicelib.domain import audit
from chalicelib.domain.correlation import without_ticket_tags
from chalicelib.domain.reply_tokens import new_nonce
from chalicelib.domain.search_terms import stored_message_terms
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import Direction, MessageKind, Ticket
from chalicelib.errors import InvalidRequest, MessageNotFound, TicketConflict, TicketNotFound
from chalicelib.services.desk_parts import DeskParts, editable


def split(parts: DeskParts, ticket_id: str, agent: str, message_key: str, more: Sequence[str] = ()) -> Ticket:
    """Move one message (with any `more`) out into a new, unassigned ticket of the same mailbox.

    The new ticket's subject loses the old `[T-n]` tag (its replies carry its own, and a
    customer answering one must not thread back by the old tag); the two tickets link to
    each other (the source keeps a link it already had). The earliest message chosen makes
    the new ticket (its subject and requester); the others follow it as a merge moves
    messages, in chunks of one transaction each.
    """
    source = editable(parts, ticket_id)
    messages = parts.tickets.messages(source.id)
    keys = list(dict.fromkeys([message_key, *more]))
    chosen = [m for m in messages if m.key in keys and m.kind != MessageKind.EVENT]
    if len(chosen) != len(keys):
        missing = sorted(set(keys) - {m.key for m in chosen})
        raise MessageNotFound(f"{source.id} has no message {', '.join(missing)}")
    if len(audit.counted(messages)) - len(chosen) < 1:
        if len(chosen) == 1:
            raise TicketConflict(f"{chosen[0].key} is the only message of {source.id}")
        raise TicketConflict(f"a split would leave {source.id} without a message")
    message, rest = chosen[0], chosen[1:]
    message_key = message.key
    now = parts.now()
    customer = message.direction == Direction.INBOUND and bool(message.sender)
    new = Ticket(
        # Pinned to the (ticket, message) pair: a retried split gets the same number.
        id=parts.tickets.allocate_ticket_id(f"split.{source.id}.{message_key}"),
        mailbox=source.mailbox,
        subject=without_ticket_tags(message.subject) or without_ticket_tags(source.subject) or "(no subject)",
        requester=message.sender if customer else source.requester,
        participants=(message.sender,) if customer else source.participants,
        priority=source.priority,
        created_at=now,
        updated_at=now,
        message_count=1,
        attachment_count=len(message.attachments),
        token_nonce=new_nonce(),
        related_ticket=source.id,
        related_reason=f"split from {source.id} by {agent}",
    )
    moved = replace(message, ticket_id=new.id)
    who = message.sender or "staff"
    what = f"{len(chosen)} messages" if rest else f"the message of {who}"
    trail = (
        audit.event(source.id, agent, f"split {what} out into {new.id}", now),
        audit.event(new.id, agent, f"split from {source.id}", now),
    )
    parts.edits.split(source, message, new, now, stored_message_terms(moved) if customer else (), trail)
    chunk = parts.edits.merge_chunk
    for start in range(0, len(rest), chunk):
        parts.edits.merge_messages(source, new, rest[start : start + chunk], now)
    parts.events.publish_event(
        EventKind.SPLIT, source.id, {"by": agent, "message": message_key, "messages": keys, "into": new.id}
    )
    parts.events.publish_event(EventKind.CREATED, new.id, {"by": agent, "split_from": source.id})
    return parts.queue.load(new.id)[0] if rest else new  # its counts as the moves left them


def merge(parts: DeskParts, ticket_id: str, agent: str, into: str) -> Ticket:
    """Move every message of `ticket_id` into `into`; the source closes with `merged_into`.

    Messages move in chunks, each one transaction; a merge that stops half way is
    finished by running it again. Mail that threads into the source while it is being
    merged is swept over after the source is closed.
    """
    if into == ticket_id:
        raise InvalidRequest("a ticket cannot be merged into itself")
    source, merged_into = parts.queue.load(ticket_id)
    if merged_into:
        raise TicketConflict(f"{source.id} was already merged into {merged_into}")
    try:
        target, target_merged = parts.queue.load(into)
    except TicketNotFound as exc:
        raise InvalidRequest(f"there is no ticket {into} to merge into") from exc
    if target_merged:
        raise TicketConflict(f"{target.id} was itself merged into {target_merged}")
    if target.mailbox != source.mailbox:
        raise TicketConflict(f"{source.id} and {target.id} belong to different mailboxes")
    now = parts.now()
    moved = _move_all(parts, source, target, now)
    trail = (audit.event(target.id, agent, f"merged {source.id} into this ticket", now),)
    parts.edits.close_merged(source, target, now, trail)
    moved += _move_all(parts, source, target, now)
    parts.events.publish_event(
        EventKind.MERGED, source.id, {"by": agent, "into": target.id, "messages": moved}
    )
    return parts.queue.load(target.id)[0]


def _move_all(parts: DeskParts, source: Ticket, target: Ticket, now: str) -> int:
    messages = parts.tickets.messages(source.id)
    chunk = parts.edits.merge_chunk
    for start in range(0, len(messages), chunk):
        parts.edits.merge_messages(source, target, messages[start : start + chunk], now)
    return len(messages)
