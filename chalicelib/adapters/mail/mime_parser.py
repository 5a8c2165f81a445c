"""The stdlib's MIME parser, with its boundary check at a cost that does not grow with nesting.

CPython's feedparser asks, for every line of a message, each boundary of every multipart it
is inside whether the line is that boundary (RFC 2046 section 5.1.2: an inner part ends at
any outer boundary too): one regular-expression match per open multipart, per line. Mail
nested a few hundred multiparts deep (a header and a boundary line each, 60 bytes a level)
makes every line of its innermost part cost a few hundred matches: 300 levels and 920 KB of
short lines took 7.7 s of CPU, and SES takes 40 MB, several times ingest's 120 s on every
retry, failing the other mails of its batch with it.

A boundary line is the boundary's separator followed by nothing but an optional `--`,
spaces or tabs and the line break (the feedparser's own pattern), so a line can only match a
separator it spells out. `BoundaryLines` keeps the separators of the open multiparts in a
set and runs the stdlib's matchers only for a line that names one, or for a blank line when
a delivery-status part's blank-line matcher is open: the same answers, at the same lines.
A matcher it does not recognise (another Python's feedparser) is always run, as before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from email import feedparser
from email.message import Message
from email.policy import compat32
from typing import Any

# feedparser._parsegen (CPython 3.11) compiles, per multipart:
#   '(?P<sep>' + re.escape(separator) + r')(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$'
_HEAD, _TAIL = "(?P<sep>", r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)  # re.escape puts one backslash before a character
_SPACE = " \t\r\n"
_CHUNK = 8192  # what email.parser.Parser feeds at a time, so lines are parsed as they come


def _separator(matcher: Callable[[str], Any]) -> str | None:
    """The separator a feedparser boundary matcher matches, or None for any other matcher."""
    pattern = getattr(getattr(matcher, "__self__", None), "pattern", None)
    if not isinstance(pattern, str) or not (pattern.startswith(_HEAD) and pattern.endswith(_TAIL)):
        return None
    return _ESCAPED.sub(r"\1", pattern[len(_HEAD) : -len(_TAIL)])


class BoundaryLines(feedparser.BufferedSubFile):  # type: ignore[name-defined,misc]  # not in typeshed
    """The feedparser's line buffer, checking a line against the open boundaries by set."""

    def __init__(self) -> None:
        super().__init__()
        self._separators: Counter[str] = Counter()
        self._blank_matchers = 0  # feedparser.NLCRE.match: the end of a delivery-status block
        self._others = 0

    def push_eof_matcher(self, pred: Callable[[str], Any]) -> None:
        self._count(pred, 1)
        super().push_eof_matcher(pred)

    def pop_eof_matcher(self) -> Callable[[str], Any]:
        pred = super().pop_eof_matcher()
        self._count(pred, -1)
        return pred

    def _count(self, pred: Callable[[str], Any], step: int) -> None:
        separator = _separator(pred)
        if separator is not None:
            self._separators[separator.rstrip(_SPACE)] += step
        elif getattr(pred, "__self__", None) is feedparser.NLCRE:  # type: ignore[attr-defined]
            self._blank_matchers += step
        else:
            self._others += step

    def readline(self) -> Any:
        if self._lines and not self._others and not self._may_end(self._lines[0]):
            return self._lines.popleft()  # no open matcher can match it: the stdlib's answer
        return super().readline()

    def _may_end(self, line: str) -> bool:
        if self._blank_matchers and line[:1] in ("\r", "\n"):
            return True
        if not line.startswith("--"):
            return False
        # A line the pattern matches is the separator, perhaps `--`, then only spaces, tabs
        # and a line break: stripped of those it is the stripped separator (keys are stripped
        # so; a separator of its own ending in spaces is still found), or that and `--`.
        name = line.rstrip(_SPACE)
        candidates = (name, name[:-2].rstrip(_SPACE)) if name.endswith("--") else (name,)
        return any(self._separators[c] > 0 for c in candidates)


class _Parser(feedparser.BytesFeedParser):
    def __init__(self) -> None:
        super().__init__(policy=compat32)
        self._input = BoundaryLines()


def message_from_bytes(raw: bytes) -> Message:
    """`email.message_from_bytes(raw, policy=compat32)`, the same tree at any nesting."""
    parser = _Parser()
    for start in range(0, len(raw), _CHUNK):
        parser.feed(raw[start : start + _CHUNK])
    message: Message = parser.close()
    return message
