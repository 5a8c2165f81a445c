"""Which of our languages a customer reads: English or German.

Standard library only. A received mail's `Content-Language` (RFC 3282) or a browser's
`Accept-Language` (RFC 9110 12.5.4) only *chooses* among our fixed texts
(domain/customer_texts.py); nothing of the value is ever written anywhere. A value that is
not a plain list of language tags (a line break, an encoded word, a parameter, kilobytes of
it) chooses nothing, and the desk's default language applies.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Language(StrEnum):
    """The languages we write to customers in, as BCP 47 primary subtags."""

    EN = "en"
    DE = "de"


DEFAULT = Language.EN
# A Content-Language names a language or two; a browser's Accept-Language rarely passes a
# few hundred characters. Anything longer is not read at all.
MAX_HEADER_CHARS = 256
# RFC 5646 in the shape clients write it: `de`, `de-DE`, `en-US`, `zh-Hant-TW`.
_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# RFC 9110 12.4.2: a weight is 0 to 1 with up to three decimals.
_WEIGHT = re.compile(r"[qQ]=(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")


def language_of_tag(tag: str) -> Language | None:
    """Our language for one language tag (`de-AT` is German), or None."""
    tag = tag.strip()
    if not _TAG.fullmatch(tag):
        return None
    primary = tag.partition("-")[0].lower()
    return next((language for language in Language if language.value == primary), None)


def setting_language(value: str) -> Language:
    """The desk's default language from its setting (`de`, `de-DE`, `EN`; empty: English);
    ValueError naming the languages there are for any other value."""
    if not value.strip():
        return DEFAULT
    language = language_of_tag(value)
    if language is None:
        known = ", ".join(language.value for language in Language)
        raise ValueError(f"INBOUND_DEFAULT_LANGUAGE={value!r} is not a language inbound writes ({known})")
    return language


def _readable(value: str) -> bool:
    return len(value) <= MAX_HEADER_CHARS and bool(_PRINTABLE.fullmatch(value))


def from_content_language(value: str, default: Language = DEFAULT) -> Language:
    """The first of our languages a mail's Content-Language lists (`de-DE`, `en, de`), else
    `default`: also when any listed item is not a plain language tag (`de;q=0`, garbage)."""
    if not value or not _readable(value):
        return default
    items = [item.strip() for item in value.split(",")]
    if not all(_TAG.fullmatch(item) for item in items):
        return default
    return next((found for found in map(language_of_tag, items) if found is not None), default)


def from_accept_language(value: str, default: Language = DEFAULT) -> Language:
    """The browser's most wanted of our languages (`de-DE,de;q=0.9,en;q=0.8` is German),
    else `default`. A tag weighted q=0 is one the browser refuses; `*` and tags of other
    languages choose nothing; a malformed item is passed over."""
    if not value or not _readable(value):
        return default
    weighted: list[tuple[float, Language]] = []
    for item in value.split(","):
        tag, _, parameters = item.partition(";")
        language = language_of_tag(tag)
        weight = 1.0
        if parameters:
            parameter = parameters.strip()
            if not _WEIGHT.fullmatch(parameter):
                continue
            weight = float(parameter[2:])
        if language is not None and weight > 0:
            weighted.append((weight, language))
    # Stable: of equal weights the one listed first wins.
    weighted.sort(key=lambda pair: -pair[0])
    return weighted[0][1] if weighted else default
