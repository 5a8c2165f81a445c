"""Announcements' own resources: their SES configuration set and their queue of batches.

- `<prefix>-announcements`: a configuration set of its own, publishing the same event
  types to the same feedback topic as the stage's set. SES tags every event with the set's
  name (`mail.tags["ses:configuration-set"]`), so record_feedback counts announcement
  bounces and complaints apart from transactional mail's.
- `<prefix>-announce` (+ `-dlq`): batches of recipients for `send_announcement`. Only the
  operator's `inbound announce send` and the function itself (a deferred remainder) send to
  it, both under IAM; no topic feeds it, so it needs no queue policy.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from inbound.stage.documents import (
    ANNOUNCE_ROLE,
    FOURTEEN_DAYS,
    MAX_RECEIVE_COUNT,
    SEND_FUNCTION_TIMEOUT,
    announcement_configuration_set,
    visibility_timeout,
)
from inbound.stage.provision.context import Context, error_code
from inbound.stage.provision.messaging import _queue_url, ensure_queue
from inbound.stage.provision.report import ABSENT, DELETED
from inbound.stage.provision.ses import ensure_configuration_set


def ensure_announcements(
    ctx: Context, feedback_topic_arn: str, function_timeout: int = SEND_FUNCTION_TIMEOUT
) -> dict[str, str]:
    ensure_configuration_set(ctx, feedback_topic_arn, announcement_configuration_set(ctx.names))
    dlq_url, dlq_arn = ensure_queue(
        ctx,
        f"{ANNOUNCE_ROLE}-dlq",
        {"MessageRetentionPeriod": str(FOURTEEN_DAYS), "SqsManagedSseEnabled": "true"},
    )
    url, arn = ensure_queue(
        ctx,
        ANNOUNCE_ROLE,
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
        "INBOUND_ANNOUNCEMENT_CONFIGURATION_SET": announcement_configuration_set(ctx.names),
        "INBOUND_ANNOUNCE_QUEUE_URL": url,
        "INBOUND_ANNOUNCE_QUEUE_ARN": arn,
        "INBOUND_ANNOUNCE_DLQ_URL": dlq_url,
        "INBOUND_ANNOUNCE_DLQ_ARN": dlq_arn,
    }


def delete_announcements(ctx: Context) -> None:
    ses, sqs, n = ctx.client("ses"), ctx.client("sqs"), ctx.names
    name = announcement_configuration_set(ctx.names)
    try:
        ses.delete_configuration_set(ConfigurationSetName=name)
        ctx.report.add("ses-configuration-set", name, DELETED)
    except ClientError as exc:
        if error_code(exc) != "ConfigurationSetDoesNotExist":
            raise
        ctx.report.add("ses-configuration-set", name, ABSENT)
    for role in (ANNOUNCE_ROLE, f"{ANNOUNCE_ROLE}-dlq"):
        url = _queue_url(sqs, n.queue(role))
        if url is None:
            ctx.report.add("sqs-queue", n.queue(role), ABSENT)
        else:
            sqs.delete_queue(QueueUrl=url)
            ctx.report.add("sqs-queue", n.queue(role), DELETED)
