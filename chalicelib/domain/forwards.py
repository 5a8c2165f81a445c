"""Forwarding a message, or a whole ticket, to someone outside it (engineering@, a vendor).

Standard library only. A forward is a new mail to one address, with the agent's note on
top and the forwarded mail below in the words mail clients use ("---------- Forwarded
message ---------"); a ticket's forward holds every mail of its thread, oldest first.
Internal notes, the audit trail and our automatic acknowledgements are never forwarded:
they are staff-only or say nothing. The forward is recorded in the thread as one audit
line (who, to whom, what, the note), which the console and `inbound tickets show` print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chalicelib.domain.tickets import MessageKind, StoredMessage

# What a forward may carry of a thread: mail that was written (received or sent), not notes.
FORWARDED_KINDS = frozenset({MessageKind.CUSTOMER, MessageKind.STAFF, MessageKind.AUTO_REPLY})
MAX_NOTE_CHARS = 5000
_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|wg|tr)\s*:", re.IGNORECASE)


def forwardable(messages: Sequence[StoredMessage]) -> list[StoredMessage]:
    return [m for m in messages if m.kind in FORWARDED_KINDS]


def subject(original: str, ticket_id: str) -> str:
    """`Fwd: <subject> [T-1042]`, one line (a decoded subject may hold line breaks)."""
    text = " ".join((original or "").split()) or "(no subject)"
    if not _FORWARD_PREFIX.match(text):
        text = f"Fwd: {text}"
    return text if f"[{ticket_id}]" in text else f"{text} [{ticket_id}]"


def _header_block(m: StoredMessage, body: str) -> str:
    sender = f"{m.sender_name} <{m.sender}>" if m.sender_name and m.sender_name != m.sender else m.sender
    lines = [
        "---------- Forwarded message ---------",
        f"From: {sender}",
        f"Date: {m.date or m.received_at}",
        f"Subject: {m.subject}",
    ]
    if m.to:
        lines.append(f"To: {', '.join(m.to)}")
    if m.cc:
        lines.append(f"Cc: {', '.join(m.cc)}")
    return "\n".join(lines) + "\n\n" + body.rstrip() + "\n"


def text(note: str, forwarded: Sequence[tuple[StoredMessage, str]], signature: str = "") -> str:
    """The forward's text: the note signed as a reply is, then each (message, its full text)."""
    own = note.strip() + ("\n\n" if note.strip() and signature.strip() else "")
    own += f"-- \n{signature.strip()}" if signature.strip() else ""
    parts = [own + "\n"] if own else []
    parts += [_header_block(m, body) for m, body in forwarded]
    return "\n".join(parts)


def audit_line(to: str, message: StoredMessage | None, note: str) -> str:
    """The thread's record of a forward: to whom, what, and the note's first words."""
    what = (
        "the ticket"
        if message is None
        else f"the message from {message.sender} of {message.received_at[:16].replace('T', ' ')}"
    )
    line = f"forwarded {what} to {to}"
    short = " ".join(note.split())
    return f"{line}: “{short[:200]}{'…' if len(short) > 200 else ''}”" if short else line
