"""Walk a stdlib MIME tree into bodies and attachments, never raising on bad mail.

Standard library only (plus `tnefparse`, imported lazily when installed), so the
mail-parser adapter and its stdlib fallback share one walk. An attachment's
payload is always the stdlib's `part.get_payload(decode=True)` for its part.

Rules: a leaf is a file when it has a file name, an `attachment` disposition,
an x-uuencode transfer encoding or a type that is not a text view (plain,
html, enriched, rfc822-headers). text/plain and text/html leaves without an
`attachment` disposition are also the body, as mail clients show them, unless
they sit in an attached container. Files are `inline` when their disposition
says so, or when they have a Content-ID and no disposition. message/rfc822 that is
attached (file name or `attachment` disposition) is kept as a `.eml` file of
its serialised bytes and its text stays out of the body; an inline one (no
name, as in DSNs and many forwards) adds its text to the body, as mail
clients display it. Files found inside either have origin "rfc822"; an
attached message inside an attached message is not kept again (its bytes are
in the outer `.eml`). A multipart whose boundary the parser could not find is
split again on the first boundary-like line in it, or else shown as text.
File names and Content-IDs are cut to MAX_NAME_CHARS (chalicelib/domain/mail.py).
How text is decoded is in `charsets`; file names, uuencoded blocks and winmail.dat in
`mime_files`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.errors import MessageError
from email.message import Message
from typing import NamedTuple

from chalicelib.adapters.mail.charsets import decode_text, guess_text, unescape
from chalicelib.adapters.mail.mime_files import (
    UU_BEGIN,
    derived_name,
    filename_of,
    guess_type,
    split_uuencoded,
    tnef_files,
)
from chalicelib.adapters.mail.mime_parser import message_from_bytes
from chalicelib.adapters.mail.mime_stream import LargeParts, NotStreamable
from chalicelib.domain.mail import MAX_NAME_CHARS, Attachment, Defect, DefectKind, cut

_BODY_TYPES = frozenset({"text/plain", "text/html"})
_TEXT_VIEWS = _BODY_TYPES | {"text/rfc822-headers", "text/enriched", "text/richtext"}
# message/* that hold a whole message; the others (DSN, MDN, ARF fields) do not.
_WHOLE_MESSAGES = frozenset({"message/rfc822", "message/global", "message/news"})
_UU_ENCODINGS = frozenset({"x-uuencode", "uuencode", "uue", "x-uue"})
_BOUNDARY_LINE = re.compile(rb'^--([^\s"\\]{1,200})[ \t]*\r?\n(?=[A-Za-z][A-Za-z0-9-]*:)', re.M)
# What the stdlib raises on malformed parts; one bad part must not cost the rest.
PART_ERRORS = (LookupError, UnicodeError, ValueError, TypeError, IndexError, KeyError, MessageError)


@dataclass
class MimeContent:
    """What one walk of a MIME tree found."""

    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    part_types: list[str] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    lossy: bool = False


def content_type_of(part: Message) -> str:
    """The part's type; a header that runs on without its `;` is cut at the blank."""
    ctype = part.get_content_type()
    ctype = ctype.split(None, 1)[0] if ctype.strip() else ""
    return ctype if ctype.count("/") == 1 else part.get_default_type()


def _serialised(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except PART_ERRORS:  # the generator re-encodes some broken parts and fails
        return message.as_string().encode("utf-8", "surrogateescape")


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)  # bytes for every leaf
    return data if isinstance(data, bytes) else b""


class _Where(NamedTuple):
    """Where in the tree a part sits."""

    origin: str = ""  # "" at top level, "rfc822" inside an attached message
    body: bool = True  # its text/plain and text/html belong to the body
    kept: bool = False  # an enclosing message is already kept whole as a file
    recovered: bool = False  # rebuilt from a multipart whose boundary was lost


