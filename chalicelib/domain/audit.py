"""The audit trail: each change to a ticket is a line in its thread, with who and when.

An event line is a StoredMessage of kind `event` (direction `internal`): never sent,
not counted as a message of the ticket, moved with the thread by a merge.
"""

from __future__ import annotations

import re
import uuid

from chalicelib.domain.tickets import Body, Direction, MessageKind, StoredMessage, ThreadSignal, Ticket

_STATUS_LINE = re.compile(r"status (\w+) → (\w+)")


def event(ticket_id: str, agent: str, text: str, at: str, seq: int = 0) -> StoredMessage:
    """One line of the trail on `ticket_id`: `agent` did `text` at `at`; `seq` orders the
    lines of one change (the thread is sorted by time, then key)."""
    return StoredMessage(
        ticket_id=ticket_id,
        key=f"event-{seq:02d}-{uuid.uuid4().hex[:24]}",
        direction=Direction.INTERNAL,
        kind=MessageKind.EVENT,
        sender=agent,
        sender_name=agent,
        to=(),
        cc=(),
        subject="",
        message_id="",
        received_at=at,
        thread_signal=ThreadSignal.STAFF,
        body=Body(text=text),
    )


def change_lines(before: Ticket, after: Ticket) -> list[str]:
    """What a staff edit changed, one line each, in the words the console shows."""
    lines = []
    if after.assignee != before.assignee:
        if not after.assignee:
            lines.append(f"unassigned (was {before.assignee})")
        elif before.assignee:
            lines.append(f"assigned to {after.assignee} (was {before.assignee})")
        else:
            lines.append(f"assigned to {after.assignee}")
    if after.mailbox != before.mailbox:
        lines.append(f"moved from {before.mailbox} to {after.mailbox}")
    if after.subject != before.subject:
        lines.append(f"subject “{before.subject}” → “{after.subject}”")
    if after.status != before.status:
        lines.append(status_line(before.status, after.status))
    if after.priority != before.priority:
        lines.append(f"priority {before.priority} → {after.priority}")
    added = sorted(set(after.tags) - set(before.tags))
    removed = sorted(set(before.tags) - set(after.tags))
    if added or removed:
        lines.append("tags " + " ".join([*(f"+{t}" for t in added), *(f"−{t}" for t in removed)]))
    return lines


def status_line(before: str, after: str) -> str:
    return f"status {before} → {after}"


def status_set(message: StoredMessage) -> str:
    """The status an event line set the ticket to ("" for any other line or message)."""
    if message.kind != MessageKind.EVENT:
        return ""
    found = _STATUS_LINE.fullmatch(message.body.text)
    return found.group(2) if found else ""


def events_of(ticket_id: str, agent: str, lines: list[str], at: str) -> tuple[StoredMessage, ...]:
    return tuple(event(ticket_id, agent, line, at, seq) for seq, line in enumerate(lines))


def counted(messages: list[StoredMessage]) -> list[StoredMessage]:
    """The messages a ticket counts: mail and notes, not its event lines."""
    return [m for m in messages if m.kind != MessageKind.EVENT]
