"""The outbox queue (`<prefix>-outbox` + `-dlq`): undo-send's delayed sends.

A reply the console sends with its undo window is held in the tickets table and a message
naming it is sent here with DelaySeconds (chalicelib/services/held_replies.py); the
`send_reply` function receives it when the window has passed and sends the reply unless
it was undone. Only the API function sends to it. A message that keeps failing (the
function retries a send SES did not take) ends in the dead-letter queue, whose alarm
(alarms.py) says so; the held reply then stays `waiting` in the table.
"""

from __future__ import annotations

from inbound.stage.documents import OUTBOX_ROLE, REPLY_FUNCTION_TIMEOUT
from inbound.stage.provision.context import Context
from inbound.stage.provision.messaging import delete_queues, ensure_worker_queue


def ensure_outbox(ctx: Context, function_timeout: int = REPLY_FUNCTION_TIMEOUT) -> dict[str, str]:
    return ensure_worker_queue(ctx, OUTBOX_ROLE, function_timeout)


def delete_outbox(ctx: Context) -> None:
    delete_queues(ctx, (OUTBOX_ROLE,))