class _Walker:
    def __init__(self, message: Message, large: LargeParts | None = None) -> None:
        self.found = MimeContent()
        self.stack: list[tuple[Message, _Where]] = [(message, _Where())]
        self.large = large

    def run(self) -> MimeContent:
        while self.stack:
            part, where = self.stack.pop()
            ctype = content_type_of(part)
            self.found.part_types.append(ctype)
            try:
                if part.is_multipart():
                    self.container(part, ctype, where)
                elif ctype.startswith("multipart/"):
                    self.lost_boundary(part, ctype, where)
                else:
                    self.leaf(part, ctype, where)
            except (RecursionError, *PART_ERRORS) as exc:
                self.defect(DefectKind.PART_DECODE, f"{ctype} part skipped ({exc!r:.80})")
            self.found.defects.extend(Defect(type(d).__name__, f"{d.__doc__}") for d in part.defects)
        return self.found

    def defect(self, kind: DefectKind, detail: str) -> None:
        self.found.defects.append(Defect(kind, detail))

    def push(self, kids: object, where: _Where) -> None:
        kids = kids if isinstance(kids, list) else []
        self.stack.extend((k, where) for k in reversed(kids) if isinstance(k, Message))

    def add(
        self,
        name: str | None,
        ctype: str,
        payload: bytes,
        origin: str,
        part: Message | None = None,
        large: LargeParts | None = None,
    ) -> None:
        content_id, disposition = "", None
        if part is not None:
            content_id = cut(unescape(part.get("content-id", "")).strip().strip("<>").strip(), MAX_NAME_CHARS)
            disposition = part.get_content_disposition()
        attachment = Attachment(
            filename=name or derived_name(ctype, len(self.found.attachments) + 1),
            content_type=ctype,
            payload=payload,
            content_id=content_id,
            inline=disposition == "inline" or (disposition is None and bool(content_id)),
            origin=origin,
        )
        if large is not None and part is not None:
            attachment = large.spooled(part, attachment)
        self.found.attachments.append(attachment)

    def container(self, part: Message, ctype: str, where: _Where) -> None:
        disposition = part.get_content_disposition()
        if not ctype.startswith("message/"):
            self.push(part.get_payload(), where._replace(body=where.body and disposition != "attachment"))
            return
        name = filename_of(part)
        attached = name is not None or disposition == "attachment"
        if attached and not where.kept:  # each byte is serialised once, however deep
            try:
                kids = [k for k in part.get_payload() if isinstance(k, Message)]
                self.add(name, ctype, b"".join(map(_serialised, kids)), where.origin, part)
            except (RecursionError, *PART_ERRORS) as exc:
                self.defect(DefectKind.ATTACHED_MESSAGE, f"not serialisable ({exc!r:.80})")
        body = where.body and not attached and ctype in _WHOLE_MESSAGES
        self.push(part.get_payload(), _Where("rfc822", body, where.kept or attached, where.recovered))

    def lost_boundary(self, part: Message, ctype: str, where: _Where) -> None:
        """A multipart the parser could not split: find its real boundary, else show it as text."""
        data = _payload(part)
        line = None if where.recovered else _BOUNDARY_LINE.search(data)
        if line is not None:
            head = b'Content-Type: multipart/mixed; boundary="' + line[1] + b'"\n\n'
            rebuilt = message_from_bytes(head + data)
            if rebuilt.is_multipart():
                self.defect(DefectKind.BOUNDARY_RECOVERED, f"{ctype} split on {line[1]!r:.80}")
                self.push(rebuilt.get_payload(), where._replace(recovered=True))
                return
        self.leaf(part, "text/plain", where)

    def leaf(self, part: Message, ctype: str, where: _Where) -> None:
        if self.large is not None and self.large.token_of(part) is not None:
            self.large_file(part, ctype, where, self.large)
            return
        name = filename_of(part)
        disposition = part.get_content_disposition()
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        payload = _payload(part)
        uu = cte in _UU_ENCODINGS
        if uu or name is not None or disposition == "attachment" or ctype not in _TEXT_VIEWS:
            self.file(part, ctype, name, payload, where, uu)
        if where.body and ctype in _BODY_TYPES and not uu and disposition != "attachment":
            self.body(part, ctype, payload)

    def file(
        self, part: Message, ctype: str, name: str | None, payload: bytes, where: _Where, uu: bool
    ) -> None:
        if name is None and not payload and part.get_content_disposition() != "attachment":
            return  # an empty unnamed part: nothing anyone could open
        if uu and not name:
            begin = UU_BEGIN.search(str(part.get_payload()).encode("ascii", "replace"))
            name = guess_text(begin[1]) if begin else name
        self.add(name, ctype, payload, "uuencode" if uu else where.origin, part)
        if ctype == "application/ms-tnef" or (name or "").lower() == "winmail.dat":
            files, defect = tnef_files(payload)
            self.found.defects.extend([defect] if defect else [])
            for inner, data in files:
                self.add(inner, guess_type(inner), data, "tnef")

    def large_file(self, part: Message, ctype: str, where: _Where, large: LargeParts) -> None:
        """A placeholder for a large base64 body (mime_stream): a file, decoded to a temporary file.

        Only where the in-memory walk would keep it as a file and nothing else: never
        text, never inside a message, never TNEF (whose files are read from its bytes).
        """
        name = filename_of(part)
        if where.origin or where.kept or where.recovered:
            raise NotStreamable(f"{ctype} inside a message or a recovered multipart")
        if ctype.partition("/")[0] in ("text", "message", "multipart"):
            raise NotStreamable(f"{ctype} is read as text")
        if ctype == "application/ms-tnef" or (name or "").lower() == "winmail.dat":
            raise NotStreamable("TNEF is read from its bytes")
        self.add(name, ctype, b"", where.origin, part, large)

    def body(self, part: Message, ctype: str, payload: bytes) -> None:
        if ctype == "text/plain":
            payload, files = split_uuencoded(payload)
            for inner, data in files:
                self.add(inner, guess_type(inner), data, "uuencode")
        charset = part.get_content_charset()
        text, lossy = decode_text(payload, charset)
        if lossy:
            self.found.lossy = True
            self.defect(
                DefectKind.CHARSET_DECODE, f"{ctype} declared {charset!r:.40}; decoded with a fallback"
            )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text.strip():
            (self.found.text if ctype == "text/plain" else self.found.html).append(text)


def walk_parts(message: Message, large: LargeParts | None = None) -> MimeContent:
    """Bodies, files, part types and defects of a MIME tree, in `Message.walk()` order.

    Parts recovered from a lost boundary follow the part they came from. The
    walk is iterative, so any tree the parser could build is read without recursion.
    With `large`, the tree was parsed from `large.stripped()` and its placeholder
    parts become spooled files (NotStreamable where that could differ).
    """
    return _Walker(message, large).run()
