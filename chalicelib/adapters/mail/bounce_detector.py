"""Recognise bounces, delay warnings and complaints in a received mail.

The only module that imports flufl.bounce. Three readings, in this order:

1. ARF feedback reports (RFC 5965, `multipart/report; report-type=feedback-report`)
   are complaints: the recipient asked never to get our mail again.
2. Our own reading of RFC 3464 delivery status notifications: every
   `message/delivery-status` part outside attached messages, one record per
   recipient (Original-Recipient / Final-Recipient, Action, Status).
3. flufl.bounce's detectors for the non-standard bounces MTAs still send
   (qmail, Exim without DSN, "The following addresses had permanent fatal
   errors", ...). They read every body line with regular expressions, which is
   slow on large mail and finds "recipients" in ordinary replies that quote a To
   list, so they run only on mail that `looks_like_bounce`, and the two
   line-pattern detectors only when their start lines occur (`_flufl_scan`).

Parts inside an attached message (message/rfc822) are never read by 1 and 2: a
customer forwarding us the bounce they got is a customer, not a bounce.

Each report also names the Message-IDs it is about (`_referenced_ids`): the returned
message or headers (RFC 3464 §2, RFC 5965 §2 put them in the third part), the
report's own In-Reply-To and References, and, for bounces that paste the original
into their text, its `Message-ID:` lines. Anyone can write a report; only these ids
can show that it is about a message we sent (services/feedback.py checks them).
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import replace
from email.message import Message
from email.parser import HeaderParser

from flufl.bounce import _scan as flufl_scan  # private: see _flufl_scan
from flufl.bounce import all_failures
from flufl.bounce._detectors.simplematch import SimpleMatch

from chalicelib.domain.classify_types import BounceReport
from chalicelib.domain.mail import ParsedMail

log = logging.getLogger(__name__)

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

_FIELD_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{1,40}):[ \t]*(.*)$")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_ADDRESS = re.compile(r"[^\s<>()\[\]\",;:]+@[^\s<>()\",;:]+")
_VALID_ADDRESS = re.compile(r"^[\w!#$%&'*+/=?^`{|}~.-]+@([\w-]+(\.[\w-]+)*\.[\w-]{2,}|\[[0-9a-f.:]+\])$")
_DAEMON_LOCAL = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster"})
# Characters outside ASCII that a case-insensitive pattern matches to an ASCII letter
# although `str.lower` does not make them that letter: İ ı ſ K (checked in a unit test).
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
_PLAIN = frozenset(string.ascii_letters + string.digits + " :,'-_")
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
    permanent, transient, statuses = _read_delivery_status(parts, _DSN_TYPES)
    source = "delivery status notification (RFC 3464)"
    plausible = looks_like_bounce(mail)
    if not permanent and not transient and plausible:
        # RFC 3464 fields pasted into the text part (Amazon WorkMail, broken MIME).
        permanent, transient, statuses = _read_delivery_status(parts, ("text/plain",))
    if not permanent and not transient and plausible and mail.raw_size <= FLUFL_MAX_BYTES:
        transient, permanent = _flufl_failures(message)
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
                text = _text(part)[:_TEXT_SCAN_BYTES]
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


def _read_delivery_status(
    parts: list[tuple[Message, str]], content_types: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """Permanent and transient recipients of every RFC 3464 record, and their statuses."""
    permanent: list[str] = []
    transient: list[str] = []
    statuses: list[str] = []
    for part, content_type in parts:
        if content_type not in content_types:
            continue
        for record in _records(_fields(part)):
            outcome, status = _outcome(record)
            address = _address(record.get("original-recipient", "")) or _address(
                record.get("final-recipient", "")
            )
            if not outcome or not address:
                continue
            (permanent if outcome == "permanent" else transient).append(address)
            statuses.append(status)
    return _unique(permanent), _unique(transient), statuses


def _outcome(record: dict[str, str]) -> tuple[str, str]:
    """("permanent" | "transient" | "", status code) for one recipient record."""
    action = record.get("action", "").strip().lower()
    found = _STATUS.search(record.get("status", ""))
    status = found.group(0) if found else ""
    # SendGrid writes the non-standard "Action: expired" (retries ran out).
    if action.startswith(("delayed", "expired")):
        return "transient", status
    # opensmtpd writes the non-standard "Action: error". Without a status,
    # "failed" is permanent (RFC 3464 §2.3.3); 4.x.x means the MTA gave up on a
    # transient condition.
    if action.startswith(("fail", "error")):
        return ("transient" if status.startswith("4") else "permanent"), status
    if not action and status[:1] in ("4", "5"):  # Action missing: trust the status
        return ("permanent" if status.startswith("5") else "transient"), status
    return "", status  # delivered, relayed, expanded


def _fields(part: Message) -> Iterator[tuple[str, str] | None]:
    """Header fields of a report part in order; None between blocks.

    The stdlib parses message/delivery-status into one Message per block. A
    block whose folding is broken ends its headers early and keeps the rest as
    body text, which is read leniently too. Some Postfix relays base64-encode
    the per-recipient blocks and announce it in the block before.
    """
    payload = _payload(part)
    if not isinstance(payload, list):
        yield from _text_fields(_text(part))
        return
    encoding = ""
    for block in payload:
        if not isinstance(block, Message):
            continue
        yield from ((name.lower(), str(value)) for name, value in block.items())
        body = _payload(block)
        if isinstance(body, str) and body.strip():
            yield from _text_fields(
                _unbase64(body) if encoding == "base64" and not block.keys() else _text(block)
            )
        encoding = str(block.get("content-transfer-encoding", "")).strip().lower()
        yield None


def _payload(part: Message) -> object:
    """`get_payload()`, which decodes 8-bit text with the declared charset and raises when
    that codec cannot (idna, punycode); then the bytes are read as UTF-8."""
    try:
        return part.get_payload()
    except (LookupError, UnicodeError, ValueError):
        raw = part.get_payload(decode=True)
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""


def _unbase64(text: str) -> str:
    try:
        return base64.b64decode(text).decode("utf-8", "replace")
    except ValueError:  # binascii.Error, or non-ASCII text
        return text


def _text_fields(text: str) -> Iterator[tuple[str, str] | None]:
    """Fields written as "Name: value" lines of free text; None at blank lines."""
    for line in text.splitlines():
        found = _FIELD_LINE.match(line)
        if found:
            yield found.group(1).lower(), found.group(2).strip()
        elif not line.strip():
            yield None


def _text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def _records(fields: Iterable[tuple[str, str] | None]) -> list[dict[str, str]]:
    """Group fields into per-recipient records, also when blank lines are missing."""
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for field in fields:
        if field is None or (
            field[0] in ("final-recipient", "original-recipient")
            and (field[0] in current or (field[0] == "original-recipient" and "final-recipient" in current))
        ):
            if current:
                records.append(current)
            current = {}
        if field is not None:
            current.setdefault(field[0], field[1])
    if current:
        records.append(current)
    return [r for r in records if "final-recipient" in r or "original-recipient" in r]


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
                _address(v) for name, v in filter(None, _fields(part)) if name == "original-rcpt-to"
            ]
    if not any(recipients):
        for part, content_type in parts:
            headers = _embedded_headers(part, content_type)
            if headers is not None:
                recipients += [_address(v) for v in headers.get_all("to", [])]
    return BounceReport(_unique(recipients), True, COMPLAINT_REASON)


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


def _flufl_failures(message: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(transient, permanent) recipients from flufl.bounce's heuristic detectors."""
    try:
        temporary, permanent = _flufl_scan(message)
    except (IndexError, AttributeError, LookupError, UnicodeError, ValueError):
        # Known flufl.bounce 6.0 faults on malformed mail: the Yale detector
        # indexes an empty getaddresses() when From is missing, the Sina detector
        # calls .lower() on the Header object compat32 returns for a non-ASCII From,
        # and detectors that read text parts through the stdlib's get_payload()
        # raise on a declared charset it cannot decode with (unknown, "idna",
        # which refuses errors="replace", or a name holding a NUL).
        return (), ()
    except Exception:
        # Boundary: flufl.bounce is third-party heuristics run over hostile
        # input. Anything else it raises must not lose the mail; the RFC 3464
        # reading (empty here, or we would not have called it) stands.
        log.warning("flufl.bounce failed on a message", exc_info=True)
        return (), ()
    return _unique(a.decode("ascii", "replace") for a in temporary), _unique(
        a.decode("ascii", "replace") for a in permanent
    )


