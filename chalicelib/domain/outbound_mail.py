"""Mail the system sends, as the project's own type, and its MIME form.

Standard library only. Every header value that a user or a received mail supplied
is checked here, before `email` sees it: CR or LF in a value would let the value
start a header of its own (a Bcc, a second body), so it is refused with
`HeaderInjection` rather than folded, stripped or left to the library.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
import uuid
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime

from chalicelib.domain.correlation import subject_ticket_id
from chalicelib.domain.customer_language import Language
from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import Attachment
from chalicelib.domain.refusals import RefusalReason
from chalicelib.errors import HeaderInjection, SendRefused

# RFC 3834 §5 and [MS-OXCMAIL] 2.1.3.2.20: mark automatic mail, ask for no answers to it.
AUTOMATIC_HEADERS = (("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"))
MAX_REFERENCES = 20  # enough for any client to thread; keeps the header short
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|vs|antw|r)\s*:", re.IGNORECASE)
_LINE_BREAKS = ("\r", "\n")
# `=?charset?Q?` / `=?charset?B?` (RFC 2047 section 2; charset*language too, RFC 2231).
_ENCODED_WORD_OPENER = re.compile(r"=\?(?=[^?]*\?[bBqQ]\?)")
# CRLF line ends; non-ASCII bodies quoted-printable or base64 (SES asks for 7-bit content).
_POLICY = policy.SMTP.clone(cte_type="7bit")


@frozen
class DownloadLink:
    """An attachment too large to send, offered as a short-lived link instead."""

    filename: str
    url: str
    size: int


@frozen
class OutgoingMail:
    """One message to send: addresses bare and lower-case, bodies as text."""

    ticket_id: str
    from_address: str
    to: tuple[str, ...]
    subject: str
    text: str
    message_id: str
    from_name: str = ""
    cc: tuple[str, ...] = ()
    reply_to: str = ""
    html: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    automatic: bool = False
    attachments: tuple[Attachment, ...] = ()
    links: tuple[DownloadLink, ...] = ()
    date: datetime | None = None
    # Further headers (announcements: List-Unsubscribe and friends), checked like the rest.
    extra_headers: tuple[tuple[str, str], ...] = ()
    # The language our words are in, declared as Content-Language (RFC 3282); None: undeclared
    # (a staff reply is in whatever language the agent wrote).
    language: Language | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.to + self.cc))


def as_text(value: str) -> str:
    """`value` with every `=?` that opens an RFC 2047 encoded word broken (`= ?`).

    CPython's email package decodes an encoded word it is handed in a header value and
    writes the decoded text back unquoted (CVE-2024-6923; 3.11.7 still does): a subject
    `=?utf-8?q?x=0D=0ABcc=3A_v=40evil.test?=` became a Bcc header. The values we write
    are text (a customer's decoded subject, a display name, a file's name), never encoded
    words, so none may open one."""
    return _ENCODED_WORD_OPENER.sub("= ?", value)


def check_header(name: str, value: str) -> str:
    """`value` unchanged, or HeaderInjection when it holds a line break."""
    if any(mark in value for mark in _LINE_BREAKS):
        raise HeaderInjection(f"{name} contains a line break (CR or LF); refusing to build the mail")
    return value


def new_message_id(domain: str, ticket_id: str = "") -> str:
    """`<t-1042.3f2c…@example.com>`: unique, on our domain, so replies find the ticket."""
    prefix = f"{ticket_id.lower()}." if ticket_id else ""
    return f"<{prefix}{uuid.uuid4().hex}@{domain}>"


def tagged_subject(subject: str, ticket_id: str) -> str:
    """`subject [T-123]`, unless the subject already carries this ticket's tag."""
    subject = (subject or "").strip()
    if subject_ticket_id(subject) == ticket_id:
        return subject
    return f"{subject} [{ticket_id}]".strip() if subject else f"[{ticket_id}]"


def reply_subject(subject: str, ticket_id: str) -> str:
    """`Re: subject [T-123]`, without stacking a second "Re:".

    The customer's subject may decode to line breaks (an RFC 2047 word can carry CR/LF);
    in our Subject they become spaces, so such a ticket can still be answered and no
    second header line can come of it.
    """
    subject = " ".join((subject or "").split()) or "(no subject)"
    if not _REPLY_PREFIX.match(subject):
        subject = f"Re: {subject}"
    return tagged_subject(subject, ticket_id)


