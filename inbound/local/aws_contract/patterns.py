"""Java regular expressions of botocore's service models, translated to Python's `re`.

The models' `pattern` traits are Java regexes (AWS validates with Java's full match).
Most read the same in Python; Java's Unicode and POSIX classes (`\\p{L}`, `\\p{Print}`),
UTF-16 surrogate-pair ranges and `[\\w-/]` are rewritten exactly; anything else that
does not compile is skipped, and logged, rather than guessed at.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from functools import cache

log = logging.getLogger(__name__)

_POSIX = {  # Java's POSIX classes are ASCII-only unless UNICODE_CHARACTER_CLASS is set
    "Print": r"\x20-\x7e",
    "Graph": r"\x21-\x7e",
    "Alnum": r"a-zA-Z0-9",
    "Alpha": r"a-zA-Z",
    "Digit": r"0-9",
    "Upper": r"A-Z",
    "Lower": r"a-z",
    "ASCII": r"\x00-\x7f",
    "Space": r" \t\n\x0b\f\r",
    "Punct": r"!-/:-@\[-`{-~",
}


@cache
def _category_runs() -> tuple[tuple[int, int, str], ...]:
    """Every code point's Unicode general category, as runs (one pass, once a process)."""
    runs: list[tuple[int, int, str]] = []
    start, current = 0, unicodedata.category("\x00")
    for point in range(1, 0x110000):
        category = unicodedata.category(chr(point))
        if category != current:
            runs.append((start, point - 1, current))
            start, current = point, category
    runs.append((start, 0x10FFFF, current))
    return tuple(runs)


@cache
def _category_ranges(prefix: str, negate: bool) -> str:
    """The code points of a general category (`L`, `Zs`, ...), or of its complement, as class ranges."""
    merged: list[list[int]] = []
    for first, last, category in _category_runs():
        if category.startswith(prefix) == negate:
            continue
        if merged and merged[-1][1] == first - 1:
            merged[-1][1] = last
        else:
            merged.append([first, last])
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in merged)


def _class_body(name: str, negate: bool) -> str | None:
    if name in _POSIX:
        return None if negate else _POSIX[name]
    if re.fullmatch(r"[LMNPSZC][a-z]?", name):
        return _category_ranges(name, negate)
    return None


_UNICODE_CLASS = re.compile(r"\\([pP])\{(\w+)\}")


def _expand_classes(text: str, untranslated: list[str]) -> str:
    """Java's `\\p{X}`/`\\P{X}` as explicit ranges, inside a [...] class or as one."""
    out: list[str] = []
    inside, opened, i = False, 0, 0
    while i < len(text):
        match = _UNICODE_CLASS.match(text, i)
        if match:
            body = _class_body(match.group(2), match.group(1) == "P")
            if body is None:
                untranslated.append(match.group(0))
            out.append((body or "") if inside else f"[{body or ''}]")
            i = match.end()
            continue
        piece = text[i : i + 2] if text[i] == "\\" else text[i]
        if piece == "[" and not inside:
            inside, opened = True, len(out)
        elif piece == "]" and inside and out[opened + 1 :] not in ([], ["^"]):
            inside = False  # a `]` first in a class is a literal
        out.append(piece)
        i += len(piece)
    return "".join(out)


def translate_pattern(pattern: str) -> re.Pattern[str] | None:
    """A model's (Java) pattern as a Python regex, or None when it does not translate exactly."""
    untranslated: list[str] = []
    # A supplementary character written as a UTF-16 surrogate-pair range (Java strings are UTF-16).
    text = pattern.replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
    # Java reads `[\w-/]` as \w, '-', '/'; Python refuses a range that starts at a class.
    text = re.sub(r"(\\[wdsWDS])-(?!\])", r"\1\\-", text)
    text = _expand_classes(text, untranslated)
    if untranslated:
        log.debug("aws contract: pattern %r not checked (no exact translation of %s)", pattern, untranslated)
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. Java's `&&` class intersection
            return re.compile(text, re.ASCII)
    except (re.error, FutureWarning) as exc:
        log.debug("aws contract: pattern %r not checked (%s)", pattern, exc)
        return None
