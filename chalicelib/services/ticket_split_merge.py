"""Splitting a message out into its own ticket, and merging one ticket into another."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from chalicelib.domain import audit, sla
from chalicelib.domain.correlation import without_ticket_tags
from chalicelib.domain.reply_tokens import new_nonce
from chalicelib.domain.search_terms import stored_message_terms
from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import Direction, MessageKind, StoredMessage, Ticket
from chalicelib.errors import InvalidRequest, MessageNotFound, TicketConflict, TicketNotFound
from chalicelib.services.desk_ports import DeskPorts, editable


def split(ports: DeskPorts, ticket_id: str, agent: str, message_key: str, more: Sequence[str] = ()) -> Ticket:
    """Move one message (with any `more`) out into a new, unassigned ticket of the same mailbox.

    The new ticket's subject loses the old `[T-n]` tag (its replies carry its own, and a
    customer answering one must not thread back by the old tag); the two tickets link to
    each other (the source keeps a link it already had). The earliest message chosen makes
    the new ticket (its subject and requester); the others follow it as a merge moves
    messages, in chunks of one transaction each. The new ticket's number is pinned to the
    request, so a split that stopped between its steps is finished by asking again.
    """
    source = editable(ports, ticket_id)
    messages = ports.tickets.messages(source.id)
    keys = list(dict.fromkeys([message_key, *more]))
    chosen = [m for m in messages if m.key in keys and m.kind != MessageKind.EVENT]
    if len(chosen) != len(keys):
        return _resume(ports, source, agent, keys, chosen)
    if len(audit.counted(messages)) - len(chosen) < 1:
        if len(chosen) == 1:
            raise TicketConflict(f"{chosen[0].key} is the only message of {source.id}")
        raise TicketConflict(f"a split would leave {source.id} without a message")
    message, rest = chosen[0], chosen[1:]
    now = ports.now()
    customer = message.direction == Direction.INBOUND and bool(message.sender)
    new = Ticket(
        id=ports.tickets.allocate_ticket_id(_pin(source.id, keys)),
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
        # A ticket of its own from now: its SLA clocks start at the split (domain/sla.py).
        sla=sla.start(ports.sla.policy().target(source.mailbox, source.priority), now),
        requester_authenticated=message.authenticated is not False
        if customer
        else source.requester_authenticated,
    )
    who = message.sender or "staff"
    what = f"{len(chosen)} messages" if rest else f"the message of {who}"
    trail = (
        audit.event(source.id, agent, f"split {what} out into {new.id}", now),
        audit.event(new.id, agent, f"split from {source.id}", now),
    )
    ports.edits.split(source, message, new, now, _terms([message], new), trail)
    _move(ports, source, new, rest, now)
    _announce_split(ports, source, agent, keys, new.id)
    return ports.queue.load(new.id)[0] if rest else new  # its counts as the moves left them


def _resume(
    ports: DeskPorts, source: Ticket, agent: str, keys: list[str], left: list[StoredMessage]
) -> Ticket:
    """A split asked again after its first step: the messages not moved yet follow the
    ticket it made (the number the request is pinned to); MessageNotFound for any key in
    neither ticket. Only looked up, never drawn: a request naming a message that is not
    there must not spend a ticket number before it is refused."""
    new_id = ports.tickets.pinned_ticket_id(_pin(source.id, keys))
    new = ports.tickets.get_ticket(new_id) if new_id else None
    ours = new is not None and new.related_ticket == source.id
    moved = {m.key for m in ports.tickets.messages(new.id)} if new is not None and ours else set()
    missing = sorted(set(keys) - moved - {m.key for m in left})
    if new is None or missing:
        raise MessageNotFound(f"{source.id} has no message {', '.join(missing)}")
    _move(ports, source, new, left, ports.now())
    _announce_split(ports, source, agent, keys, new.id)
    return ports.queue.load(new.id)[0]


def _announce_split(ports: DeskPorts, source: Ticket, agent: str, keys: list[str], new_id: str) -> None:
    ports.events.publish_event(
        EventKind.SPLIT, source.id, {"by": agent, "message": keys[0], "messages": keys, "into": new_id}
    )
    ports.events.publish_event(EventKind.CREATED, new_id, {"by": agent, "split_from": source.id})


def _pin(source_id: str, keys: list[str]) -> str:
    """What the new ticket's number is pinned to: the source and the messages asked for,
    in any order (a retried split gets the same number)."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
    return f"split.{source_id}.{digest}"


def merge(ports: DeskPorts, ticket_id: str, agent: str, into: str) -> Ticket:
    """Move every message of `ticket_id` into `into`; the source closes with `merged_into`.

    Messages move in chunks, each one transaction; a merge that stops half way is
    finished by running it again. Mail that threads into the source while it is being
    merged is swept over after the source is closed.
    """
    if into == ticket_id:
        raise InvalidRequest("a ticket cannot be merged into itself")
    source, merged_into = ports.queue.load(ticket_id)
    if merged_into:
        raise TicketConflict(f"{source.id} was already merged into {merged_into}")
    try:
        target, target_merged = ports.queue.load(into)
    except TicketNotFound as exc:
        raise InvalidRequest(f"there is no ticket {into} to merge into") from exc
    if target_merged:
        raise TicketConflict(f"{target.id} was itself merged into {target_merged}")
    if target.mailbox != source.mailbox:
        raise TicketConflict(f"{source.id} and {target.id} belong to different mailboxes")
    now = ports.now()
    moved = _move_all(ports, source, target, now)
    trail = (audit.event(target.id, agent, f"merged {source.id} into this ticket", now),)
    ports.edits.close_merged(source, target, now, trail)
    moved += _move_all(ports, source, target, now)
    ports.events.publish_event(
        EventKind.MERGED, source.id, {"by": agent, "into": target.id, "messages": moved}
    )
    return ports.queue.load(target.id)[0]


def _move_all(ports: DeskPorts, source: Ticket, target: Ticket, now: str) -> int:
    messages = ports.tickets.messages(source.id)
    _move(ports, source, target, messages, now)
    return len(messages)


def _move(ports: DeskPorts, source: Ticket, target: Ticket, messages: list[StoredMessage], now: str) -> None:
    """Move `messages` in chunks of one transaction each; the customer's words are indexed
    under `target` first, so a move that stops half way leaves them findable there."""
    chunk = ports.edits.merge_chunk
    for start in range(0, len(messages), chunk):
        moving = messages[start : start + chunk]
        ports.edits.merge_messages(source, target, moving, now, _terms(moving, target))


def _terms(messages: Sequence[StoredMessage], target: Ticket) -> tuple[str, ...]:
    """The search terms of the customers' messages among `messages`, as `target`'s."""
    found = (
        stored_message_terms(replace(m, ticket_id=target.id))
        for m in messages
        if m.direction == Direction.INBOUND and m.sender
    )
    return tuple(dict.fromkeys(term for terms in found for term in terms))