def _flufl_scan(message: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """flufl.bounce's `all_failures`, without the line patterns that cannot start.

    SimpleMatch and SimpleWarning try 48 sets of line patterns in turn, each
    set over every body line: three quarters of flufl.bounce's time on the
    shared corpus. A set finds nothing unless its start pattern matches a line,
    so each detector gets only the sets whose start pattern does (`_live_sets`),
    in their order, and is skipped when none does. The rest is `all_failures`
    as flufl.bounce 6.0.0 (pinned) writes it: the same detectors in the same
    order, stopping at the first that finds anyone. Its detector list is
    private; should it move, the whole `all_failures` runs.
    """
    detectors = getattr(flufl_scan, "_DETECTORS", None)
    if not isinstance(detectors, list):
        return all_failures(message)
    body: tuple[str | None, str | None] | None = None  # read when a detector needs it
    temporary: set[bytes] = set()
    permanent: set[bytes] = set()
    for detector_class in detectors:
        detector = detector_class()
        starts = _start_patterns(detector_class)
        if starts:
            text, lowered = body = body or _body_text(message)
            if text is not None:
                detector.PATTERNS = _live_sets(starts, text, lowered)
                if not detector.PATTERNS:
                    continue
        found_temporary, found_permanent = detector.process(message)
        temporary.update(found_temporary)
        permanent.update(found_permanent)
        if found_temporary or found_permanent:
            break
    return frozenset(temporary), frozenset(permanent)


_Start = tuple[str, re.Pattern[str], tuple[re.Pattern[str], ...]]


def _live_sets(
    starts: tuple[_Start, ...], text: str, lowered: str | None
) -> list[tuple[re.Pattern[str], ...]]:
    """The pattern sets whose start pattern matches a line of `text`, in their order.

    Searched whole, with ^ and $ at line ends, a pattern finds every line a
    line-by-line search does. Case-insensitive searches cost about 15 ns per
    character each, so a pattern is searched only when the literal every match
    of it begins with occurs in the lower-cased text. That test is exact unless
    the text holds one of the four characters that such a pattern matches to an
    ASCII letter and `str.lower` does not (then `lowered` is None).
    """
    return [
        patterns
        for literal, pattern, patterns in starts
        if (lowered is None or literal in lowered) and pattern.search(text)
    ]


@functools.cache
def _start_patterns(detector: type) -> tuple[_Start, ...]:
    """For a SimpleMatch-style detector, each pattern set with its start pattern made
    for a whole-text search and that pattern's `_required_literal`; () for the others."""
    if not (isinstance(detector, type) and issubclass(detector, SimpleMatch)):
        return ()
    return tuple(
        (
            _required_literal(patterns[0]),
            re.compile(patterns[0].pattern, patterns[0].flags | re.MULTILINE),
            patterns,
        )
        for patterns in detector.PATTERNS
    )


def _required_literal(pattern: re.Pattern[str]) -> str:
    """The plain text every match of a case-insensitive pattern begins with, lower-cased;
    "" when that is not certain (no IGNORECASE, verbose, an alternation, a leading
    metacharacter)."""
    source = pattern.pattern.removeprefix("^")
    if not pattern.flags & re.IGNORECASE or pattern.flags & re.VERBOSE or "|" in source:
        return ""
    end = next((i for i, char in enumerate(source) if char not in _PLAIN), len(source))
    if source[end : end + 1] in ("*", "+", "?", "{"):  # quantifies the last plain character
        end -= 1
    return source[: max(end, 0)].lower()


def _body_text(message: Message) -> tuple[str | None, str | None]:
    """The payloads flufl.bounce reads line by line (`body_line_iterator`), joined, and
    lower-cased (None when `_FOLDS_TO_ASCII` makes that unsafe); (None, None) when reading
    them fails, so that every detector runs and meets the fault as `all_failures` would
    (it raises into `_flufl_failures`' boundary)."""
    try:
        text = "\n".join(p for part in message.walk() if isinstance(p := part.get_payload(), str))
    except Exception:  # noqa: BLE001 - not skipping is always correct, only slower
        return None, None
    return text, None if _FOLDS_TO_ASCII.search(text) else text.lower()


def _address(value: str) -> str:
    """The address in a DSN/ARF field ("rfc822; <a@b.example>"), lower-cased, or ""."""
    _kind, separator, rest = value.partition(";")
    found = _ADDRESS.search(rest if separator else value)
    if not found:
        return ""
    address = found.group(0).strip(".'").lower()
    return address if _VALID_ADDRESS.match(address) else ""


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    """Valid addresses, lower-cased, first occurrence kept."""
    return tuple(dict.fromkeys(a for a in map(_address, addresses) if a))


def _reason(source: str, action: str, statuses: list[str], status_class: str) -> str:
    status = next((s for s in statuses if s.startswith(status_class)), "")
    return f"{source}: {action} {status}".rstrip()
