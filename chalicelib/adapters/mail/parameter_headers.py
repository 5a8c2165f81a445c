"""Content-Type and Content-Disposition values cut to a bound before the stdlib parses them.

CPython's `email.message._parseparam`, behind every `get_param` (a boundary, a charset, a
file name), copies the rest of the value at each `;` and, inside an open quote, counts the
quotes from its start again at each `;`: time in the value's length times its `;`. 20 KB of
`a=";;;...` cost 0.28 s per call and a mail makes half a dozen calls per part (the parser's
own for a multipart boundary, mail-parser's, the walk's); 200 KB cost minutes, and 100
parts of 8 KB each 20 s. A real value holds a type, a charset, a boundary and a file name
of at most a few hundred characters (RFC 2231 continuations of a long name: a few dozen
`;`), so what lies past MAX_VALUE_BYTES or MAX_PARAMETERS `;` of one is no parameter anyone
meant: the parsed copy is cut there, with a defect; the archived raw mail keeps every byte.
A value too long but with few `;` keeps its head and its tail, the middle cut out: a file
name's closing quote and extension (".pdf", ".exe") are at its end, and what the desk shows
and decides by must not lose them.

Standard library only; used by the reader before parsing.
"""

from __future__ import annotations

import re

from chalicelib.domain.mail import Defect, DefectKind

MAX_VALUE_BYTES = 8_192
MAX_PARAMETERS = 200  # `;` in one value
# A header line of the two fields, anywhere: a part's header block is known only once parsed.
_FIELD = re.compile(rb"^content-(?:type|disposition)[ \t]*:", re.IGNORECASE | re.MULTILINE)
# The value up to its logical end: the line, and the folded lines that continue it.
_VALUE = re.compile(rb"[^\r\n]*(?:(?:\r\n|\r|\n)[ \t][^\r\n]*)*")


def _kept(raw: bytes, start: int, end: int) -> bytes | None:
    """What the parsed copy keeps of the value raw[start:end]; None when it is within both
    bounds. Never a line break at an end: with the line's own break after it, that would be
    a blank line, the end of the header block (and a fold starts with a space or tab)."""
    if end - start <= MAX_VALUE_BYTES and raw.count(b";", start, end) <= MAX_PARAMETERS:
        return None
    half = MAX_VALUE_BYTES // 2
    if end - start > MAX_VALUE_BYTES:
        head, tail = raw[start : start + half], raw[end - half : end]
        if head.count(b";") + tail.count(b";") <= MAX_PARAMETERS:
            return head.rstrip(b"\r\n") + tail.lstrip(b"\r\n")
    limit = min(end, start + MAX_VALUE_BYTES)
    at = start
    for _ in range(MAX_PARAMETERS + 1):
        at = raw.index(b";", at, limit) + 1
    return raw[start : at - 1].rstrip(b"\r\n")  # before the first `;` past the bound


def bounded(raw: bytes) -> tuple[bytes, tuple[Defect, ...]]:
    """`raw` with every Content-Type and Content-Disposition value over either bound cut,
    and a defect per value cut; `raw` itself when none is."""
    pieces: list[bytes] = []
    defects: list[Defect] = []
    pos = 0
    for field in _FIELD.finditer(raw):
        if field.start() < pos:
            continue
        value = _VALUE.match(raw, field.end())
        start = field.end()
        end = value.end() if value else start
        kept = _kept(raw, start, end)
        if kept is None:
            continue
        pieces.append(raw[pos:start] + kept)
        name = field.group().rstrip(b": \t").decode("ascii")
        defects.append(
            Defect(DefectKind.HEADER_TOO_LONG, f"{name} of {end - start} bytes cut to {len(kept)}")
        )
        pos = end
    if not defects:
        return raw, ()
    pieces.append(raw[pos:])
    return b"".join(pieces), tuple(defects)
