"""The files in mail parts: their names (RFC 2231 and RFC 2047 parameters, cut to
MAX_NAME_CHARS), names for parts that have none, and the files packed inside a text or
attachment: uuencoded blocks and winmail.dat (TNEF, with `tnefparse` when installed).

Standard library only (plus `tnefparse`, imported lazily); used by `mime_walk`.
"""

from __future__ import annotations

import binascii
import functools
import mimetypes
import re
from email.message import Message

from chalicelib.adapters.mail.charsets import SURROGATE, decode_text, decode_words, guess_text, unescape
from chalicelib.domain.mail import MAX_NAME_CHARS, Defect, DefectKind, cut

_EXTRA_TYPES = {
    "text/calendar": ".ics",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "application/ms-tnef": ".dat",
}
_UU_END = re.compile(rb"^end[ \t]*\r?$", re.M)
UU_BEGIN = re.compile(rb"^begin [0-7]{3,4} ([^\r\n]+?)[ \t]*\r?$", re.M)


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
    if any(SURROGATE.search(str(v)) for _k, v in raw):
        view = Message()  # header-only copy whose 8-bit values are real text
        for key, value in raw:
            view[key] = unescape(value)
    name = _param(view, "filename", "content-disposition")
    name = name if name is not None else _param(view, "name", "content-type")
    return None if name is None else cut(name, MAX_NAME_CHARS)


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


def guess_type(filename: str) -> str:
    return _mime_types().guess_type(filename, strict=False)[0] or "application/octet-stream"


def _uu_line(line: bytes) -> bytes:
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:  # trailing garbage, cut off as the stdlib does
        return binascii.a2b_uu(line[: (((line[0] - 32) & 63) * 4 + 5) // 3])


def _uu_body(data: bytes, start: int, stop: int) -> tuple[bytes | None, int]:
    """The bytes uuencoded in data[start:stop], or (None, the start of its first line that
    is not uuencode): read line by line, stopping there."""
    decoded: list[bytes] = []
    pos = start
    while pos < stop:
        newline = data.find(b"\n", pos, stop)
        end = stop if newline < 0 else newline
        line = data[pos:end]
        if line.strip():
            try:
                decoded.append(_uu_line(line.strip(b"\r")))
            except (binascii.Error, IndexError):
                return None, pos
        pos = end + 1
    return b"".join(decoded), stop


def split_uuencoded(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Cut `begin 644 name` ... `end` blocks out of text: (rest, [(name, bytes)]).

    Linear in the text: a `begin` whose lines do not decode shares its `end` with each later
    `begin` before it, and each of those whose lines hold the line that failed fails on it
    too, so they are skipped without reading their lines again (8,000 such `begin` lines in
    176 KB cost 5 s when each read to its `end`, quadratic time).
    """
    files: list[tuple[str, bytes]] = []
    kept: list[bytes] = []
    pos, failed = 0, -1
    end: re.Match[bytes] | None = None
    for begin in UU_BEGIN.finditer(data):
        if begin.start() < pos or begin.end() <= failed:
            continue
        if end is None or end.start() < begin.end():
            end = _UU_END.search(data, begin.end())
        if end is None:
            break  # no later block can end either
        body, failed = _uu_body(data, begin.end(), end.start())
        if body is None:
            continue  # not uuencode after all: left in the text
        files.append((guess_text(begin[1]), body))
        kept.append(data[pos : begin.start()])
        pos = end.end()
    return b"".join(kept) + data[pos:], files


# tnefparse reads each attribute from a copy of the rest of the file (`data[offset:]`): time
# quadratic in the attributes, 90,000 tiny ones in 1.6 MB took 8 s of CPU and a few MB more
# than the ingest Lambda's 120 s. A real winmail.dat has tens of attributes (a 25 MB one
# with ten files copies some 1 GB, 0.2 s); past this the file is kept as it came, unpacked.
MAX_TNEF_COPY_BYTES = 4_000_000_000
_TNEF_MIN_ATTRIBUTE = 12  # tnefparse's TNEF.MIN_OBJ_SIZE


def _tnef_copy_bytes(data: bytes) -> int:
    """What tnefparse would copy reading `data`, counted to just past the bound: its own
    walk (6 bytes of signature and key; each attribute 9 bytes, its length, a checksum)."""
    copied, offset = 0, 6
    while offset + _TNEF_MIN_ATTRIBUTE < len(data) and copied <= MAX_TNEF_COPY_BYTES:
        rest = len(data) - offset
        copied += rest
        offset += min(rest, int.from_bytes(data[offset + 5 : offset + 9], "little") + 11)
    return copied


def tnef_files(data: bytes) -> tuple[list[tuple[str, bytes]], Defect | None]:
    """Files inside a winmail.dat when `tnefparse` is installed; a defect on failure."""
    try:
        from tnefparse import TNEF  # optional dependency, pure Python
    except ImportError:
        return [], None
    if _tnef_copy_bytes(data) > MAX_TNEF_COPY_BYTES:
        return [], Defect(DefectKind.TNEF_DECODE, "winmail.dat not unpacked: too many attributes to read")
    try:
        found = []
        for item in TNEF(data, do_checksum=False).attachments:
            name = item.long_filename() or item.name
            name = guess_text(name) if isinstance(name, bytes) else str(name)
            found.append((name.strip("\x00 "), bytes(item.data)))
        return found, None
    except Exception as exc:  # noqa: BLE001 - a third-party parser on untrusted bytes
        return [], Defect(DefectKind.TNEF_DECODE, f"winmail.dat not readable ({type(exc).__name__})")
