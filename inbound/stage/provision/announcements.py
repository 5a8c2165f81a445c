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

from inbound.stage.documents import ANNOUNCE_ROLE, SEND_FUNCTION_TIMEOUT
from inbound.stage.provision.context import Context
from inbound.stage.provision.messaging import delete_queues, ensure_worker_queue
from inbound.stage.provision.ses import delete_configuration_set, ensure_configuration_set
from inbound.stage.ses_documents import announcement_configuration_set


def ensure_announcements(
    ctx: Context, feedback_topic_arn: str, function_timeout: int = SEND_FUNCTION_TIMEOUT
) -> dict[str, str]:
    ensure_configuration_set(ctx, feedback_topic_arn, announcement_configuration_set(ctx.names))
    return {
        "INBOUND_ANNOUNCEMENT_CONFIGURATION_SET": announcement_configuration_set(ctx.names),
        **ensure_worker_queue(ctx, ANNOUNCE_ROLE, function_timeout),
    }


def delete_announcements(ctx: Context) -> None:
    delete_configuration_set(ctx, announcement_configuration_set(ctx.names))
    delete_queues(ctx, (ANNOUNCE_ROLE,))
