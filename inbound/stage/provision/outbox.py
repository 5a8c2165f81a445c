"""The outbox queue (`<prefix>-outbox` + `-dlq`): undo-send's delayed sends.

A reply the console sends with its undo window is held in the tickets table and a message
naming it is sent here with DelaySeconds (chalicelib/services/held_replies.py); the
`send_reply` function receives it when the window has passed and sends the reply unless
it was undone. Only the API function sends to it. A message that keeps failing (the
function retries a send SES did not take) ends in the dead-letter queue, whose alarm
(alarms.py) says so; the held reply then stays `waiting` in the table.
"""

from __future__ import annotations

import json

from inbound.stage.documents import (
    FOURTEEN_DAYS,
    MAX_RECEIVE_COUNT,
    OUTBOX_ROLE,
    REPLY_FUNCTION_TIMEOUT,
    visibility_timeout,
)
from inbound.stage.provision.context import Context
from inbound.stage.provision.messaging import _queue_url, ensure_queue
from inbound.stage.provision.report import ABSENT, DELETED


def ensure_outbox(ctx: Context, function_timeout: int = REPLY_FUNCTION_TIMEOUT) -> dict[str, str]:
    dlq_url, dlq_arn = ensure_queue(
        ctx,
        f"{OUTBOX_ROLE}-dlq",
        {"MessageRetentionPeriod": str(FOURTEEN_DAYS), "SqsManagedSseEnabled": "true"},
    )
    url, arn = ensure_queue(
        ctx,
        OUTBOX_ROLE,
        {
            "MessageRetentionPeriod": str(FOURTEEN_DAYS),
            "VisibilityTimeout": str(visibility_timeout(function_timeout)),
            "SqsManagedSseEnabled": "true",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
            ),
        },
    )
    return {
        "INBOUND_OUTBOX_QUEUE_URL": url,
        "INBOUND_OUTBOX_QUEUE_ARN": arn,
        "INBOUND_OUTBOX_DLQ_URL": dlq_url,
        "INBOUND_OUTBOX_DLQ_ARN": dlq_arn,
    }


def delete_outbox(ctx: Context) -> None:
    sqs, n = ctx.client("sqs"), ctx.names
    for role in (OUTBOX_ROLE, f"{OUTBOX_ROLE}-dlq"):
        url = _queue_url(sqs, n.queue(role))
        if url is None:
            ctx.report.add("sqs-queue", n.queue(role), ABSENT)
        else:
            sqs.delete_queue(QueueUrl=url)
            ctx.report.add("sqs-queue", n.queue(role), DELETED)
