"""Recognise bounces, delay warnings and complaints in a received mail.

Three readings, in this order:

1. ARF feedback reports (RFC 5965, `multipart/report; report-type=feedback-report`)
   are complaints: the recipient asked never to get our mail again.
2. Our own reading of RFC 3464 delivery status notifications: every
   `message/delivery-status` part outside attached messages, one record per
   recipient (Original-Recipient / Final-Recipient, Action, Status; delivery_status.py).
3. flufl.bounce's detectors for the non-standard bounces MTAs still send
   (qmail, Exim without DSN, "The following addresses had permanent fatal
   errors", ...). They read every body line with regular expressions, which is
   slow on large mail and finds "recipients" in ordinary replies that quote a To
   list, so they run only on mail that `looks_like_bounce` (flufl_reading.py, the
   only module that imports flufl.bounce).

Parts inside an attached message (message/rfc822) are never read by 1 and 2: a
customer forwarding us the bounce they got is a customer, not a bounce.

Each report also names the Message-IDs it is about (`_referenced_ids`): the returned
message or headers (RFC 3464 §2, RFC 5965 §2 put them in the third part), the
report's own In-Reply-To and References, and, for bounces that paste the original
into their text, its `Message-ID:` lines. Anyone can write a report; only these ids
can show that it is about a message we sent (services/feedback.py checks them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from email.parser import HeaderParser

from chalicelib.adapters.mail.delivery_status import (
    field_address,
    part_text,
    read_delivery_status,
    report_fields,
    unique_addresses,
)
from chalicelib.adapters.mail.flufl_reading import flufl_failures
from chalicelib.domain.classify_types import BounceReport
from chalicelib.domain.mail import ParsedMail

COMPLAINT_REASON = "complaint (ARF)"
# flufl.bounce reads every body line: about 1 s per MB of mail. Bounces that
# return a whole large message are left to the RFC 3464 reading (raw_size 0,
# unknown, does not stop the scan).
FLUFL_MAX_BYTES = 1_000_000
_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")  # RFC 3464, RFC 6533
MAX_REFERENCED_IDS = 20
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,800}@[^<>\s]{1,100})>")
_MESSAGE_ID_LINE = re.compile(
    r"^message-id:[ \t]*(<[^<>\s]{1,800}@[^<>\s]{1,100}>)", re.IGNORECASE | re.MULTILINE
)
_TEXT_SCAN_BYTES = 200_000  # the pasted original's headers come first

_DAEMON_LOCAL = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster"})
_DAEMON_NAME = re.compile(
    r"mailer[-_ ]?daemon|postmaster|mail delivery|delivery (status|subsystem)"
    r"|mail administrator|mail system",
    re.IGNORECASE,
)


def detect_bounce(mail: ParsedMail) -> BounceReport | None:
    """The bounce, delay warning or complaint this mail reports, or None.

    Recipients come back lower-cased and deduplicated. When one report names
    both permanent and delayed recipients, only the permanent ones are
    returned (permanent=True): the delayed ones get their own report later.
    Never raises: malformed mail yields whatever could be read.
    """
    message = mail.message
    if message is None:
        return None
    parts = list(_own_parts(message))
    # get_param parses every parameter; most mail names no report-type at all.
    has_report_type = "report-type" in str(message.get("content-type", "")).lower()
    report_type = str(message.get_param("report-type", "")).lower() if has_report_type else ""
    if report_type == "feedback-report" or any(t == "message/feedback-report" for _, t in parts):
        return replace(_complaint(parts), message_ids=_referenced_ids(mail, parts), complaint=True)
    permanent, transient, statuses = read_delivery_status(parts, _DSN_TYPES)
    source = "delivery status notification (RFC 3464)"
    plausible = looks_like_bounce(mail)
    if not permanent and not transient and plausible:
        # RFC 3464 fields pasted into the text part (Amazon WorkMail, broken MIME).
        permanent, transient, statuses = read_delivery_status(parts, ("text/plain",))
    if not permanent and not transient and plausible and mail.raw_size <= FLUFL_MAX_BYTES:
        transient, permanent = flufl_failures(message)
        source, statuses = "non-standard bounce (flufl.bounce)", []
    if permanent:
        reason = _reason(source, "failed", statuses, "5")
        return BounceReport(permanent, True, reason, _referenced_ids(mail, parts))
    if transient:
        reason = _reason(source, "delayed", statuses, "4")
        return BounceReport(transient, False, reason, _referenced_ids(mail, parts))
    return None


def _referenced_ids(mail: ParsedMail, parts: list[tuple[Message, str]]) -> tuple[str, ...]:
    """The Message-IDs a report is about, returned headers first (see the module docstring)."""
    found: list[str] = []
    for part, content_type in parts:
        headers = _embedded_headers(part, content_type)
        if headers is not None:
            for value in headers.get_all("message-id", []):
                found += _MESSAGE_ID.findall(str(value))
    if not found:  # no returned headers as a part: perhaps pasted into the text
        for part, content_type in parts:
            if content_type == "text/plain":
                text = part_text(part)[:_TEXT_SCAN_BYTES]
                found += (i.strip("<>") for i in _MESSAGE_ID_LINE.findall(text))
    found += (i.strip("<>") for i in (*mail.in_reply_to, *mail.references))
    return tuple(dict.fromkeys(f"<{i}>" for i in found))[:MAX_REFERENCED_IDS]


def looks_like_bounce(mail: ParsedMail) -> bool:
    """Cheap header test: could this be a bounce at all? Gates the flufl.bounce scan.

    Envelope and sender only. A delivery-failure Subject was measured as a
    trigger too: on the shared corpus every bounce it caught was caught by
    Return-Path or From already, and it lets a customer's "Payment rejected"
    reach flufl.bounce's loosest patterns.
    """
    if mail.content_type.lower() == "multipart/report" or mail.has_header("x-failed-recipients"):
        return True
    for value in mail.header_values("return-path")[:1]:
        path = value.strip().strip("<>").strip().lower()
        if not path or path.partition("@")[0] in _DAEMON_LOCAL:
            return True
    for name in ("from", "sender"):
        for value in mail.header_values(name):
            if _DAEMON_NAME.search(value):
                return True
    return False


def _own_parts(message: Message) -> Iterator[tuple[Message, str]]:
    """Every part of the mail itself with its content type, not descending into attached
    messages. Each type is read once: `get_content_type` parses the header every call."""
    stack = [message]
    while stack:
        part = stack.pop()
        content_type = part.get_content_type()
        yield part, content_type
        if content_type.startswith("multipart/") and part.is_multipart():
            children = part.get_payload()
            stack.extend(reversed([c for c in children if isinstance(c, Message)]))


def _complaint(parts: list[tuple[Message, str]]) -> BounceReport:
    """An ARF report: who complained.

    Original-Rcpt-To (RFC 5965 §3.2) is the envelope recipient, the address a
    suppression list needs. Many feedback loops (Hotmail, Yahoo) leave it out;
    then the To of the returned message stands in, which is exact for the
    one-recipient mail a help desk sends. Always permanent: a complaint means
    "never again". Recipients may be empty when both are redacted.
    """
    recipients: list[str] = []
    for part, content_type in parts:
        if content_type == "message/feedback-report":
            recipients += [
                field_address(v)
                for name, v in filter(None, report_fields(part))
                if name == "original-rcpt-to"
            ]
    if not any(recipients):
        for part, content_type in parts:
            headers = _embedded_headers(part, content_type)
            if headers is not None:
                recipients += [field_address(v) for v in headers.get_all("to", [])]
    return BounceReport(unique_addresses(recipients), True, COMPLAINT_REASON)


def _embedded_headers(part: Message, content_type: str) -> Message | None:
    if content_type == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
    elif content_type == "text/rfc822-headers":
        raw = part.get_payload(decode=True)
        if isinstance(raw, bytes):
            return HeaderParser().parsestr(raw.decode("utf-8", "replace"))
    return None


def _reason(source: str, action: str, statuses: list[str], status_class: str) -> str:
    status = next((s for s in statuses if s.startswith(status_class)), "")
    return f"{source}: {action} {status}".rstrip()
