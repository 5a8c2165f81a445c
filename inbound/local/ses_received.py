"""What SES receiving produces for one message: its id, the headers it prepends, its notification.

The "Received" notification of an S3 action carries the mail's headers and the common
headers, not the body. SES documents that `headers` is cut when the headers are larger
than 10 KB, with `headersTruncated: true`; it documents no limit for `commonHeaders`, but
SNS refuses a message over 256 KB, so a 5 MB folded Subject or 20,000 Cc addresses could
never be published. Here the common headers are cut by the same 10 KB budget (each
address list and text value kept whole while it fits, then cut, and `headersTruncated`
set). Nothing downstream loses anything: the pipeline reads the whole raw mail from S3.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime, formataddr, getaddresses
from typing import Any

SMTP_HOST_NAME = "inbound-smtp.local"
HEADERS_NOTIFICATION_LIMIT = 10 * 1024  # SES truncates the notification's headers above 10 KB
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_message_id() -> str:
    """An SES-like receiving message id: lowercase letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(28))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    recipients: tuple[str, ...]
    helo: str = "unknown"
    peer: str = "127.0.0.1"
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def envelope_record(envelope: Envelope) -> dict[str, Any]:
    """The envelope as JSON (the journal keeps it with the raw mail)."""
    record = asdict(envelope)
    record["recipients"] = list(envelope.recipients)
    record["received_at"] = envelope.received_at.isoformat()
    return record


def envelope_from_record(record: dict[str, Any]) -> Envelope:
    return Envelope(
        mail_from=record["mail_from"],
        recipients=tuple(record["recipients"]),
        helo=record.get("helo", "unknown"),
        peer=record.get("peer", "127.0.0.1"),
        received_at=datetime.fromisoformat(record["received_at"]),
    )


def ses_headers(envelope: Envelope, message_id: str, raw: bytes) -> bytes:
    """The trace and verdict headers SES prepends (offline: no DNS, so no SPF/DKIM/DMARC)."""
    sender = envelope.mail_from or "<>"
    from_domain = _from_domain(raw) or sender.rpartition("@")[2]
    first = envelope.recipients[0] if envelope.recipients else ""
    lines = [
        f"Return-Path: <{envelope.mail_from}>",
        f"Received: from {envelope.helo} ({envelope.peer}) by {SMTP_HOST_NAME} with SMTP id {message_id}"
        f" for {first}; {format_datetime(envelope.received_at)}",
        "X-SES-Spam-Verdict: PASS",
        "X-SES-Virus-Verdict: PASS",
        f"Received-SPF: none (spfCheck: no DNS lookups on the local stack) client-ip={envelope.peer};"
        f" envelope-from={sender}; helo={envelope.helo};",
        # A DKIM-Signature, if any, stays unverified: the public key is in DNS, which the
        # local stack cannot query, so dkim=none (not fail).
        f"Authentication-Results: amazonses.com; spf=none (spfCheck: no DNS lookups on the local"
        f" stack) smtp.mailfrom={sender}; dkim=none; dmarc=none header.from={from_domain};",
    ]
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


def _headers(raw: bytes) -> Any:
    return BytesHeaderParser(policy=compat32).parsebytes(raw)


def _text(value: Any) -> str:
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _from_domain(raw: bytes) -> str:
    found = getaddresses([_text(v) for v in _headers(raw).get_all("From", [])])
    return found[0][1].rpartition("@")[2].lower() if found and found[0][1] else ""


def notification(action: dict[str, Any], envelope: Envelope, message_id: str, raw: bytes) -> dict[str, Any]:
    """SES's "Received" notification of an S3 action, as the action's topic gets it."""
    parsed = _headers(raw)
    headers, size, truncated = [], 0, False
    for name, value in parsed.items():
        size += len(name) + len(_text(value))
        if size > HEADERS_NOTIFICATION_LIMIT:
            truncated = True
            break
        headers.append({"name": name, "value": _text(value)})
    common, cut = _common_headers(parsed, envelope)
    timestamp = _iso(envelope.received_at)
    verdict_none = {"status": "GRAY"}
    return {
        "notificationType": "Received",
        "receipt": {
            "timestamp": timestamp,
            "processingTimeMillis": 1,
            "recipients": list(envelope.recipients),
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": verdict_none,
            "dkimVerdict": verdict_none,
            "dmarcVerdict": verdict_none,
            "action": {
                "type": "S3",
                "topicArn": action.get("TopicArn", ""),
                "bucketName": action["BucketName"],
                "objectKeyPrefix": action.get("ObjectKeyPrefix", ""),
                "objectKey": action.get("ObjectKeyPrefix", "") + message_id,
            },
        },
        "mail": {
            "timestamp": timestamp,
            "source": envelope.mail_from,
            "messageId": message_id,
            "destination": list(envelope.recipients),
            "headersTruncated": truncated or cut,
            "headers": headers,
            "commonHeaders": common,
        },
    }


def _address(name: str, address: str) -> str:
    try:
        return formataddr((name, address))
    except UnicodeEncodeError:  # an RFC 6531 (SMTPUTF8) address: formataddr wants ASCII
        return f"{name} <{address}>" if name else address


def _common_headers(parsed: Any, envelope: Envelope) -> tuple[dict[str, Any], bool]:
    """`commonHeaders`, within the 10 KB budget (see the module docstring); and whether cut."""
    budget = HEADERS_NOTIFICATION_LIMIT
    common: dict[str, Any] = {"returnPath": envelope.mail_from}
    cut = False
    for header, key in (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Reply-To", "replyTo")):
        kept: list[str] = []
        for pair in getaddresses([_text(v) for v in parsed.get_all(header, [])]):
            if not pair[1]:
                continue
            address = _address(*pair)
            if len(address) > budget:
                cut = True
                break
            budget -= len(address)
            kept.append(address)
        if kept:
            common[key] = kept
    for header, key in (("Date", "date"), ("Message-ID", "messageId"), ("Subject", "subject")):
        if parsed.get(header) is not None:
            value = _text(parsed.get(header))
            if len(value) > budget:
                value, cut = value[: max(budget, 0)], True
            budget -= len(value)
            common[key] = value
    return common, cut
