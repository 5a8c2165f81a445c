"""Large base64 attachments decoded into temporary files, never whole in memory.

The stdlib parser holds a message about eight times over while it splits it into
lines, and decoding a part holds its text, its lines and its bytes at once. For a
large message `find_large_parts` finds every long run of base64 lines that begins
after a blank line (where a part's body begins) and `stripped` puts a one-line
placeholder in its place, so the stdlib parses only the small rest. `mime_walk`
hands each placeholder part it reaches to `LargeParts.spooled`, which decodes the
run straight from the raw bytes into a temporary file, taking its SHA-256, size and
first bytes on the way (`SpooledAttachment`).

The result must be what the in-memory reading gives, so anything unusual raises
`NotStreamable` and the caller reads the whole message in memory as before: a run
that is not strict base64 (a character outside the alphabet, padding before the
end, a length that is not a multiple of 4: the stdlib would record a defect), a
transfer encoding that is not exactly `base64`, or a placeholder that is not a whole
part body, that is read as text (text/*, message/*, TNEF), that sits inside a
message/rfc822 or a recovered multipart, or that the walk never reaches (preamble,
epilogue). In `ParsedMail.message` a spooled part's payload is its placeholder.

Standard library only.
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
import re
import secrets
import tempfile
from collections.abc import Iterator
from email.message import Message
from typing import IO

from chalicelib.domain.mail import Attachment

# Base64 runs shorter than this stay in memory: the corpus never gets near it, so mail
# of ordinary size is read exactly as before.
STREAM_MIN_BYTES = 4 * 2**20
HEAD_BYTES = 4096  # what content sniffing reads of a file
STEP_BYTES = 2**20  # encoded bytes decoded at a time
_NEWLINES = b"\r\n"
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]+={0,2}\r?")


class NotStreamable(Exception):
    """Reading this part from a placeholder could differ from reading it in memory."""


class SpooledAttachment(Attachment):
    """An attachment whose decoded bytes wait in a temporary file.

    `size`, `sha256` and `head` (the first 4 KiB, for sniffing) were taken while the
    file was written; `open()` gives the file at its start. `payload` reads the whole
    file on every access: correct everywhere, and what this class exists to avoid.
    """

    head: bytes
    _spool: IO[bytes]
    _size: int
    _sha256: str

    def __init__(self, like: Attachment, spool: IO[bytes], size: int, sha256: str, head: bytes) -> None:
        for field in dataclasses.fields(Attachment):
            if field.name != "payload":
                object.__setattr__(self, field.name, getattr(like, field.name))
        object.__setattr__(self, "_spool", spool)
        object.__setattr__(self, "_size", size)
        object.__setattr__(self, "_sha256", sha256)
        object.__setattr__(self, "head", head)

    @property  # type: ignore[override]
    def payload(self) -> bytes:
        return self.open().read()

    @property
    def size(self) -> int:
        return int(self._size)

    @property
    def sha256(self) -> str:
        return str(self._sha256)

    def open(self) -> IO[bytes]:
        spool: IO[bytes] = self._spool
        spool.seek(0)
        return spool

    def __repr__(self) -> str:
        return f"SpooledAttachment(filename={self.filename!r}, content_type={self.content_type!r}, size={self.size})"


class LargeParts:
    """The long base64 runs of one raw message, each behind a placeholder token."""

    def __init__(self, raw: bytes, runs: list[tuple[int, int]]) -> None:
        self.raw = raw
        nonce = secrets.token_hex(6)  # a sender cannot write a placeholder into the mail
        # Tokens are valid base64 of a length divisible by 4: parsing them adds no defect.
        self.runs = {f"InboundLargePart{n:04d}{nonce}": run for n, run in enumerate(runs)}
        self.claimed: set[str] = set()

    def stripped(self) -> bytes:
        """The raw message with every run replaced by its token."""
        pieces, at = [], 0
        for token, (start, end) in self.runs.items():
            pieces += [self.raw[at:start], token.encode("ascii")]
            at = end
        pieces.append(self.raw[at:])
        return b"".join(pieces)

    def token_of(self, part: Message) -> str | None:
        """The token when `part`'s whole body is one, else None."""
        payload = part.get_payload()
        if not isinstance(payload, str) or len(payload) > 200:
            return None
        text = "".join(payload.splitlines())  # what the stdlib decodes
        return text if text in self.runs else None

    def spooled(self, part: Message, like: Attachment) -> SpooledAttachment:
        """`like` with its payload decoded from the raw run into a temporary file."""
        token = self.token_of(part)
        if token is None or token in self.claimed:
            raise NotStreamable("not a placeholder part")
        # Exactly the stdlib's test in Message.get_payload(decode=True).
        if str(part.get("content-transfer-encoding", "")).lower() != "base64":
            raise NotStreamable("transfer encoding is not base64")
        self.claimed.add(token)
        start, end = self.runs[token]
        # No name: gone when closed or the process ends. The caller gets it open (no `with`).
        spool = tempfile.TemporaryFile()  # noqa: SIM115
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            for data in decode_run(self.raw, start, end):
                digest.update(data)
                spool.write(data)
                if len(head) < HEAD_BYTES:
                    head += data[: HEAD_BYTES - len(head)]
                size += len(data)
        except BaseException:
            spool.close()
            raise
        return SpooledAttachment(like, spool, size, digest.hexdigest(), head)

    def check_all_claimed(self) -> None:
        """A run the walk never turned into a file would be missing from the mail."""
        if set(self.runs) - self.claimed:
            raise NotStreamable("a placeholder was not read as a file")


