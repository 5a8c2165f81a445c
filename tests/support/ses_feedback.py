"""SES event-publishing records as the feedback queue receives them (bounce, complaint, send)."""

from __future__ import annotations

import json
from datetime import UTC, datetime


def iso(moment: datetime | None = None) -> str:
    """An SES timestamp; now when not given (so that a day's counters are today's)."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def bounce_note(
    *recipients: str,
    bounce_type: str = "Permanent",
    subtype: str = "General",
    feedback_id: str = "fb-1",
    at: datetime | None = None,
    shape: str = "notificationType",
) -> str:
    return json.dumps(
        {
            shape: "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": subtype,
                "bouncedRecipients": [
                    {
                        "emailAddress": r,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 unknown",
                    }
                    for r in recipients
                ],
                "timestamp": iso(at),
                "feedbackId": feedback_id,
            },
            "mail": {
                "messageId": f"ses-{feedback_id}",
                "timestamp": iso(at),
                "destination": list(recipients),
            },
        }
    )


def complaint_note(*recipients: str, feedback_id: str = "c-1", at: datetime | None = None) -> str:
    return json.dumps(
        {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": r} for r in recipients],
                "timestamp": iso(at),
                "feedbackId": feedback_id,
                "complaintFeedbackType": "abuse",
            },
            "mail": {"messageId": f"ses-{feedback_id}", "timestamp": iso(at)},
        }
    )


def send_note(message_id: str, *recipients: str, at: datetime | None = None) -> str:
    return json.dumps(
        {
            "eventType": "Send",
            "mail": {"messageId": message_id, "timestamp": iso(at), "destination": list(recipients)},
            "send": {},
        }
    )


def today(svc) -> dict:
    return svc.suppression.reputation()["days"][0]


def engagement_note(
    kind: str,
    message_id: str,
    recipient: str,
    announcement: str = "",
    at: str = "2026-12-01T10:00:00.000Z",
    link: str = "https://status.example.com/",
) -> str:
    """SES's Open or Click event (event publishing) for one recipient of `message_id`;
    `announcement` is the X-Inbound-Announcement header the mail carried ("" for none)."""
    part: dict = {"timestamp": at, "ipAddress": "192.0.2.1", "userAgent": "Mail/1.0"}
    if kind == "Click":
        part.update(link=link, linkTags={})
    headers = [{"name": "X-Inbound-Announcement", "value": announcement}] if announcement else []
    return json.dumps(
        {
            "eventType": kind,
            "mail": {
                "messageId": message_id,
                "timestamp": at,
                "destination": [recipient],
                "headers": headers,
            },
            kind.lower(): part,
        }
    )
