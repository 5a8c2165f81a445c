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
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import mimetypes
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.errors import MessageError
from email.message import Message
from email.policy import compat32
from typing import NamedTuple

from chalicelib.adapters.mail.mime_stream import LargeParts, NotStreamable
from chalicelib.domain.mail import MAX_NAME_CHARS, Attachment, Defect, DefectKind, cut

_BODY_TYPES = frozenset({"text/plain", "text/html"})
_TEXT_VIEWS = _BODY_TYPES | {"text/rfc822-headers", "text/enriched", "text/richtext"}
# message/* that hold a whole message; the others (DSN, MDN, ARF fields) do not.
_WHOLE_MESSAGES = frozenset({"message/rfc822", "message/global", "message/news"})
_UU_ENCODINGS = frozenset({"x-uuencode", "uuencode", "uue", "x-uue"})
# A superset decodes every valid text of its subset identically, and also
# what senders mislabel (WHATWG practice), so it is tried first.
_SUPERSETS = {
    "ascii": "utf-8",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "shift_jis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
    "iso2022_jp": "iso2022_jp_2",
}
# Where a declared Japanese or Korean charset fails, the bytes are often its 8-bit sibling.
_SIBLINGS = {
    "iso2022_jp": ("euc_jp", "cp932"),
    "shift_jis": ("euc_jp",),
    "euc_jp": ("cp932",),
    "iso2022_kr": ("cp949",),
}
# Codecs where one bad byte must not turn the whole text into Windows-1252 guesses.
_MULTIBYTE_CODEC = re.compile(r"big5|cp9[345]|euc|gb|hz|iso2022|johab|shift_jis|utf[-_]?(16|32)")
_EXTRA_TYPES = {
    "text/calendar": ".ics",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "application/ms-tnef": ".dat",
}
_ALIASES = {"uft-8": "utf-8", "x-mac-cyrillic": "mac-cyrillic"}
_SURROGATE = re.compile("[\ud800-\udfff]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=")
_BOUNDARY_LINE = re.compile(rb'^--([^\s"\\]{1,200})[ \t]*\r?\n(?=[A-Za-z][A-Za-z0-9-]*:)', re.M)
_UU_END = re.compile(rb"^end[ \t]*\r?$", re.M)
_UU_BEGIN = re.compile(rb"^begin [0-7]{3,4} ([^\r\n]+?)[ \t]*\r?$", re.M)
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


