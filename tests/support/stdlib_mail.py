"""Raw mail read with the standard library alone (and a customer's mail built with it), for
unit tests of what reads a ParsedMail (classify, the bounce detector) without the reader's
own parsing in the way."""

from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header
from email.message import EmailMessage

from chalicelib.domain.mail import ParsedMail, parse_addresses


def parsed(raw: bytes, raw_size: int | None = None) -> ParsedMail:
    """The ParsedMail the reader would build, from the stdlib alone."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    headers = tuple((name.lower(), _decoded(value)) for name, value in message.items())
    first = dict(reversed(headers))
    return ParsedMail(
        subject=first.get("subject", ""),
        from_=parse_addresses(first.get("from", "")),
        headers=headers,
        content_type=message.get_content_type(),
        message=message,
        raw_size=len(raw) if raw_size is None else raw_size,
    )


def _decoded(value: object) -> str:
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeError, ValueError):
        return str(value)


def customer_mail(
    subject: str = "My invoice is wrong", sender: str = "Alice <alice@customer.example>", **headers: str
) -> ParsedMail:
    """A customer's mail with extra headers (underscores in names become dashes)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Hello, the amount on invoice 42 is wrong.")
    return parsed(msg.as_bytes())
