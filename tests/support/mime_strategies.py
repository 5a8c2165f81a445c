"""Hypothesis strategies for hostile raw mail: generated MIME, extreme shapes and mutations.

Every strategy yields bytes as SES would store them under `incoming/`. Three
families, mixed by `any_mail()`:

- `generated_mail()`: a MIME tree built from parts that are each plausible and
  each possibly wrong: unknown or lying charsets and transfer encodings, broken
  base64 and quoted-printable, lost or mismatched boundaries, RFC 2047 and RFC
  2231 garbage, NULs, invalid UTF-8 and raw 8-bit bytes in headers and bodies,
  missing or unparseable From, delivery status reports. Message-IDs, senders and
  subject tags come from small pools, so generated mail also threads,
  duplicates and auto-replies.
- `hostile_mail()`: the extreme shapes of `HOSTILE_SHAPES` (huge headers, tens
  of thousands of header lines, deep nesting, thousands of parts, over-long ids,
  addresses and names). Hypothesis draws them at moderate sizes; each named
  extreme is a plain function (tests/support/mime_extremes.py), so a test can also
  run it once at full size.
- `mutated(base)`: byte-level damage: flips, cuts, splices, NULs and 8-bit
  bytes in the header block, boundaries changed, line endings converted. Real
  corpus files are mutated the same way (`mutated(st.sampled_from(...))`).

Pure functions and Hypothesis only: no I/O and no project imports, so a strategy
can never hide a pipeline bug by sharing its code.

Over 300 lines on purpose: generated mail and its mutations are one grammar of hostile
MIME; every draw shares the vocabulary, the small pools and the drawing helpers above
them, and apart they would be read across modules. The extreme shapes, plain functions,
are in mime_extremes.py. The composites draw through
`_pick`/`_one_in` and module-level strategies: building strategy objects per
draw made generation cost more than the pipeline it feeds.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import itertools
import quopri
from collections.abc import Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from tests.support.mime_extremes import HOSTILE_SHAPES, numbered_boundary

T = TypeVar("T")

# -- vocabulary ----------------------------------------------------------------------

CHARSETS = (
    "utf-8", "us-ascii", "iso-8859-1", "windows-1252", "iso-8859-15", "koi8-r", "shift_jis",
    "euc-jp", "iso-2022-jp", "gb2312", "gbk", "big5", "euc-kr", "utf-16", "utf-16le", "utf-32",
    "utf-7", "hz", "cp1258", "mac-roman",
    # unknown, misspelt, quoted, non-text codecs and codecs that raise odd errors
    "x-unknown", "unknown-8bit", "iso-8859-99", "uft-8", '"utf-8"', "utf-8'en'", "charset=utf-8",
    "base64", "rot13", "zlib", "hex", "idna", "punycode", "x-mac-cyrillic", "", " ", "\xff\xfe",
    "utf-8\x00", "a" * 300,
)  # fmt: skip
TRANSFER_ENCODINGS = (
    "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode", "x-uue",
    "BASE64", " Quoted-Printable ", "x-gzip", "base65", "quoted-printable; foo=bar", "", "\xe9",
)  # fmt: skip
LEAF_TYPES = (
    "text/plain", "text/html", "text/enriched", "text/calendar", "text/rfc822-headers",
    "application/pdf", "application/octet-stream", "application/ms-tnef", "image/png",
    "message/rfc822", "message/delivery-status", "message/global", "message/feedback-report",
    "message/partial", "message/external-body", "multipart/mixed", "multipart/alternative",
    "text", "garbage", "", "text/plain text/html", "x-unknown/x-thing", "TEXT/PLAIN",
    "application/x-uuencode", "text/html; charset",
)  # fmt: skip
MULTIPART_TYPES = (
    "multipart/mixed", "multipart/alternative", "multipart/related", "multipart/report",
    "multipart/signed", "multipart/digest", "multipart/x-unknown", "multipart/",
)  # fmt: skip
BOUNDARY_LAYOUTS = (
    "ok", "ok", "ok", "no_close", "bad_close", "no_param", "mismatch", "preamble", "empty", "crlf",
)  # fmt: skip
ODD_BOUNDARIES = (b"simple", b"with space", b'quo"te', b"-" * 70, b"x" * 300, b"")
DISPOSITIONS = ("attachment", "inline", "ATTACHMENT", "form-data", "garbage", "")
FILENAMES = ("a.pdf", "résumé.docx", "x.exe", "..\\..\\evil.bat", "", "a\x00b.txt")
RFC2231 = (b"utf-8''%E2%82%AC.txt", b"bogus''%ZZ", b"''", b"utf-8'en'")
# Small pools make independent messages meet: the same Message-ID is a duplicate,
# a References to a pool id may thread, a `[T-1000]` tag names an early ticket.
MESSAGE_IDS = tuple(f"<pool{n}@customer.org>" for n in range(8))
SENDERS = (
    "alice@customer.org", "Bob Example <bob@customer.org>", '"Doe, Jane" <jane@customer.org>',
    "=?utf-8?q?J=C3=BCrgen?= <juergen@customer.de>", "=?utf-8?b?!!!?= <x@customer.org>",
    '"unterminated <u@customer.org>', "group: a@customer.org, b@customer.org;", "(comment) c@customer.org",
    "alice@customer.org, bob@customer.org", "Mallory <mallory@customer.org", "support@example.com",
    "Ünïcode Nåme <uni@customer.org>",
)  # fmt: skip
# Senders no reply goes to: automatic ones, and none at all.
ODD_SENDERS = (
    "mailer-daemon@mx.customer.org", "noreply@shop.example.net", "MAILER-DAEMON <>",
    "postmaster@customer.org", "no address at all", "<>", "@", "a@", "@b",
)  # fmt: skip
RECIPIENTS = (
    "support@example.com", "billing@example.com", "SUPPORT@EXAMPLE.COM", "nobody@example.com",
    "support+T-1000.badtoken@example.com", "support+@example.com", "sales@elsewhere.org",
)  # fmt: skip
SUBJECTS = (b"Re: [T-1000] printer", b"[T-1001]", b"Out of Office: away", b"Printer on fire", b"")
HEADER_NAMES = (
    "Subject", "From", "To", "Cc", "Reply-To", "Sender", "Return-Path", "Date", "Message-ID",
    "In-Reply-To", "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    "X-Auto-Response-Suppress", "X-Failed-Recipients", "Received", "X-SES-Spam-Verdict",
    "Authentication-Results", "X-Mailer", "Delivered-To", "Content-Disposition", "Content-ID",
)  # fmt: skip
AUTOMATIC_HEADERS = (
    b"Auto-Submitted: auto-replied", b"Auto-Submitted: no", b"Precedence: bulk", b"Precedence: junk",
    b"X-Autoreply: yes", b"List-Id: <list.customer.org>", b"Return-Path: <>",
    b"X-Mailer: vacation", b"Subject: Automatic reply: away", b"X-Precedence: list",
)  # fmt: skip
DATES = (
    b"Fri, 27 Nov 2026 10:00:00 +0000", b"27 Nov 2026 10:00 GMT", b"Mon, 31 Feb 2026 25:61:61 +9999",
    b"yesterday", b"Fri, 27 Nov 99999 10:00:00 +0000", b"Fri, 27 Nov 0000 10:00:00 -2400", b"", b"\xff\xfe",
)  # fmt: skip
GARBAGE_WORDS = (
    "=?utf-8?b?!!!!?=", "=?utf-8?q?=ZZ=?=", "=?x-unknown?q?abc?=", "=?utf-8?x?abc?=", "=?=?=",
    "=?utf-8?b?", "?=", "=?utf-8*en?q?a?=", "=?iso-2022-jp?b?GyRCJCI=?=", "=?utf-16?b?2D3YPQ==?=",
    "=?utf-8?b?7aCA?=", "=?base64?b?YWJj?=", "=?utf-7?q?+AGEAYgBj-?=", "=?utf-8?q?" + "=C3" * 40 + "?=",
)  # fmt: skip
NASTY_BYTES = (
    b"\x00", b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80",
    b"\r", b"\n", b"\r\n", b"\t", b" ", b"--", b"=?", b"?=", b";", b'"', b"\\", b"<", b">", b":",
    b"\xe9", b"\x1b$B", b"\x0c",
)  # fmt: skip
SAMPLE_BODIES = (
    b"%PDF-1.4\n\x00\xff binary \x80",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"<html><body onload=alert(1)><script>x</script><p>hi</p><img src=cid:a>",
    b"<p>unclosed <b><i><table><tr><td>" * 20,
    b"\x78\x9f\x3e\x00\x00\x00",  # a TNEF signature, then nothing
    b"begin 644 x.bin\nM86)C\n`\nend\n",
    b"Final-Recipient: rfc822; lost@customer.org\nAction: failed\nStatus: 5.1.1\n",
    b"> quoted\n> reply\n-- \nsignature\n",
)


class RawMail(bytes):
    """Raw mail whose repr stays readable in Hypothesis's report of a failing case, and
    which names the mutations that damaged it (the fuzz tests count the kinds they reached)."""

    mutations: tuple[str, ...] = ()

    def __repr__(self) -> str:
        if len(self) <= 2_000:
            return f"RawMail({bytes(self)!r})"
        digest = hashlib.sha256(self).hexdigest()[:16]
        return f"RawMail(<{len(self)} bytes, sha256 {digest}...>, head={bytes(self[:300])!r})"


# Fresh Message-IDs come from a counter, not from Hypothesis: its integers lean to
# small values, so drawn "fresh" ids kept colliding into duplicates.
_fresh_ids = itertools.count(1)

# -- drawing helpers ------------------------------------------------------------------


@functools.cache
def _below(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, max(n - 1, 0))


def _pick(draw: Any, options: Sequence[T]) -> T:
    """One of `options`; shrinks towards the first, as `sampled_from` does."""
    return options[draw(_below(len(options)))]


def _one_in(draw: Any, n: int) -> bool:
    """True about once in `n`. Hypothesis favours the ends of a range, so not at an end;
    shrinking (towards 0) then leads away from the rare case."""
    return draw(_below(n)) == (n - 1) // 2


_printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
_unicode = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_short_bytes = st.binary(max_size=60)
_header_name = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters=":"), min_size=1, max_size=30
)


@st.composite
def encoded_word(draw: Any) -> str:
    """A valid RFC 2047 encoded word of random text, in a charset that can hold it."""
    text = draw(_unicode)
    charset = _pick(draw, ("utf-8", "iso-8859-1", "koi8-r", "shift_jis", "utf-16"))
    data = text.encode(charset, "replace")
    if _one_in(draw, 2):
        return f"=?{charset}?b?{base64.b64encode(data).decode()}?="
    return f"=?{charset}?q?{binascii.b2a_qp(data, header=True).decode()}?="


_words = st.lists(st.one_of(encoded_word(), st.sampled_from(GARBAGE_WORDS), _printable), max_size=5)
header_value = st.one_of(
    _printable.map(str.encode),
    _unicode.map(lambda text: text.encode("utf-8")),  # raw 8-bit UTF-8 in a header
    _short_bytes,  # NULs, invalid UTF-8, bare CR and LF
    _words.map(lambda words: " ".join(words).encode()),
    st.lists(st.sampled_from(NASTY_BYTES), max_size=8).map(b"".join),
)


def _header_line(draw: Any) -> bytes:
    """One header line, possibly folded, possibly with a name or separator no parser expects."""
    name = (_pick(draw, HEADER_NAMES) if _one_in(draw, 2) else draw(_header_name)).encode()
    value = draw(header_value)
    if _one_in(draw, 5):
        value += b"\n\t" + draw(header_value)  # folded
    return name + _pick(draw, (b": ", b":", b" : ", b"", b":\t")) + value


def _address_header(draw: Any, name: bytes) -> bytes:
    choice = draw(_below(9))  # the ends, which Hypothesis favours, are ordinary senders
    if choice == 2:
        value = b", ".join(_pick(draw, SENDERS).encode() for _ in range(1 + draw(_below(6))))
    elif choice == 3:
        value = _pick(draw, ODD_SENDERS).encode()
    elif choice == 4:
        value = draw(header_value)
    else:
        value = _pick(draw, SENDERS).encode()
    return name + b": " + value


# -- bodies and transfer encodings ---------------------------------------------------

_body = st.one_of(
    _unicode.map(lambda text: text.encode("utf-8")),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.sampled_from(SAMPLE_BODIES),
)


def _uuencode(data: bytes, name: bytes) -> bytes:
    lines = [binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45)]
    return b"begin 644 " + name + b"\n" + b"".join(lines) + b"`\nend\n"


def _transfer_encoded(draw: Any, data: bytes) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding value, body): correctly encoded, or lying about it."""
    cte = _pick(draw, TRANSFER_ENCODINGS)
    kind = cte.strip().lower().split(";")[0]
    honest = not _one_in(draw, 4)
    if kind == "base64":
        body = base64.encodebytes(data)
        if not honest:
            body = _pick(draw, (body[:-3], b"!!!" + body, body.replace(b"\n", b""), b"=" * 5, b"QQ"))
    elif kind == "quoted-printable":
        body = quopri.encodestring(data)
        if not honest:
            body += _pick(draw, (b"=", b"=Z", b"=\r", b"=C3", b"=="))
    elif kind in ("x-uuencode", "uuencode", "x-uue"):
        body = _uuencode(data, b"file.bin") if honest else b"begin 644 x\n" + data + b"\n"
    else:
        body = data
    return cte.encode("utf-8", "surrogateescape"), body


