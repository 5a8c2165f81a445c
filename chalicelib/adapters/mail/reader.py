"""Raw mail in, `ParsedMail` out: the one module that talks to mail-parser.

The bytes are parsed once, by the stdlib parser exactly as mail-parser's own
`from_bytes` does, and that tree is handed to `mailparser.MailParser`. From
mail-parser the adapter keeps its UTC date and its defect report; bodies,
files and headers are read from the same tree by `mime_walk`, because
mail-parser's attachment dicts carry no link to their MIME part (no origin,
base64 text left undecoded), invent random names, and its header dict loses
the order of repeated headers.

Malformed mail is normal mail: `read_mail` never raises. If mail-parser
fails on the tree (it does on some lost boundaries and on deep nesting) the
stdlib tree is read alone; if the bytes cannot be parsed as MIME the headers
are read alone; if even that fails the bytes become the text. Each step down
is a `parser-fallback` defect.

Mail saved with old-Mac CR-only line endings is read with LF endings: the
stdlib splits header lines on a lone CR already, but quoted-printable and
uuencode decoding only know LF and CRLF. Mail with any LF is left alone.

What becomes DynamoDB keys and items is bounded (chalicelib/domain/mail.py):
Message-IDs over 900 bytes and addresses over 254 are left out, a Subject is cut
to 100 KB, display names to 256 characters, an address header to 100 mailboxes.

Large mail (SES accepts 40 MB) is read by `mime_stream` first: the stdlib parses
the message with its long base64 attachment bodies cut out, and those are decoded
into temporary files, so no copy of a large attachment is held in memory. Where
that reading could differ from the in-memory one it gives up, and the message is
read as above.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

import mailparser

from chalicelib.adapters.mail import mime_stream, parameter_headers
from chalicelib.adapters.mail.charsets import decode_text, decode_words, header_text, unescape
from chalicelib.adapters.mail.mime_parser import message_from_bytes
from chalicelib.adapters.mail.mime_walk import PART_ERRORS, content_type_of, walk_parts
from chalicelib.domain.mail import (
    MAX_ADDRESSES,
    MAX_NAME_CHARS,
    MAX_SUBJECT_BYTES,
    Address,
    Defect,
    DefectKind,
    ParsedMail,
    cut,
    parse_addresses,
)

# mail-parser logs, at WARNING and ERROR, each body part and header value it
# could not decode, quoting the mail; this adapter decodes those itself and
# reports them as defects, so the log would only repeat senders' text.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

_MSG_ID = re.compile(r"<([^<>]*)>")
# mail-parser runs CPython's email.header.decode_header on every top-level header and on each
# part's file name, and that function takes time quadratic in the encoded words of one value
# (it pops the front of a list per word): a Subject of 50,000 `=?utf-8?q?a?=` (700 KB) cost
# 6 s of CPU, 300,000 (4 MB, well inside SES's 40 MB) more than the ingest Lambda's 120 s,
# so each delivery timed out with its batch. charsets.decode_words reads them in linear
# time; a mail with more than this many in one header value is read without mail-parser.
_MAX_ENCODED_WORDS = 1_000
_MAX_ID_BYTES = 900
_ADDRESS_FIELDS = {"from": "from_", "reply-to": "reply_to", "to": "to", "cc": "cc"}


def read_mail(raw: bytes, stream_from: int = mime_stream.STREAM_MIN_BYTES) -> ParsedMail:
    """Parse one raw message; never raises, whatever the bytes.

    Base64 attachment bodies of `stream_from` bytes or more are decoded into temporary
    files (`mime_stream.SpooledAttachment`) rather than memory.
    """
    raw = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    parsed, cut = parameter_headers.bounded(_lf_endings(raw))
    if cut:  # parsed from a copy with its overlong parameter headers cut
        mail = _read(parsed, stream_from)
        return replace(mail, raw_size=len(raw), defects=mail.defects + cut)
    return _read(raw, stream_from)


def _read(raw: bytes, stream_from: int) -> ParsedMail:
    large = _read_large(raw, stream_from)
    if large is not None:
        return large
    defects: list[Defect] = []
    try:
        message = message_from_bytes(_lf_endings(raw))
        date = _read_with_mailparser(message, defects)
        return _assemble(message, raw, date, defects)
    except Exception as exc:  # noqa: BLE001 - the outermost guard: mail never raises
        defects.append(_fallback("MIME parse", exc))
    try:
        return _headers_only(raw, defects)
    except Exception as exc:  # noqa: BLE001 - same guard, one step further down
        defects.append(_fallback("header parse", exc))
    return ParsedMail(
        text=raw.decode("utf-8", "replace"),
        lossy_decoding=True,
        raw_size=len(raw),
        defects=tuple(defects),
    )


def _read_large(raw: bytes, stream_from: int) -> ParsedMail | None:
    """The mail with its large base64 files spooled; None when it has none or they cannot be."""
    try:
        large = mime_stream.find_large_parts(raw, stream_from)
        if large is None:
            return None
        # Runs are only found in mail with LF endings, which `_lf_endings` leaves alone.
        message = message_from_bytes(large.stripped())
        defects: list[Defect] = []
        date = _read_with_mailparser(message, defects)
        mail = _assemble(message, raw, date, defects, large)
        large.check_all_claimed()
        return mail
    except (mime_stream.NotStreamable, OSError, RecursionError, *PART_ERRORS):
        return None  # read in memory: the reference reading, with its own fallbacks


def _lf_endings(raw: bytes) -> bytes:
    return raw.replace(b"\r", b"\n") if b"\r" in raw and b"\n" not in raw else raw


def _read_with_mailparser(message: Message, defects: list[Defect]) -> datetime | None:
    """The date, with mail-parser's defects added to `defects`; stdlib's date if it fails,
    or if a header holds more encoded words than mail-parser's decoding can take."""
    heavy = _encoded_word_heavy(message)
    if heavy:
        defects.append(Defect(DefectKind.PARSER_FALLBACK, f"mail-parser skipped: {heavy}"))
        return _date(message)
    try:
        parser = mailparser.MailParser(message)
    except Exception as exc:  # noqa: BLE001 - a mail-parser bug must not cost the message
        defects.append(_fallback("mail-parser", exc))
        return _date(message)
    reported = (Defect.parse(text) for entry in parser.defects for texts in entry.values() for text in texts)
    # Body charset recovery is reported by the walk, which decodes the body we keep.
    defects.extend(d for d in reported if d.kind != DefectKind.CHARSET_DECODE)
    date = parser.date
    if isinstance(date, datetime) and date.tzinfo is None:
        return date.replace(tzinfo=UTC)  # mail-parser gives naive UTC
    return date if isinstance(date, datetime) else None


