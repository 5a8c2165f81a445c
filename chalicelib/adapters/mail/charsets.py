"""Text from mail's bytes and header values, whatever charset they declare (or misdeclare).

Standard library only. Body bytes are decoded with the declared charset's superset first
(WHATWG practice: what senders mislabel), then UTF-8 and the declared charset's 8-bit
siblings, and as a last resort with replacement characters, saying so (`lossy`). Header
values get their parser-escaped 8-bit bytes decoded (`unescape`) and their RFC 2047
encoded words decoded (`decode_words`), adjacent words of one charset joined first.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re

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
_ALIASES = {"uft-8": "utf-8", "x-mac-cyrillic": "mac-cyrillic"}
SURROGATE = re.compile("[\ud800-\udfff]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=")


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
    return None if SURROGATE.search(text) else text


def guess_text(data: bytes) -> str:
    """Text from bytes of unknown charset: UTF-8 if it is, else Windows-1252."""
    text = _strict(data, "utf-8")
    if text is None:
        text = _strict(data, "cp1252")
    return data.decode("latin-1") if text is None else text


def _replaced(data: bytes, codec: str) -> str:
    try:
        return SURROGATE.sub("\ufffd", data.decode(codec, "replace"))
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
        return guess_text(data), lossy  # no UTF-8 in it at all: Windows-1252 is the best bet
    return _replaced(data, "utf-8"), True


def unescape(value: object) -> str:
    """A header value as real text: 8-bit bytes that the parser escaped are decoded."""
    value = str(value)
    if not SURROGATE.search(value):
        return value
    try:
        return guess_text(value.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return SURROGATE.sub("\ufffd", value)


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