def _file_param(draw: Any) -> bytes:
    """A file name parameter: plain, quoted, RFC 2047 in quotes, RFC 2231 (possibly broken)."""
    name = _pick(draw, FILENAMES).encode()
    choice = draw(_below(6))
    if choice == 0:
        return b"filename=" + name
    if choice == 1:
        return b'filename="' + name + b'"'
    if choice == 2:
        return b'filename="' + _pick(draw, GARBAGE_WORDS).encode() + b'"'
    if choice == 3:
        return b"filename*=" + _pick(draw, RFC2231)
    if choice == 4:
        return b"filename*0*=utf-8''%E2%82; filename*1*=%AC; filename*3=gap"
    return draw(header_value)


def _leaf(draw: Any) -> bytes:
    """A leaf MIME entity: headers, blank line, body."""
    ctype = _pick(draw, LEAF_TYPES).encode()
    charset = _pick(draw, CHARSETS)
    data = draw(_body)
    if ctype.startswith(b"text/") and _one_in(draw, 2):
        # Honest text in its declared charset, when that codec exists and can.
        with contextlib.suppress(LookupError, ValueError, UnicodeError, TypeError):
            data = data.decode("utf-8", "replace").encode(charset, "replace")
    if ctype == b"message/rfc822" and _one_in(draw, 2):
        data = b"From: inner@customer.org\nSubject: inner\n\n" + data
    cte, body = _transfer_encoded(draw, data)
    content_type = b"Content-Type: " + ctype
    if _one_in(draw, 2):
        content_type += b"; charset=" + charset.encode("utf-8", "surrogateescape")
    lines = [content_type]
    if _one_in(draw, 2):
        lines.append(b"Content-Transfer-Encoding: " + cte)
    if _one_in(draw, 3):
        lines.append(
            b"Content-Disposition: " + _pick(draw, DISPOSITIONS).encode() + b"; " + _file_param(draw)
        )
    if _one_in(draw, 5):
        lines.append(b"Content-ID: <" + draw(_printable).encode() + b">")
    if _one_in(draw, 7):
        lines.append(_header_line(draw))
    return b"\n".join(lines) + b"\n\n" + body