def _encoded_word_heavy(message: Message) -> str:
    """Which header holds more than _MAX_ENCODED_WORDS encoded words ("" when none does),
    in any part: walked with a list, since Message.walk recurses once per nesting level."""
    parts = [message]
    while parts:
        part = parts.pop()
        for name, value in part.raw_items():
            words = str(value).count("=?")
            if words > _MAX_ENCODED_WORDS:
                return f"a {_printable(unescape(name).strip()[:40])} header holds {words} encoded words"
        # is_multipart() before get_payload(): on a leaf part holding 8-bit text, compat32's
        # get_payload() decodes it with the declared charset, and the idna and punycode
        # codecs raise even with errors="replace" (a multipart's payload is its list as is).
        if part.is_multipart():
            parts.extend(p for p in part.get_payload() if isinstance(p, Message))
    return ""


def _headers_only(raw: bytes, defects: list[Defect]) -> ParsedMail:
    message = BytesParser(policy=compat32).parsebytes(_lf_endings(raw), headersonly=True)
    body = str(message.get_payload()).encode("utf-8", "surrogateescape")
    fields = _header_fields(message, defects)
    return ParsedMail(
        **fields,
        date=_date(message),
        text=decode_text(body, None)[0].replace("\r\n", "\n"),
        content_type=content_type_of(message),
        part_types=(content_type_of(message),),
        defects=tuple(defects),
        lossy_decoding=True,
        raw_size=len(raw),
        message=message,
    )


def _assemble(
    message: Message,
    raw: bytes,
    date: datetime | None,
    defects: list[Defect],
    large: mime_stream.LargeParts | None = None,
) -> ParsedMail:
    content = walk_parts(message, large)
    fields = _header_fields(message, defects)
    return ParsedMail(
        **fields,
        date=date,
        text="\n".join(content.text),
        html="\n".join(content.html),
        attachments=tuple(content.attachments),
        content_type=content_type_of(message),
        part_types=tuple(content.part_types),
        defects=tuple(dict.fromkeys(Defect(d.kind, _printable(d.detail)) for d in defects + content.defects)),
        lossy_decoding=content.lossy,
        raw_size=len(raw),
        message=message,
    )


