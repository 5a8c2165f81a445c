"""Attack: a few hundred multiparts nested, and many short lines in the innermost part.

CPython's feedparser asks every open multipart's boundary pattern whether each line ends
its part (RFC 2046 5.1.2: an outer boundary ends inner parts too), so a line costs one
regular-expression match per level of nesting: 300 levels (18 KB of headers) and 920 KB of
short lines took 7.7 s of CPU, 40 MB (SES's limit) several times the ingest Lambda's 120 s,
on every retry. The work is counted as the boundary matches the parser runs, never by a
clock; lines that spell a boundary's separator are the parser's to judge, and it does."""

from __future__ import annotations

import email
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from email.policy import compat32
from typing import Any

from chalicelib.adapters.mail.mime_parser import message_from_bytes
from chalicelib.adapters.mail.reader import read_mail

LEVELS, LINES = 200, 2_000


def nested(levels: int, body: bytes) -> bytes:
    for level in range(levels):
        b = b"b%d" % level
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + b
            + b"\n\n--"
            + b
            + b"\n"
            + body
            + b"\n--"
            + b
            + b"--\n"
        )
    return b"From: mallory@evil.test\nTo: support@example.com\nSubject: deep\nMIME-Version: 1.0\n" + body


class Matches:
    count = 0


@contextmanager
def counting_pattern_matches() -> Iterator[type[Matches]]:
    """Counts each re.Pattern.match called from Python code (the feedparser's boundary checks)."""

    def profile(frame: Any, event: str, arg: Any) -> None:
        named = event == "c_call" and getattr(arg, "__name__", "") == "match"
        if named and isinstance(getattr(arg, "__self__", None), re.Pattern):
            Matches.count += 1

    Matches.count = 0
    sys.setprofile(profile)
    try:
        yield Matches
    finally:
        sys.setprofile(None)


def test_each_line_is_matched_against_a_few_boundaries_not_every_open_one():
    raw = nested(LEVELS, b"deep inside\n" + b"-- a dash line\n" * LINES)

    with counting_pattern_matches() as matches:
        mail = read_mail(raw)

    assert mail.text.count("-- a dash line") == LINES  # read whole, as before
    # Before: every line against all 200 open boundaries, 400,000 matches and more.
    assert matches.count < 20 * LINES, f"{matches.count} boundary matches for {LINES} lines"


def test_the_tree_is_the_stdlib_parsers_where_lines_look_like_boundaries():
    tricky = [
        b"--b1",
        b"--b1--",
        b"--b1 \t",
        b"--b1--  ",
        b"--b1 --",
        b"--b0-- x",
        b"----b0",
        b"--sp ",
        b"--sp  --",
        b"text",
        b"",
        b"\r",
    ]
    inner = b"\n".join(tricky * 3)
    report = (
        b'Content-Type: multipart/report; boundary="sp "\n\n--sp \nContent-Type: message/delivery-status\n\n'
    )
    for raw in (nested(3, inner), nested(2, report + inner), nested(3, inner).replace(b"\n", b"\r\n")):
        expected = email.message_from_bytes(raw, policy=compat32)

        ours = message_from_bytes(raw)

        assert ours.as_bytes() == expected.as_bytes()
        assert [p.get_content_type() for p in ours.walk()] == [p.get_content_type() for p in expected.walk()]
        assert [[type(d) for d in p.defects] for p in ours.walk()] == [
            [type(d) for d in p.defects] for p in expected.walk()
        ]
