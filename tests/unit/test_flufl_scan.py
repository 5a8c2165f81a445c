"""flufl.bounce's line-pattern detectors run only where a pattern can start, and find the same.

`_flufl_scan` hands SimpleMatch and SimpleWarning only the pattern sets whose start line
occurs in the body. Every test holds it to flufl.bounce's own `all_failures`: a set
skipped wrongly is a bounce lost, and the sender keeps getting mail that bounces.
"""

from __future__ import annotations

import email
import logging
import re
import string
import sys

import pytest
from flufl.bounce import all_failures
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mail import flufl_reading
from chalicelib.adapters.mail.bounce_detector import detect_bounce, looks_like_bounce
from chalicelib.adapters.mail.flufl_reading import _flufl_scan
from chalicelib.adapters.mail.reader import read_mail
from tests.support.corpus import mail_files, relative, require_corpus

HEADERS = (
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
    "To: support@example.com\n"
    "Subject: Returned mail\n"
    "MIME-Version: 1.0\n"
)


@pytest.fixture(autouse=True)
def _quiet_flufl():
    # all_failures logs every detector it runs at INFO, and a traceback for each fault.
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(previous)


def plain(body: str) -> bytes:
    return (
        HEADERS + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body
    ).encode()


def both_ways(message: email.message.Message) -> tuple[object, object]:
    """(flufl.bounce's all_failures, _flufl_scan) on one message; a raised fault by its type."""
    results = []
    for scan in (all_failures, _flufl_scan):
        try:
            results.append(scan(message))
        except Exception as exc:  # noqa: BLE001 - the two must fail alike too
            results.append(type(exc).__name__)
    return results[0], results[1]


@pytest.mark.parametrize(
    ("body", "permanent"),
    [
        pytest.param(
            "----- The following addresses had permanent fatal errors -----\n<bob@example.net>\n"
            "    (reason: 550 5.1.1 User unknown)\n\n   ----- Transcript of session follows -----\n",
            True,
            id="sendmail",
        ),
        pytest.param(
            "Delivery has failed to these recipients or groups:\n\n[bob@example.net]\n\n"
            "Original message details:\n",
            True,
            id="exchange",
        ),
        # Case-insensitive patterns match dotted capital I and long s to i and s, which
        # str.lower() does not: the body is then searched without the literal shortcut.
        pytest.param(
            "DELİVERY HAS FAİLED to these recipients or groups:\n\n[bob@example.net]\n\n"
            "Original message details:\n",
            True,
            id="dotted-capital-i",
        ),
        pytest.param(
            "Delivery haſ failed to these recipients:\n\n[bob@example.net]\n\nOriginal message details:\n",
            True,
            id="long-s",
        ),
        pytest.param(
            "Delivery to the following recipient has been delayed:\n\n     bob@example.net\n\n"
            "Message will be retried for 2 more day(s)\n",
            False,
            id="delay-warning",
        ),
    ],
)
def test_non_standard_bounces_are_found_as_flufl_finds_them(body, permanent):
    """GIVEN a non-standard bounce in one of the layouts flufl.bounce's line patterns read
    WHEN it is detected
    THEN the recipient is reported, permanent or delayed, exactly as all_failures finds it."""
    mail = read_mail(plain(body))

    report = detect_bounce(mail)

    flufl, ours = both_ways(mail.message)
    assert ours == flufl
    assert report is not None
    assert report.recipients == ("bob@example.net",)
    assert report.permanent is permanent


def test_a_failure_line_opening_a_later_part_is_found():
    """GIVEN a bounce whose failure line, matched only at a line start, opens its second text
    part (the first part's last line has no line end of its own)
    WHEN it is detected
    THEN the recipient is reported, as all_failures finds it."""
    raw = (HEADERS + 'Content-Type: multipart/mixed; boundary="b"\n\n').encode() + (
        b"--b\nContent-Type: text/plain\n\nThis message was not sent.\n"
        b"--b\nContent-Type: text/plain\n\n"
        b"Sorry, unable to deliver your message to bob@example.net for the following reason:\n"
        b"552 Quota violation for bob@example.net\nA copy of the original message below this line:\n--b--\n"
    )
    mail = read_mail(raw)

    report = detect_bounce(mail)

    flufl, ours = both_ways(mail.message)
    assert ours == flufl
    assert report is not None
    assert report.recipients == ("bob@example.net",)


