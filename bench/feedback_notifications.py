"""The feedback benchmark's workload: SES bounce, complaint and delivery notifications as the
feedback queue receives them, in each of three shapes (raw identity notification, raw
configuration-set event, SNS envelope), with new feedback ids and addresses per tag."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

NOTIFICATIONS = 60  # per timed pass
RECIPIENTS = (1, 1, 1, 1, 2, 2, 3, 5, 8, 13, 21, 34, 50)  # drawn per notification (mean ~10.8)
SEED = 7
SHAPES = ("identity", "event", "sns")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _bounce(bounce_type: str, subtype: str) -> Callable[[list[str], str], tuple[str, dict[str, Any]]]:
    def part(recipients: list[str], at: str) -> tuple[str, dict[str, Any]]:
        return "bounce", {
            "bounceType": bounce_type,
            "bounceSubType": subtype,
            "bouncedRecipients": [
                {
                    "emailAddress": r,
                    "action": "failed",
                    "status": "5.1.1" if bounce_type == "Permanent" else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
                for r in recipients
            ],
            "timestamp": at,
            "reportingMTA": "dsn; a1-2.smtp-out.amazonses.com",
        }

    return part


def _complaint(recipients: list[str], at: str) -> tuple[str, dict[str, Any]]:
    return "complaint", {
        "complainedRecipients": [{"emailAddress": r} for r in recipients],
        "timestamp": at,
        "complaintFeedbackType": "abuse",
        "userAgent": "Mozilla/5.0",
    }


def _delivery(recipients: list[str], at: str) -> tuple[str, dict[str, Any]]:
    return "delivery", {
        "timestamp": at,
        "processingTimeMillis": 546,
        "recipients": recipients,
        "smtpResponse": "250 ok",
        "reportingMTA": "a8-70.smtp-out.amazonses.com",
    }


# label -> (SES type name, builder of the type's part)
KINDS: dict[str, tuple[str, Callable[[list[str], str], tuple[str, dict[str, Any]]]]] = {
    "bounce, permanent": ("Bounce", _bounce("Permanent", "General")),
    "complaint": ("Complaint", _complaint),
    "delivery": ("Delivery", _delivery),
    "bounce, soft (MailboxFull)": ("Bounce", _bounce("Transient", "MailboxFull")),
    "bounce, account list": ("Bounce", _bounce("Permanent", "OnAccountSuppressionList")),
}


def notification(kind: str, shape: str, recipients: list[str], feedback_id: str, at: datetime) -> str:
    """One SES notification as the feedback queue receives it, in one of SHAPES."""
    type_name, build = KINDS[kind]
    name, part = build(recipients, _iso(at))
    if name != "delivery":
        part["feedbackId"] = feedback_id
    document = {
        "eventType" if shape == "event" else "notificationType": type_name,
        name: part,
        "mail": {
            "timestamp": _iso(at),
            "messageId": f"ses-{feedback_id}",
            "source": "support@example.com",
            "destination": recipients,
        },
    }
    body = json.dumps(document)
    if shape == "sns":
        body = json.dumps(
            {"Type": "Notification", "MessageId": f"sns-{feedback_id}", "Message": body, "TopicArn": "arn:x"}
        )
    return body


@dataclass(frozen=True)
class Note:
    kind: str
    shape: str
    recipients: int
    body: str


def workload(tag: str, count: int = NOTIFICATIONS, seed: int = SEED) -> list[Note]:
    """`count` notifications, kinds and shapes in turn, 1..50 recipients each; new ids per tag."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    kinds = list(KINDS)
    notes = []
    for n in range(count):
        kind, shape = kinds[n % len(kinds)], SHAPES[(n // len(kinds)) % len(SHAPES)]
        size = rng.choice(RECIPIENTS)
        recipients = [f"{tag}-{n}-{i}@customer.example" for i in range(size)]
        notes.append(Note(kind, shape, size, notification(kind, shape, recipients, f"{tag}-{n}", now)))
    return notes
