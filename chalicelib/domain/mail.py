"""The project's own picture of one received mail.

Everything downstream of the parser works on these types; nothing outside the
mail-parser reader (the one module that imports mail-parser) sees mail-parser's dicts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses
from enum import StrEnum

from chalicelib.domain.address_ascii import ascii_domain
from chalicelib.domain.frozen import frozen

# What one received mail can bring into a ticket. A stored message is one DynamoDB
# item (400 KB at most) and addresses become keys (2,048 bytes at most); bodies over
# the inline limit move to S3, these fields cannot. The parser cuts what is longer
# and records a defect; the archived raw mail keeps everything. Each bound alone
# keeps a message within its item; mail that reaches several at once may not.
MAX_ADDRESS_BYTES = 254  # RFC 5321 4.5.3.1.3: a longer path is no mailbox
MAX_ADDRESSES = 100  # per address header (To, Cc, ...)
MAX_SUBJECT_BYTES = 100_000  # UTF-8: a 100 KB Subject is still kept whole
MAX_NAME_CHARS = 256  # display names, file names, Content-IDs
# SES receives 40 MB, headers included, and sets no bound of its own on them; parsing a
# header block costs ~40 times its size in memory and seconds per ten MB (2.3 MB of To
# addresses: 4 s), so 40 MB of headers outlasts the ingest Lambda's time and memory and
# fails its batch on every retry. Postfix keeps 100 KB of one header; the largest block in
# the shared corpus (a parser's test fixture) is 210 KB.
MAX_HEADER_BLOCK_BYTES = 1_000_000
# The top-level header block as the stdlib reads it: field lines, their continuation lines
# and a Unix "From " line, up to the first line that is none of these (normally the blank one).
_HEADER_LINES = re.compile(rb"(?:(?:From |[\x21-\x39\x3b-\x7e]*:|[ \t])[^\r\n]*(?:\r\n|\r|\n))*")
# A local part that needs no quotes (RFC 5322 dot-atom-text).
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, its end (a file's extension) kept."""
    return text if len(text) <= limit else text[: limit - 17] + "…" + text[-16:]


def header_block_overflow(raw: bytes, limit: int = MAX_HEADER_BLOCK_BYTES) -> str:
    """Why the raw mail's header block is too large to parse ("" when it is not): a regular
    expression finds its end in under a second in 40 MB, where parsing took minutes."""
    block = _HEADER_LINES.match(raw)
    size = block.end() if block else 0
    return f"a header block of {size} bytes exceeds the limit of {limit}" if size > limit else ""


@frozen
class Address:
    """One mailbox: display name and lower-cased address."""

    email: str
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local_part(self) -> str:
        return self.email.rpartition("@")[0]

    def __str__(self) -> str:
        if not self.name:
            return self.email
        # email.headerregistry (and its header parser) weighs on every cold start; a
        # display name is quoted only when an address is written out.
        from email.headerregistry import Address as HeaderAddress

        return str(HeaderAddress(display_name=self.name, addr_spec=self.email))


def canonical_address(addr: str) -> str:
    """One spelling per mailbox, lower-cased: `"bob"@corp.test` and `bob@corp.test.` are
    bob@corp.test (RFC 5321 4.1.2: quotes that protect nothing; 2.3.5: the root's dot).
    Otherwise each spelling was an address of its own: its own acknowledgement cap, and a
    participant that cannot be written into a header. A Unicode domain is read as its IDNA
    A-labels (domain/address_ascii.py), the form SES sends to and reports."""
    local, at, host = addr.strip().strip("<>").rpartition("@")
    local, host = local.lower(), _encoded_word_host(host).lower()
    if len(local) > 2 and local[0] == local[-1] == '"' and _DOT_ATOM.fullmatch(local[1:-1]):
        local = local[1:-1]
    return ascii_domain(f"{local}{at}{host.rstrip('.')}")


def _encoded_word_host(host: str) -> str:
    """A domain written as RFC 2047 encoded-words (`=?utf-8?q?b=C3=BCcher?=.de`), decoded.
    Section 5 forbids encoded-words in an addr-spec, but Python's email package writes a
    non-ASCII domain so under its default policy; read as written, the requester was an
    address nobody can answer. One that does not decode stays as it came."""
    if "=?" not in host:
        return host
    from email.errors import HeaderParseError
    from email.header import decode_header

    try:
        decoded = "".join(
            part.decode(charset or "ascii") if isinstance(part, bytes) else part
            for part, charset in decode_header(host)
        )
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return host
    labels = decoded.split(".")
    return decoded if all(labels) and not any(c in decoded for c in "=?@ ") else host


