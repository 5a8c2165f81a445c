"""Raw mail for the reader's unit tests (tests/unit/test_mail_reader*.py): header lines and a
body, multipart trees and their parts, LF line endings, and the check that whatever the
reader returns is valid Unicode, as staff are shown it."""

from __future__ import annotations

import json

from chalicelib.domain.mail import ParsedMail

PDF = b"%PDF-1.4\n\x00\xff\xfe binary \r\n\x80 bytes"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def mail(*lines: str | bytes, body: bytes = b"") -> bytes:
    """Raw mail from header lines (str or bytes) and a body, LF line endings."""
    head = b"\n".join(x.encode() if isinstance(x, str) else x for x in lines)
    return head + b"\n\n" + body


def multipart(*parts: bytes, subtype: str = "mixed", boundary: str = "b1", head: tuple = ()) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\n" + p + b"\n" for p in parts)
    return mail(
        "From: Alice <alice@customer.org>",
        "Subject: parts",
        *head,
        "MIME-Version: 1.0",
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"',
        body=body + b"--" + boundary.encode() + b"--\n",
    )


def part(content_type: str, body: bytes, *headers: str | bytes) -> bytes:
    return mail(f"Content-Type: {content_type}", *headers, body=body)


def valid_unicode(parsed: ParsedMail) -> None:
    defects = [str(d) for d in parsed.defects]  # as stored and shown
    json.dumps([parsed.subject, parsed.text, parsed.html, parsed.headers, defects], ensure_ascii=False)
    for text in (parsed.subject, parsed.text, parsed.html, *defects):
        text.encode("utf-8")
