"""Turning a parsed mail into a stored message: attachments to S3, bodies rendered."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import IO, Protocol, runtime_checkable

from chalicelib.domain import attachment_rules
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ParsedMail
from chalicelib.domain.tickets import Body, StoredAttachment


class AttachmentSink(Protocol):
    def put_attachment(
        self, key: str, payload: bytes | IO[bytes], content_type: str, filename: str
    ) -> None: ...

    def put_body(self, key: str, body: dict[str, str]) -> None: ...


@runtime_checkable
class SpooledFile(Protocol):
    """A large attachment decoded into a file, not memory (adapters/mail/mime_stream.py)."""

    sha256: str
    head: bytes  # the first bytes, for sniffing

    def open(self) -> IO[bytes]: ...


@frozen
class Renderers:
    sanitise_html: Callable[[str], str]
    latest_reply: Callable[[str], str]
    html_text: Callable[[str], str]  # the text view of HTML-only mail


def attachment_key(ticket_id: str, message_key: str, index: int, safe: str) -> str:
    return f"attachments/{ticket_id}/{message_key}/{index}-{safe}"


def store_attachments(
    sink: AttachmentSink, mail: ParsedMail, ticket_id: str, message_key: str
) -> tuple[StoredAttachment, ...]:
    """Every attachment to S3 under a deterministic key (a retry overwrites, never doubles)."""
    stored = []
    for index, attachment in enumerate(mail.attachments, start=1):
        declared = (attachment.content_type or "application/octet-stream").lower()
        safe = attachment_rules.safe_name(attachment.filename, f"attachment-{index}")
        key = attachment_key(ticket_id, message_key, index, safe)
        if isinstance(attachment, SpooledFile):  # never read whole into memory
            sink.put_attachment(key, attachment.open(), declared, attachment.filename)
            head, sha256 = attachment.head, attachment.sha256
        else:
            sink.put_attachment(key, attachment.payload, declared, attachment.filename)
            head, sha256 = attachment.payload, hashlib.sha256(attachment.payload).hexdigest()
        sniffed = attachment_rules.sniff(head, declared)
        stored.append(
            StoredAttachment(
                index=index,
                filename=attachment.filename,
                safe_name=safe,
                key=key,
                declared_type=declared,
                sniffed_type=sniffed,
                size=attachment.size,
                sha256=sha256,
                risky=attachment_rules.is_risky(attachment.filename, declared, sniffed),
                inline=attachment.inline,
                content_id=attachment.content_id,
            )
        )
    return tuple(stored)


def render_body(
    sink: AttachmentSink,
    renderers: Renderers,
    mail: ParsedMail,
    ticket_id: str,
    message_key: str,
    inline_limit: int,
) -> Body:
    """Text, sanitised HTML and the new reply text; large bodies move to S3 whole.

    Nothing is truncated: when the three forms together exceed what a DynamoDB
    item should hold, all of them go to `bodies/...` and the item keeps a pointer
    and a short preview.
    """
    text = mail.text or (renderers.html_text(mail.html) if mail.html else "")
    html = renderers.sanitise_html(mail.html) if mail.html else ""
    reply = renderers.latest_reply(text) if text else ""
    size = len(json.dumps([text, html, reply], ensure_ascii=False).encode("utf-8"))
    if size <= inline_limit:
        return Body(text=text, html=html, reply_text=reply)
    pointer = f"bodies/{ticket_id}/{message_key}.json"
    sink.put_body(pointer, {"text": text, "html": html, "reply_text": reply})
    preview = reply[:2000] if reply else text[:2000]
    return Body(text=text[:2000], html="", reply_text=preview, pointer=pointer)
