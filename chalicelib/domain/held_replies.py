"""Undo-send: a reply the console sends is held for a few seconds before it leaves.

Standard library only. The reply is stored as a held reply (`waiting`) and a queue message
is delayed by the same few seconds (SQS DelaySeconds, at most 15 minutes); when it arrives,
the sender moves the reply `waiting` -> `sending` and sends it; the agent's Undo moves it
`waiting` -> `cancelled`. Both moves are one conditional write on the same item, so exactly
one of them happens: an undo that wins means the reply is never sent, an undo that loses
is answered "already sent". A send that fails before SES took it puts the reply back to
`waiting` for the queue's retry; one the guard or the thread refuses ends `refused` with
the reason (the console shows it).
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.frozen import frozen

SQS_MAX_DELAY_SECONDS = 900
# A held reply is kept this long after it was written (DynamoDB TTL), whatever became of it.
KEEP_SECONDS = 86_400
# A held reply is one DynamoDB item (400 KB at most, attribute names and the rest included).
MAX_HELD_BYTES = 300_000


class HeldState(StrEnum):
    WAITING = "waiting"  # within its undo window, or back after a failed attempt
    SENDING = "sending"  # claimed by the sender: no undo any more
    SENT = "sent"
    CANCELLED = "cancelled"  # undone: never sent
    REFUSED = "refused"  # the guard or the thread refused it when its time came


@frozen
class HeldReply:
    """What the reply route was given, as it will be sent (signature and markdown applied)."""

    ticket_id: str
    hold_id: str
    agent: str
    text: str
    html: str = ""
    display_name: str = ""
    uploads: tuple[str, ...] = ()
    last_seen: str = ""
    held_at: str = ""
    send_at: str = ""
    state: HeldState = HeldState.WAITING
    reason: str = ""  # why it was refused, in the server's English
    # The refusal's stable code (the API's `error`: a RefusalReason, "stale", "merged"...)
    # and the values its sentence names, so the console can say it in the agent's
    # language; empty on records written before codes were kept (their text is shown).
    reason_code: str = ""
    reason_values: tuple[tuple[str, str], ...] = ()
    message_key: str = ""  # the sent message, once sent


def send_delay(seconds: int) -> int:
    """The undo window a setting asks for, within what SQS can delay (0: none)."""
    return max(0, min(SQS_MAX_DELAY_SECONDS, seconds))