def parse_addresses(*values: str) -> tuple[Address, ...]:
    """Addresses from header values, canonical; malformed entries are skipped, not fatal."""
    found: list[Address] = []
    seen: set[str] = set()
    for name, addr in getaddresses([v for v in values if v]):
        addr = canonical_address(addr)
        local, _, domain = addr.rpartition("@")
        if not (local and domain) or addr in seen or any(c.isspace() for c in addr):
            continue
        if len(addr.encode("utf-8", "surrogateescape")) > MAX_ADDRESS_BYTES:
            continue
        seen.add(addr)
        found.append(Address(email=addr, name=name.strip()))
    return tuple(found)


@frozen
class Attachment:
    """One decoded MIME part that is a file rather than a body."""

    filename: str
    content_type: str
    payload: bytes
    content_id: str = ""
    inline: bool = False
    # Where the part sat: "" at top level, "rfc822" inside an attached message,
    # "uuencode" / "tnef" when recovered from a legacy container.
    origin: str = ""

    @property
    def size(self) -> int:
        return len(self.payload)

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the decoded bytes."""
        return hashlib.sha256(self.payload).hexdigest()


class Verdict(StrEnum):
    """SES's words for one receipt check (its `status`); NONE: no verdict was given."""

    PASS = "PASS"
    FAIL = "FAIL"
    GRAY = "GRAY"
    PROCESSING_FAILED = "PROCESSING_FAILED"
    DISABLED = "DISABLED"
    NONE = "NONE"


@frozen
class Verdicts:
    """SES receipt verdicts."""

    spam: Verdict = Verdict.NONE
    virus: Verdict = Verdict.NONE
    spf: Verdict = Verdict.NONE
    dkim: Verdict = Verdict.NONE
    dmarc: Verdict = Verdict.NONE

    def as_dict(self) -> dict[str, str]:
        return {
            "spam": self.spam,
            "virus": self.virus,
            "spf": self.spf,
            "dkim": self.dkim,
            "dmarc": self.dmarc,
        }


class DefectKind(StrEnum):
    """The defects the mail reader records itself; the others it records are named after the
    stdlib's `email.errors` defect classes (`NoBoundaryInMultipartDefect`, ...)."""

    PARSER_FALLBACK = "parser-fallback"  # a parsing step failed; a simpler one read the mail
    CHARSET_DECODE = "CharsetDecodeDefect"  # a body's declared charset did not decode it
    HEADER_TOO_LONG = "HeaderTooLongDefect"  # a header cut to its bound
    ADDRESS_HEADER = "AddressHeaderDefect"  # an address header read item by item, or cut
    PART_DECODE = "PartDecodeDefect"  # a MIME part that could not be read, skipped
    ATTACHED_MESSAGE = "AttachedMessageDefect"  # an attached message not kept whole
    BOUNDARY_RECOVERED = "BoundaryRecoveredDefect"  # a multipart split on a guessed boundary
    TNEF_DECODE = "TNEFDecodeDefect"  # a winmail.dat whose files could not be read


@frozen
class Defect:
    """One thing wrong with a received mail, and what the reader did about it.

    `kind` is a DefectKind or the name of a stdlib defect class; shown and stored as the
    text `kind: detail` (`Defect.parse` reads that text back).
    """

    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind

    @classmethod
    def parse(cls, text: str) -> Defect:
        kind, separator, detail = text.partition(": ")
        return cls(kind, detail) if separator else cls(text)


@frozen
class ParsedMail:
    """A received message, decoded."""

    subject: str = ""
    from_: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    message_id: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""
    html: str = ""
    attachments: tuple[Attachment, ...] = ()
    # Header names lower-cased, values decoded; repeated headers keep every value.
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "text/plain"
    # Top-level and nested MIME content types, in walk order.
    part_types: tuple[str, ...] = ()
    defects: tuple[Defect, ...] = ()
    lossy_decoding: bool = False
    raw_size: int = 0
    # The stdlib tree the parser built, for detectors that read MIME structure
    # (DSN parts, RFC 3834 headers) without parsing the bytes a second time.
    message: Message | None = field(default=None, compare=False, repr=False)

    @property
    def sender(self) -> Address | None:
        """Who a reply goes to: Reply-To when given, else From."""
        if self.reply_to:
            return self.reply_to[0]
        return self.from_[0] if self.from_ else None

    def header(self, name: str) -> str:
        """First value of a header, or ""."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return ""

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]

    def has_header(self, name: str) -> bool:
        name = name.lower()
        return any(key == name for key, _ in self.headers)


@frozen
class ReceivedMail:
    """What the SES notification (or the headers SES adds) tells about a delivery."""

    ses_message_id: str
    bucket: str
    key: str
    recipients: tuple[str, ...] = ()
    verdicts: Verdicts = field(default_factory=Verdicts)
    received_at: str = ""
    # True when verdicts came from the notification rather than headers.
    from_notification: bool = False
    # The envelope MAIL FROM SES checked SPF for (the notification's `mail.source`).
    envelope_from: str = ""
