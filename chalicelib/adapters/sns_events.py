"""Ticket events on the stage's SNS topic, for integrations (chat, reporting, webhooks).

One JSON message per event, `{"kind", "ticket", "at", "detail"}` (the kinds are in
domain/ticket_events.py), with `kind` and `ticket` also as message attributes so
subscriptions can filter. Events are
notifications about changes already committed to DynamoDB (the source of truth): a
publish that fails is logged with its error code and reported as False, never
raised, so that a staff action that succeeded is not reported as failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

    from chalicelib.domain.ticket_events import EventKind

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SnsEvents:
    def __init__(self, client: "SNSClient | None", topic_arn: str, clock: Callable[[], str] = _now) -> None:
        self._sns = client
        self.topic_arn = topic_arn
        self._clock = clock

    def publish_event(self, kind: EventKind, ticket_id: str, detail: Mapping[str, Any] | None = None) -> bool:
        """Publish one event; True when SNS accepted it, False when disabled or refused."""
        if not self.topic_arn or self._sns is None:
            return False
        message = {"kind": kind, "ticket": ticket_id, "at": self._clock(), "detail": dict(detail or {})}
        try:
            self._sns.publish(
                TopicArn=self.topic_arn,
                Message=json.dumps(message, ensure_ascii=False, default=str),
                MessageAttributes={
                    "kind": {"DataType": "String", "StringValue": kind},
                    "ticket": {"DataType": "String", "StringValue": ticket_id},
                },
            )
        except ClientError as exc:
            log.error("event %s for %s not published: %s", kind, ticket_id, error_code(exc))
            return False
        except BotoCoreError as exc:
            log.error("event %s for %s not published: %s", kind, ticket_id, type(exc).__name__)
            return False
        return True
