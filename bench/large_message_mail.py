"""The large-message benchmark's mail: one 40 MB message (a text part and a 29 MB attachment
of seeded random bytes, base64 in 76-column CRLF lines), a small warm-up mail, and the SES
"Received" notification of each."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from dataclasses import dataclass

SEED = 40
ATTACHMENT_BYTES = 29 * 2**20  # base64 with CRLF lines: 41.6 MB of mail, under SES's 40 MiB
_BOUNDARY = b"===============bench-large-message=="


@dataclass(frozen=True)
class LargeMail:
    body: bytes  # everything after the headers that vary per run
    payload_sha256: str
    payload_size: int
    base64_start: int  # offsets of the attachment's base64 within `body`
    base64_end: int

    def raw(self, number: int) -> bytes:
        """The message with a Message-ID of its own (same length for every number)."""
        return _headers(number) + self.body

    def offsets(self) -> tuple[int, int]:
        head = len(_headers(0))
        return head + self.base64_start, head + self.base64_end


def _headers(number: int) -> bytes:
    return (
        b"Return-Path: <alice@customer.org>\r\n"
        b"From: Alice Example <alice@customer.org>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: The disk image you asked for\r\n"
        b"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
        b"Message-ID: <large-%06d@customer.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="%s"\r\n'
        b"\r\n" % (number, _BOUNDARY)
    )


def large_mail(size: int = ATTACHMENT_BYTES, seed: int = SEED) -> LargeMail:
    """A text part and one attachment of seeded random bytes, base64 in 76-column CRLF lines."""
    payload = random.Random(seed).randbytes(size)
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    text_part = (
        b"--%s\r\n"
        b'Content-Type: text/plain; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: 7bit\r\n"
        b"\r\n"
        b"Hello, the disk image from the failing laptop is attached.\r\n"
        b"\r\n"
        b"Alice\r\n" % _BOUNDARY
    )
    file_head = (
        b"--%s\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="laptop-disk.img"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n" % _BOUNDARY
    )
    start = len(text_part) + len(file_head)
    body = text_part + file_head + encoded + b"--%s--\r\n" % _BOUNDARY
    return LargeMail(body, hashlib.sha256(payload).hexdigest(), size, start, start + len(encoded))


def small_mail(number: int) -> bytes:
    return (
        b"From: Bob Example <bob@customer.org>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: Warm-up\r\n"
        b"Date: Fri, 27 Nov 2026 09:00:00 +0000\r\n"
        b"Message-ID: <warm-%06d@customer.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Just warming up.\r\n" % number
    )


def notification(ses_id: str, bucket: str) -> str:
    """The SES "Received" notification of an S3 action, as raw SQS delivery carries it."""
    passed = {"status": "PASS"}
    return json.dumps(
        {
            "notificationType": "Received",
            "receipt": {
                "timestamp": "2026-11-27T10:00:01.000Z",
                "recipients": ["support@example.com"],
                **{f"{v}Verdict": passed for v in ("spam", "virus", "spf", "dkim", "dmarc")},
                "action": {"type": "S3", "bucketName": bucket, "objectKey": f"incoming/{ses_id}"},
            },
            "mail": {"timestamp": "2026-11-27T10:00:01.000Z", "messageId": ses_id},
        }
    )
