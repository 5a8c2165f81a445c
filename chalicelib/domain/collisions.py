"""Two agents, one ticket: what a reply must not go out without having seen.

A reply carries the key of the last message its agent saw. Mail from the customer after
it, or a colleague's reply after it, means the answer was written against an old thread:
the reply is refused, to be reviewed and sent again. So does a colleague solving or closing
the ticket after it: sent again, the reply reopens the ticket (services/outbound.py). Notes,
acknowledgements, automatic replies, other edits and the agent's own do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain.audit import status_set
from chalicelib.domain.tickets import DONE_STATUSES, Direction, MessageKind, StoredMessage


def unseen(messages: Sequence[StoredMessage], last_seen: str, agent: str) -> tuple[StoredMessage, ...] | None:
    """What came after `last_seen` that `agent` must read first (thread order); None when
    `last_seen` is no message of the thread (moved away by a split or a merge)."""
    keys = [m.key for m in messages]
    if last_seen not in keys:
        return None
    later = messages[keys.index(last_seen) + 1 :]
    return tuple(m for m in later if _matters(m, agent))


def _matters(message: StoredMessage, agent: str) -> bool:
    if message.direction == Direction.INBOUND:
        return message.kind == MessageKind.CUSTOMER
    if message.sender_name == agent:
        return False
    return message.kind == MessageKind.STAFF or status_set(message) in DONE_STATUSES


def done_by_colleague(newer: tuple[StoredMessage, ...] | None) -> StoredMessage | None:
    """The last solving or closing a colleague did, when that is all that came after the
    reply's last message: nothing new to read, only a decision the reply would undo."""
    if not newer or any(not status_set(m) for m in newer):
        return None
    return newer[-1]


def stale_reason(newer: tuple[StoredMessage, ...] | None, now: datetime) -> str:
    """One line for the agent: who wrote, how long ago, and what to do."""
    if newer is None:
        return "the thread changed (a message was moved) — review and send again"
    done = done_by_colleague(newer)
    if done is not None:
        ago = _ago(now, done.received_at)
        # "solved" and "closed" are the verbs too
        return f"{done.sender_name} {status_set(done)} the ticket {ago} — send again to reopen it"
    last = next(m for m in reversed(newer) if not status_set(m))
    ago = _ago(now, last.received_at)
    if last.direction == Direction.INBOUND:
        return f"{last.sender or 'the customer'} wrote again {ago} — review and send again"
    return f"a colleague ({last.sender_name}) replied {ago} — review and send again"


def sending_reason(colleague: str) -> str:
    """The line for a Send pressed while a colleague's reply to the same thread was going out."""
    return f"a colleague ({colleague}) is sending a reply right now — review and send again"


def _ago(now: datetime, stamp: str) -> str:
    try:
        seconds = max(0, int((now - datetime.fromisoformat(stamp)).total_seconds()))
    except ValueError:
        return "just now"
    if seconds < 5:
        return "just now"
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"