def _multipart(draw: Any, children: list[bytes], depth: int) -> bytes:
    """A multipart around `children`, its boundary handled correctly or broken on purpose."""
    boundary = numbered_boundary(depth) if _one_in(draw, 2) else _pick(draw, ODD_BOUNDARIES)
    layout = _pick(draw, BOUNDARY_LAYOUTS)
    declared = boundary + b"x" if layout == "mismatch" else boundary
    ctype = _pick(draw, MULTIPART_TYPES).encode()
    head = b"Content-Type: " + ctype
    if layout != "no_param":
        head += b'; boundary="' + declared + b'"'
    if ctype == b"multipart/report":
        head += b"; report-type=" + _pick(draw, (b"delivery-status", b"disposition-notification", b"x"))
    parts = [] if layout == "empty" else children
    body = b"".join(b"--" + boundary + b"\n" + child + b"\n" for child in parts)
    if layout == "preamble":
        body = b"A preamble with --" + boundary + b" inside\n" + body
    if layout != "no_close":
        body += b"--" + boundary + (b"-" if layout == "bad_close" else b"--") + b"\n"
    if layout == "preamble":
        body += b"epilogue \x00\xff\n"
    entity = head + b"\n\n" + body
    return entity.replace(b"\n", b"\r\n") if layout == "crlf" else entity