def _header_fields(message: Message, defects: list[Defect]) -> dict:
    """Subject, addresses, ids and the decoded header list of a message's top level."""
    raw_items = [(unescape(k).strip().lower(), v) for k, v in message.raw_items()]
    headers = tuple((name, header_text(value)) for name, value in raw_items)

    def plain(name: str) -> list[str]:  # unfolded and 8-bit decoded, RFC 2047 left alone
        return [unescape(v).replace("\r", "").replace("\n", "").strip() for k, v in raw_items if k == name]

    fields: dict = {attr: _addresses(plain(name), name, defects) for name, attr in _ADDRESS_FIELDS.items()}
    message_ids = _ids(" ".join(plain("message-id")[:1]))
    subject = next((v for k, v in headers if k == "subject"), "")
    encoded = subject.encode("utf-8", "replace")
    if len(encoded) > MAX_SUBJECT_BYTES:
        defects.append(
            Defect(DefectKind.HEADER_TOO_LONG, f"Subject of {len(encoded)} bytes cut to {MAX_SUBJECT_BYTES}")
        )
        subject = encoded[:MAX_SUBJECT_BYTES].decode("utf-8", "ignore")
    return fields | {
        "subject": subject,
        "message_id": message_ids[0] if message_ids else "",
        "in_reply_to": _ids(" ".join(plain("in-reply-to"))),
        "references": _ids(" ".join(plain("references"))),
        "headers": headers,
    }


def _addresses(values: list[str], name: str, defects: list[Defect]) -> tuple[Address, ...]:
    """Mailboxes as written, never read out of RFC 2047 encoded words: section 5 forbids one in
    an addr-spec, so no DMARC checker decodes one to find the From domain, and a mailbox only
    the decoding shows (`=?utf-8?q?alice=40customer.org?= <@evil.test>`) is not the one SES
    judged. Names are decoded after the split, so an encoded comma splits nothing."""
    try:
        found = parse_addresses(*values)
    except (RecursionError, *PART_ERRORS) as exc:
        # The stdlib address parser recurses once per word; read each item alone.
        defects.append(
            Defect(DefectKind.ADDRESS_HEADER, _printable(f"{name} read item by item ({exc!r:.60})"))
        )
        items = [item for value in values for item in value.split(",")]
        found = tuple({a.email: a for item in items for a in _item_addresses(item)}.values())
    if len(found) > MAX_ADDRESSES:
        defects.append(
            Defect(
                DefectKind.ADDRESS_HEADER,
                f"{name} names {len(found)} mailboxes; kept the first {MAX_ADDRESSES}",
            )
        )
    return tuple(
        Address(email=a.email, name=cut(decode_words(a.name).strip(), MAX_NAME_CHARS))
        for a in found[:MAX_ADDRESSES]
    )


def _item_addresses(item: str) -> tuple[Address, ...]:
    try:
        return parse_addresses(item)
    except (RecursionError, *PART_ERRORS):
        return ()


def _ids(value: str) -> tuple[str, ...]:
    """`<id@host>` message ids in order, whitespace removed; bare `id@host` tolerated.

    Ids over _MAX_ID_BYTES are left out: the Message-ID index keys 900 characters
    of an id, and a longer one would be cut (two ids sharing their first 900
    characters would collide) or, in 8-bit, exceed DynamoDB's 2,048-byte key.
    """
    ids = [m for m in _MSG_ID.findall(value) if m.strip()]
    if not ids:
        ids = [t for t in re.split(r"[\s,]+", value) if "@" in t]
    found = (f"<{''.join(i.split())}>" for i in ids)
    return tuple(
        dict.fromkeys(i for i in found if len(i.encode("utf-8", "surrogateescape")) <= _MAX_ID_BYTES)
    )


def _date(message: Message) -> datetime | None:
    value = message.get("date")
    if value is None:
        return None
    try:
        date = parsedate_to_datetime(unescape(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)


def _fallback(step: str, exc: BaseException) -> Defect:
    """A step down; its rendered text is at most 300 characters, as it always was."""
    detail = _printable(f"{step} failed ({type(exc).__name__}: {exc})")
    return Defect(DefectKind.PARSER_FALLBACK, detail[: 300 - len(DefectKind.PARSER_FALLBACK) - 2])


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
