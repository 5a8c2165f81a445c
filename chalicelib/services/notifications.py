"""Decoding queue records into `ReceivedMail`: SNS envelope or raw delivery.

SES's S3 action publishes a "Received" notification to its topic; the topic's
SQS subscription delivers it either wrapped in an SNS envelope (`Type`,
`Message` holding the JSON as a string) or, with RawMessageDelivery, as the bare
notification. The Lambda-action event shape (`Records[].ses`) is accepted too,
for replaying captured events.
"""

from __future__ import annotations

import base64
from typing import Any

from chalicelib.domain import verdicts
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ReceivedMail
from chalicelib.domain.sns_envelope import unwrap
from chalicelib.errors import BadNotification


@frozen
class Delivery:
    """A decoded notification, plus the raw MIME when SES sent it inline."""

    received: ReceivedMail
    inline_content: bytes | None = None


def _unwrap(body: Any) -> dict[str, Any]:
    note = unwrap(body)
    records = note.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict) and "ses" in records[0]:
        return dict(records[0]["ses"], notificationType="Received")
    return note


def decode(body: Any, default_bucket: str) -> Delivery:
    """The delivery a queue record announces; BadNotification when it announces none."""
    note = _unwrap(body)
    kind = str(note.get("notificationType") or note.get("eventType") or "")
    receipt = note.get("receipt")
    mail = note.get("mail")
    if not isinstance(mail, dict) or not isinstance(receipt, dict):
        raise BadNotification(f"not an SES Received notification (type {kind or 'unknown'!r})")
    if kind not in ("Received", ""):
        raise BadNotification(f"notification type {kind!r} is not handled by ingest")
    ses_id = str(mail.get("messageId") or "")
    if not ses_id or "/" in ses_id:
        raise BadNotification("notification has no usable mail.messageId")
    action = receipt.get("action") or {}
    bucket = str(action.get("bucketName") or default_bucket)
    key = str(action.get("objectKey") or f"incoming/{ses_id}")
    inline = None
    if action.get("type") == "SNS" and isinstance(note.get("content"), str):
        content = note["content"]
        inline = (
            base64.b64decode(content)
            if action.get("encoding") == "BASE64"
            else content.encode("utf-8", "surrogateescape")
        )
        key = f"incoming/{ses_id}"
    recipients = tuple(str(r) for r in receipt.get("recipients") or mail.get("destination") or ())
    received = ReceivedMail(
        ses_message_id=ses_id,
        bucket=bucket,
        key=key,
        recipients=recipients,
        verdicts=verdicts.from_notification(receipt),
        received_at=str(receipt.get("timestamp") or mail.get("timestamp") or ""),
        from_notification=True,
        envelope_from=str(mail.get("source") or ""),
    )
    return Delivery(received=received, inline_content=inline)