def _tree(draw: Any, depth: int = 0) -> bytes:
    """A leaf, or (up to 3 levels deep) a multipart of 0-3 subtrees."""
    if depth >= 3 or draw(_below(depth + 2)) > 0:
        return _leaf(draw)
    return _multipart(draw, [_tree(draw, depth + 1) for _ in range(draw(_below(4)))], depth)


def _dsn(draw: Any) -> bytes:
    """A delivery status notification (RFC 3464) about random, sometimes nonsense, recipients."""
    recipients = [
        _pick(draw, (b"lost@customer.org", b"jane@customer.org", b"<>", b"", b"rfc822;"))
        if _one_in(draw, 2)
        else draw(header_value)
        for _ in range(1 + draw(_below(4)))
    ]
    status = _pick(draw, (b"5.1.1", b"4.2.2", b"2.0.0", b"9.9.9", b""))
    fields = b"".join(
        b"\nFinal-Recipient: rfc822; " + r + b"\nAction: failed\nStatus: " + status + b"\n"
        for r in recipients
    )
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.customer.org>\n"
        b"To: support@example.com\nSubject: Undelivered Mail Returned to Sender\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="d"\n\n'
        b"--d\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        b"--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.customer.org\n"
        + fields
        + b"--d\nContent-Type: text/rfc822-headers\n\nFrom: support@example.com\nSubject: Re: [T-1000]\n"
        + b"--d--\n"
    )