@functools.lru_cache(maxsize=256)
def _codec(charset: str | None) -> str | None:
    """Python's name for a declared charset, or None when it names no text codec."""
    name = (charset or "").strip().strip("\"'").lower().removeprefix("charset=")
    try:
        info = codecs.lookup(_ALIASES.get(name, name))
    except (LookupError, ValueError, TypeError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        text = data.decode(codec)
    except (LookupError, UnicodeError, ValueError):
        return None
    return None if _SURROGATE.search(text) else text


def _guess(data: bytes) -> str:
    """Text from bytes of unknown charset: UTF-8 if it is, else Windows-1252."""
    text = _strict(data, "utf-8")
    if text is None:
        text = _strict(data, "cp1252")
    return data.decode("latin-1") if text is None else text


def _replaced(data: bytes, codec: str) -> str:
    try:
        return _SURROGATE.sub("\ufffd", data.decode(codec, "replace"))
    except (LookupError, UnicodeError, ValueError):  # codecs that refuse "replace"
        return data.decode("utf-8", "replace")


def decode_text(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode body bytes; True when the text may differ from what was sent."""
    codec = _codec(charset)
    for candidate in dict.fromkeys((_SUPERSETS.get(codec, codec), codec) if codec else ()):
        text = _strict(data, candidate)
        if text is not None:
            return text.removeprefix("\ufeff"), False
    # Declared but unusable: lossy, unless there was nothing to lose.
    lossy = bool(charset and charset.strip()) and not data.isascii()
    for candidate in ("utf-8", *_SIBLINGS.get(codec or "", ())):
        text = _strict(data, candidate)
        if text is not None:
            return text.removeprefix("\ufeff"), lossy
    if codec and _MULTIBYTE_CODEC.match(codec):
        return _replaced(data, _SUPERSETS.get(codec, codec)), True
    if not _UTF8_MULTIBYTE.search(data):
        return _guess(data), lossy  # no UTF-8 in it at all: Windows-1252 is the best bet
    return _replaced(data, "utf-8"), True


def unescape(value: object) -> str:
    """A header value as real text: 8-bit bytes that the parser escaped are decoded."""
    value = str(value)
    if not _SURROGATE.search(value):
        return value
    try:
        return _guess(value.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)


def _word_bytes(encoding: str, text: str) -> bytes:
    data = text.encode("utf-8", "replace")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(data) % 4 == 1:
        data = data[:-1]  # a lone trailing character carries no byte
    return base64.b64decode(data + b"=" * (-len(data) % 4))


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; adjacent words of one charset are joined first."""
    out: list[str] = []
    pending, pending_charset, pos = b"", "", 0
    for match in _ENCODED_WORD.finditer(value):
        charset, encoding, text = match[1].lower(), match[2], match[3]
        gap = value[pos : match.start()]
        try:
            data = _word_bytes(encoding, text)
        except (ValueError, binascii.Error):
            continue  # stays in the text as it was written
        adjacent = bool(pending_charset) and not gap.strip()
        if adjacent and charset == pending_charset:
            pending += data
        else:
            if pending_charset:
                out.append(decode_text(pending, pending_charset)[0])
            if not adjacent:
                out.append(gap)
            pending, pending_charset = data, charset
        pos = match.end()
    if pending_charset:
        out.append(decode_text(pending, pending_charset)[0])
    out.append(value[pos:])
    return "".join(out)


def header_text(value: object) -> str:
    """A header value unfolded, 8-bit decoded and RFC 2047 decoded."""
    return decode_words(unescape(value).replace("\r", "").replace("\n", "")).strip()


def _param(view: Message, name: str, header: str) -> str | None:
    value = view.get_param(name, None, header)
    if not isinstance(value, tuple):
        return None if value is None else decode_words(unescape(value)).strip()
    charset, _language, text = value  # RFC 2231, already %-decoded to latin-1
    try:
        data = text.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        return text.strip()
    return decode_text(data, charset or None)[0].strip()


def filename_of(part: Message) -> str | None:
    """The part's decoded file name; None when it names none, as `get_filename()`."""
    view = part
    raw = [(k, v) for k, v in part.raw_items() if k.lower().startswith("content-")]
    if any(_SURROGATE.search(str(v)) for _k, v in raw):
        view = Message()  # header-only copy whose 8-bit values are real text
        for key, value in raw:
            view[key] = unescape(value)
    name = _param(view, "filename", "content-disposition")
    name = name if name is not None else _param(view, "name", "content-type")
    return None if name is None else cut(name, MAX_NAME_CHARS)


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


@functools.cache
def _mime_types() -> mimetypes.MimeTypes:
    table = mimetypes.MimeTypes()  # Python's own table: the same on every machine
    for ctype, extension in _EXTRA_TYPES.items():
        table.add_type(ctype, extension, strict=False)
    return table


def derived_name(content_type: str, number: int) -> str:
    """A name for a part that has none, e.g. image-2.png or attachment-3.bin."""
    prefix = content_type.partition("/")[0]
    prefix = prefix if prefix in ("image", "message") else "attachment"
    extension = _mime_types().guess_extension(content_type, strict=False) or ".bin"
    return f"{prefix}-{number}{extension}"


def _guess_type(filename: str) -> str:
    return _mime_types().guess_type(filename, strict=False)[0] or "application/octet-stream"


def _uu_line(line: bytes) -> bytes:
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:  # trailing garbage, cut off as the stdlib does
        return binascii.a2b_uu(line[: (((line[0] - 32) & 63) * 4 + 5) // 3])


def split_uuencoded(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Cut `begin 644 name` ... `end` blocks out of text: (rest, [(name, bytes)])."""
    files: list[tuple[str, bytes]] = []
    kept: list[bytes] = []
    pos = 0
    for begin in _UU_BEGIN.finditer(data):
        if begin.start() < pos:
            continue
        end = _UU_END.search(data, begin.end())
        if end is None:
            break  # no later block can end either
        lines = data[begin.end() : end.start()].split(b"\n")
        try:
            body = b"".join(_uu_line(x.strip(b"\r")) for x in lines if x.strip())
        except (binascii.Error, IndexError):
            continue  # not uuencode after all: leave it in the text
        files.append((_guess(begin[1]), body))
        kept.append(data[pos : begin.start()])
        pos = end.end()
    return b"".join(kept) + data[pos:], files


def _tnef_files(data: bytes) -> tuple[list[tuple[str, bytes]], Defect | None]:
    """Files inside a winmail.dat when `tnefparse` is installed; a defect on failure."""
    try:
        from tnefparse import TNEF  # optional dependency, pure Python
    except ImportError:
        return [], None
    try:
        found = []
        for item in TNEF(data, do_checksum=False).attachments:
            name = item.long_filename() or item.name
            name = _guess(name) if isinstance(name, bytes) else str(name)
            found.append((name.strip("\x00 "), bytes(item.data)))
        return found, None
    except Exception as exc:  # noqa: BLE001 - a third-party parser on untrusted bytes
        return [], Defect(DefectKind.TNEF_DECODE, f"winmail.dat not readable ({type(exc).__name__})")


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
            rebuilt = message_from_bytes(head + data, policy=compat32)
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
            begin = _UU_BEGIN.search(str(part.get_payload()).encode("ascii", "replace"))
            name = _guess(begin[1]) if begin else name
        self.add(name, ctype, payload, "uuencode" if uu else where.origin, part)
        if ctype == "application/ms-tnef" or (name or "").lower() == "winmail.dat":
            files, defect = _tnef_files(payload)
            self.found.defects.extend([defect] if defect else [])
            for inner, data in files:
                self.add(inner, _guess_type(inner), data, "tnef")

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
                self.add(inner, _guess_type(inner), data, "uuencode")
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
