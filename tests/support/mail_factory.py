"""Mail the tests write themselves, and SES notifications that announce it."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

_ids = itertools.count(1)


def make_mail(
    subject: str = "Printer on fire",
    sender: str = "Alice Example <alice@customer.org>",
    to: str = "support@example.com",
    body: str = "Hello, my printer is on fire.",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    headers: dict[str, str] | None = None,
    cc: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="customer.org")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, payload in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def ses_id() -> str:
    return f"sesmsg{next(_ids):06d}test"


def received_notification(
    message_id: str,
    bucket: str,
    recipients: tuple[str, ...] = ("support@example.com",),
    spam: str = "PASS",
    virus: str = "PASS",
    dmarc: str = "PASS",
    timestamp: str = "2026-11-27T10:00:01.000Z",
    spf: str = "PASS",
    dkim: str = "PASS",
    source: str = "alice@customer.org",
) -> str:
    """The SES "Received" notification of an S3 action, as raw SQS delivery carries it."""
    return json.dumps(
        {
            "notificationType": "Received",
            "receipt": {
                "timestamp": timestamp,
                "processingTimeMillis": 120,
                "recipients": list(recipients),
                "spamVerdict": {"status": spam},
                "virusVerdict": {"status": virus},
                "spfVerdict": {"status": spf},
                "dkimVerdict": {"status": dkim},
                "dmarcVerdict": {"status": dmarc},
                "action": {
                    "type": "S3",
                    "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound-received",
                    "bucketName": bucket,
                    "objectKey": f"incoming/{message_id}",
                },
            },
            "mail": {
                "timestamp": timestamp,
                "source": source,
                "messageId": message_id,
                "destination": list(recipients),
                "headersTruncated": False,
                "headers": [],
                "commonHeaders": {},
            },
        }
    )


def stored_by_ses(raw: bytes, domain: str = "customer.org", dmarc: str = "pass") -> bytes:
    """`raw` as SES stores it in S3: its verdict headers prepended (what the sweeper and replay
    read when no notification came). SES writes these above everything the sender wrote."""
    head = (
        f"Return-Path: <alice@{domain}>\r\n"
        "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
        f"Received-SPF: pass (spfCheck: domain of {domain} designates 192.0.2.1 as permitted sender)"
        f" client-ip=192.0.2.1; envelope-from=alice@{domain}; helo=mail.{domain};\r\n"
        f"Authentication-Results: amazonses.com; spf=pass (spfCheck: domain of {domain} designates"
        f" 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=alice@{domain};"
        f" helo=mail.{domain}; dkim=pass header.i=@{domain}; dmarc={dmarc} header.from={domain};\r\n"
    )
    return head.encode() + raw


def without_message_id(raw: bytes) -> bytes:
    """`raw` with its Message-ID header left out (RFC 5322 makes it optional: a SHOULD)."""
    head, _, body = raw.partition(b"\n\n")
    kept = [line for line in head.split(b"\n") if not line.lower().startswith(b"message-id:")]
    return b"\n".join(kept) + b"\n\n" + body