def _message(draw: Any) -> bytes:
    if _one_in(draw, 10):
        return _dsn(draw)
    lines: list[bytes] = []
    # Threads: a first message with a pool Message-ID, then a reply naming pool ids, both
    # mostly from alice. The ends of the range, which Hypothesis favours, are new threads.
    role = _pick(draw, ("new", "first", "reply", "odd id", "new", "new"))
    if role in ("first", "reply") and not _one_in(draw, 4):
        lines.append(b"From: Alice <alice@customer.org>")
    elif not _one_in(draw, 10):  # one in ten has no From
        lines.append(_address_header(draw, b"From"))
    if _one_in(draw, 2):
        lines.append(_address_header(draw, b"To"))
    if _one_in(draw, 4):
        lines.append(_address_header(draw, _pick(draw, (b"Cc", b"Reply-To", b"Sender", b"Return-Path"))))
    if not _one_in(draw, 5):
        subject = _pick(draw, SUBJECTS) if _one_in(draw, 3) else draw(header_value)
        lines.append(b"Subject: " + subject)
    if _one_in(draw, 2):
        lines.append(b"Date: " + _pick(draw, DATES))
    if role == "first":
        lines.append(b"Message-ID: " + _pick(draw, MESSAGE_IDS).encode())
    elif role == "odd id":
        lines.append(b"Message-ID: " + draw(header_value))
    else:
        lines.append(b"Message-ID: <%d.fresh@customer.org>" % next(_fresh_ids))
    if role == "reply":
        ids = b" ".join(_pick(draw, MESSAGE_IDS).encode() for _ in range(1 + draw(_below(3))))
        lines.append(_pick(draw, (b"In-Reply-To: ", b"References: ")) + ids)
    if _one_in(draw, 8):
        lines.append(_pick(draw, AUTOMATIC_HEADERS))
    lines += [_header_line(draw) for _ in range(draw(_below(4)))]
    if _one_in(draw, 2):
        lines.append(b"MIME-Version: 1.0")
    if _one_in(draw, 3):  # header order is not a promise either
        lines.reverse()
    return b"\n".join(lines) + (b"\n" if lines else b"") + _tree(draw)