def decode_run(raw: bytes, start: int, end: int, step: int = STEP_BYTES) -> Iterator[bytes]:
    """raw[start:end] decoded as `b64decode(validate=True)` of its joined lines would, in pieces.

    NotStreamable where that would fail, or where the stdlib would decode the part
    with a defect (its fallbacks are not strict base64 and may differ).
    """
    carry = b""
    for at in range(start, end, step):
        last = at + step >= end
        text = carry + raw[at : min(at + step, end)].translate(None, _NEWLINES)
        cut = len(text) if last else len(text) - len(text) % 4
        text, carry = text[:cut], text[cut:]
        if not last and b"=" in text:
            raise NotStreamable("padding before the end of the run")
        try:
            yield binascii.a2b_base64(text, strict_mode=True)
        except binascii.Error as exc:
            raise NotStreamable(f"not strict base64 ({exc})") from exc


def find_large_parts(raw: bytes, minimum: int = STREAM_MIN_BYTES) -> LargeParts | None:
    """The base64 runs of at least `minimum` bytes that make a body, or None if there are none.

    The message is cut at every line that starts with `--` (where a boundary can be);
    in each piece large enough, a body begins after the first blank line and runs to
    the piece's end. One search for `--` lines reads the whole message; blank lines
    are looked for in large pieces only, line ending of the first line first.
    """
    if len(raw) < minimum:
        return None
    first = raw.find(b"\n")
    blanks = (b"\n\r\n", b"\n\n") if first > 0 and raw[first - 1] == 13 else (b"\n\n", b"\n\r\n")
    runs: list[tuple[int, int]] = []
    piece = 0
    while piece < len(raw):
        boundary = raw.find(b"\n--", piece)
        end = len(raw) if boundary < 0 else boundary + 1
        body = _body_start(raw, piece, end, blanks) if end - piece >= minimum else None
        if body is not None:
            run = _trimmed(raw, body, end)
            if run[1] - run[0] >= minimum and _looks_base64(raw, *run):
                runs.append(run)
        piece = end if boundary >= 0 else len(raw)
    return LargeParts(raw, runs) if runs else None


def _body_start(raw: bytes, start: int, end: int, blanks: tuple[bytes, bytes]) -> int | None:
    """Where the first blank line in raw[start:end] ends: the likelier ending is searched first."""
    likely, other = blanks
    at = raw.find(likely, start, end)
    found = [at + len(likely)] if at >= 0 else []
    # The other ending only counts before the first hit: search no further.
    at = raw.find(other, start, end if at < 0 else at - 1 + len(other))
    found += [at + len(other)] if at >= 0 else []
    return min(found) if found else None


def _trimmed(raw: bytes, start: int, end: int) -> tuple[int, int]:
    while start < end and raw[start] in _NEWLINES:
        start += 1
    while end > start and raw[end - 1] in _NEWLINES:
        end -= 1
    return start, end


def _looks_base64(raw: bytes, start: int, end: int) -> bool:
    """First and last line are base64: worth a placeholder (the decode checks every byte)."""
    first_end = raw.find(b"\n", start, end)
    last_start = raw.rfind(b"\n", start, end) + 1 or start
    return (
        _BASE64_LINE.fullmatch(raw, start, end if first_end < 0 else first_end) is not None
        and _BASE64_LINE.fullmatch(raw, last_start, end) is not None
    )