def test_no_character_outside_ascii_case_matches_a_letter_unnoticed():
    """GIVEN every Unicode character
    WHEN a case-insensitive pattern matches it to an ASCII letter that str.lower() does not give
    THEN it is one `_FOLDS_TO_ASCII` knows (else a bounce spelled with it would be skipped)."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    matched = [chr(code) for code in range(0x80, sys.maxunicode + 1) if letter.fullmatch(chr(code))]
    unnoticed = [
        char
        for char in matched
        if not any(re.fullmatch(a, char, re.IGNORECASE) and char.lower() == a for a in string.ascii_lowercase)
        and not flufl_reading._FOLDS_TO_ASCII.search(char)
    ]

    assert unnoticed == []


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        (r"^Your message\s*$", "your message"),
        (r"Undeliverable Address:\s*(?P<addr>.*)$", "undeliverable address:"),
        ("Mailbox is full*", "mailbox is ful"),  # the last l is optional
        ("Mailbox is full{0,1}", "mailbox is ful"),
        ("Del(i|e)very has failed", ""),  # an alternation: no literal is certain
        ("failed|rejected", ""),
        (r"\d+ recipients failed", ""),
    ],
)
def test_start_literal_is_only_what_every_match_begins_with(pattern, literal):
    """GIVEN a start pattern (flufl.bounce may add patterns shaped like these)
    WHEN its literal shortcut is derived
    THEN the literal is text every match begins with, so no bounce is skipped by it."""
    assert flufl_reading._required_literal(re.compile(pattern, re.IGNORECASE)) == literal


_PHRASES = (
    "The following addresses had permanent fatal errors",
    "Delivery has failed to these recipients",
    "Your message",
    "Your message could not be delivered to",
    "Delivery to the following recipient has been delayed",
    "not yet been delivered",
    "Intended recipient: bob@example.net",
    "Transcript of session follows",
    "Original message details:",
    "Message will be retried",
    "<bob@example.net>",
    "[carol@example.org]",
    "    dave@example.com",
    "Thanks for your help, see you tomorrow.",
    "",
)
_LOOKALIKES = {"i": "İı", "s": "ſ", "k": "K"}


@st.composite
def _line(draw: st.DrawFn) -> str:
    chars = []
    for char in draw(st.sampled_from(_PHRASES)):
        choice = draw(st.integers(0, 5))
        if choice == 0:
            char = char.upper()
        elif choice == 1 and char.lower() in _LOOKALIKES:
            char = draw(st.sampled_from(_LOOKALIKES[char.lower()]))
        chars.append(char)
    return draw(st.sampled_from(("", " ", "-- ", "> "))) + "".join(chars)


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.lists(_line(), max_size=12), min_size=1, max_size=3))
def test_any_body_gives_what_all_failures_gives(parts):
    """GIVEN bodies made of bounce phrases, addresses and ordinary text, in any case, with
    look-alike letters, over one to three text parts
    WHEN scanned
    THEN the failures found (or the fault raised) are exactly all_failures' own."""
    bodies = ["\n".join(lines) + "\n" for lines in parts]
    if len(bodies) == 1:
        raw = plain(bodies[0])
    else:
        raw = (
            (HEADERS + 'Content-Type: multipart/mixed; boundary="b"\n\n').encode()
            + b"".join(
                b"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                + body.encode()
                for body in bodies
            )
            + b"--b--\n"
        )
    message = email.message_from_bytes(raw)

    flufl, ours = both_ways(message)

    assert ours == flufl


@pytest.mark.corpus
def test_corpus_bounces_give_what_all_failures_gives():
    """GIVEN every message in the corpus's bounces/ that looks like a bounce (the mail
    flufl.bounce is run on; mail/ holds 17 more behind three times the bytes to read)
    WHEN scanned
    THEN each gives exactly what all_failures gives."""
    require_corpus()
    differ, scanned = [], 0
    for path in mail_files("bounces"):
        mail = read_mail(path.read_bytes())
        if mail.message is None or not looks_like_bounce(mail):
            continue
        scanned += 1
        flufl, ours = both_ways(mail.message)
        if ours != flufl:
            differ.append(f"{relative(path)}: {flufl} != {ours}")

    assert scanned > 900  # measured 951
    assert differ == []