def thread_ids(ids: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The References list: distinct ids in order, the newest MAX_REFERENCES of them."""
    return tuple(dict.fromkeys(i for i in ids if i))[-MAX_REFERENCES:]


def writable(address: str) -> bool:
    """Whether `address` can be written into a header (a stored participant may not be)."""
    try:
        _address("Cc", address)
    except SendRefused:
        return False
    return True


def _address(name: str, address: str, display: str = "") -> HeaderAddress:
    check_header(name, address)
    check_header(name, display)
    try:
        parsed = HeaderAddress(display_name=display, addr_spec=address)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise SendRefused(
            f"{name} address {address!r} is not valid", RefusalReason.INVALID_ADDRESS, address
        ) from exc
    if not parsed.username or not parsed.domain or " " in address:
        raise SendRefused(f"{name} address {address!r} is not valid", RefusalReason.INVALID_ADDRESS, address)
    return parsed


def _label(filename: str) -> str:
    """A file's name as a Content-Disposition parameter: a label, so controls, line and
    paragraph separators and lone surrogates are left out rather than refusing the mail
    (RFC 2231 lets a received name carry any of them; the email package raises on some)."""
    return as_text(
        "".join(c for c in filename if unicodedata.category(c)[0] != "C" and c not in "\u2028\u2029")
    )


def _text_with_links(text: str, links: tuple[DownloadLink, ...]) -> str:
    if not links:
        return text
    lines = [f"- {link.filename} ({_size(link.size)}): {link.url}" for link in links]
    note = "Attachments too large for mail (the links expire):"
    return f"{text.rstrip()}\n\n{note}\n" + "\n".join(lines) + "\n"


def _html_with_links(html: str, links: tuple[DownloadLink, ...]) -> str:
    if not links:
        return html
    items = "".join(
        f'<li><a href="{html_lib.escape(link.url)}">{html_lib.escape(link.filename)}</a>'
        f" ({_size(link.size)})</li>"
        for link in links
    )
    return f"{html}<p>Attachments too large for mail (the links expire):</p><ul>{items}</ul>"


def text_to_html(text: str) -> str:
    """A faithful HTML part for a text-only message: escaped, line breaks kept."""
    return f'<div style="white-space: pre-wrap">{html_lib.escape(text)}</div>'


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"


def build_mime(mail: OutgoingMail) -> bytes:
    """The raw RFC 5322 message (CRLF line ends), or HeaderInjection / SendRefused."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _address("From", mail.from_address, as_text(mail.from_name))
    msg["To"] = [_address("To", a) for a in mail.to]
    if mail.cc:
        msg["Cc"] = [_address("Cc", a) for a in mail.cc]
    if mail.reply_to:
        msg["Reply-To"] = _address("Reply-To", mail.reply_to)
    msg["Subject"] = as_text(check_header("Subject", mail.subject))
    if mail.date is not None:
        msg["Date"] = format_datetime(mail.date)
    msg["Message-ID"] = check_header("Message-ID", mail.message_id)
    # A message id holding an encoded word is a customer's trick, not an id: left out.
    if mail.in_reply_to and "=?" not in mail.in_reply_to:
        msg["In-Reply-To"] = check_header("In-Reply-To", mail.in_reply_to)
    references = [check_header("References", r) for r in mail.references if "=?" not in r]
    if references:
        msg["References"] = " ".join(references)
    if mail.automatic:
        for name, value in AUTOMATIC_HEADERS:
            msg[name] = value
    for name, value in mail.extra_headers:
        msg[check_header("header name", name)] = check_header(name, value)
    msg.set_content(_text_with_links(mail.text, mail.links))
    msg.add_alternative(_html_with_links(mail.html or text_to_html(mail.text), mail.links), subtype="html")
    for attachment in mail.attachments:
        filename = _label(attachment.filename)
        maintype, _, subtype = (attachment.content_type or "application/octet-stream").partition("/")
        msg.add_attachment(
            attachment.payload,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=filename or "attachment",
        )
    if mail.language is not None:  # after the parts: setting content drops Content-* headers
        msg["Content-Language"] = Language(mail.language).value
    return msg.as_bytes()