@st.composite
def generated_mail(draw: Any) -> bytes:
    """A whole message: a header block from pools and garbage, then a MIME tree (or a DSN)."""
    return _message(draw)


@st.composite
def hostile_mail(draw: Any) -> bytes:
    """One of the extreme shapes at a moderate size (the full sizes are for explicit tests)."""
    builder, kinds, sizes, _ = HOSTILE_SHAPES[_pick(draw, sorted(HOSTILE_SHAPES))]
    return builder(_pick(draw, sizes), _pick(draw, kinds))


# -- mutations ---------------------------------------------------------------------

MUTATIONS = (
    "flip", "insert", "delete", "duplicate", "truncate", "newlines", "boundary", "header_bytes",
    "splice", "blank_line", "drop_line",
)  # fmt: skip


def _header_end(raw: bytes) -> int:
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0]
    return min(ends) if ends else len(raw)


def _mutate(draw: Any, raw: bytes, op: str) -> bytes:
    """One damaging edit of `raw`, of the kind `op`."""
    at = draw(_below(len(raw) + 1))
    if op == "flip" and raw:
        at = min(at, len(raw) - 1)
        return raw[:at] + bytes([draw(_below(256))]) + raw[at + 1 :]
    if op == "insert":
        return raw[:at] + (_pick(draw, NASTY_BYTES) if _one_in(draw, 2) else draw(_short_bytes)) + raw[at:]
    if op == "delete":
        return raw[:at] + raw[at + 1 + draw(_below(64)) :]
    if op == "duplicate":
        return raw[:at] + raw[at : at + 1 + draw(_below(4096))] + raw[at:]
    if op == "truncate":
        return raw[:at]
    if op == "newlines":
        plain = raw.replace(b"\r\n", b"\n")
        return _pick(draw, (plain.replace(b"\n", b"\r\n"), plain.replace(b"\n", b"\r"), plain))
    if op == "boundary":
        found = raw.find(b"boundary=")
        if found >= 0:
            cut = found + len(b"boundary=") + draw(_below(12))
            return raw[:cut] + _pick(draw, (b"", b"X", b'"', b" ", b"\x00")) + raw[cut + 1 :]
        dash = raw.find(b"\n--", at)
        return raw if dash < 0 else raw[: dash + 3] + b"broken" + raw[dash + 3 :]
    if op == "header_bytes":
        at = min(at, _header_end(raw))
        return (
            raw[:at] + _pick(draw, (b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xe9t\xe9", b"\x80\x81")) + raw[at:]
        )
    if op == "splice":
        return raw[:at] + _message(draw) + raw[at:]
    if op == "blank_line":
        return raw[:at] + b"\n\n" + raw[at:]
    if op == "drop_line":
        start, end = raw.rfind(b"\n", 0, at) + 1, raw.find(b"\n", at)
        return raw[:start] + (raw[end + 1 :] if end >= 0 else b"")
    return raw


def mutated(base: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """`base`, damaged by one to six mutations."""

    @st.composite
    def damaged(draw: Any) -> bytes:
        raw = draw(base)
        ops = []
        for _ in range(1 + draw(_below(6))):
            ops.append(_pick(draw, MUTATIONS))
            raw = _mutate(draw, raw, ops[-1])
        damaged_mail = RawMail(raw)
        damaged_mail.mutations = tuple(ops)
        return damaged_mail

    return damaged()


FAMILIES = ("generated", "mutated", "bytes", "hostile")  # what any_mail draws


@st.composite
def any_mail(draw: Any) -> tuple[str, bytes]:
    """(family, raw): half generated, a third damaged, some plain bytes, one in twenty-five extreme."""
    roll = draw(_below(25))
    if roll == 0:
        family, raw = "hostile", draw(hostile_mail())
    elif roll <= 2:
        family, raw = "bytes", draw(st.binary(max_size=500))
    elif roll <= 10:
        family, raw = "mutated", draw(mutated(generated_mail()))
    else:
        family, raw = "generated", _message(draw)
    return family, raw if isinstance(raw, RawMail) else RawMail(raw)
