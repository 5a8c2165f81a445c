"""Attack: a header of many RFC 2047 encoded words that makes parsing one mail take minutes.

CPython's email.header.decode_header takes time quadratic in the encoded words of one value,
and mail-parser ran it on every top-level header and each part's file name: a Subject of
300,000 `=?utf-8?q?a?=` (4 MB, SES takes 40) outlasted the ingest Lambda's 120 s, so the
delivery and the nine other customers' mails in its batch timed out again on each retry.
The work is counted by what the quadratic function is handed, never by a clock."""

from __future__ import annotations

import email.header
import sys
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import DefectKind

WORDS = 20_000
MANY = " ".join(["=?utf-8?q?a?="] * WORDS)
HEAD = "From: mallory@evil.test\r\nTo: support@example.com\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"


def _most_words_decoded(action: Callable[[], Any]) -> int:
    """The most encoded words email.header.decode_header was handed in one call of `action`."""
    code, most = email.header.decode_header.__code__, [0]

    def hook(frame: Any, event: str, _: Any) -> None:
        if event == "call" and frame.f_code is code:
            most[0] = max(most[0], str(frame.f_locals.get("header", "")).count("=?"))

    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
    return most[0]


BOMBS = {
    "subject": f"{HEAD}Subject: {MANY}\r\nMessage-ID: <s@evil.test>\r\n\r\nhello\r\n",
    "any header": f"{HEAD}Subject: hi\r\nX-Junk: {MANY}\r\n\r\nhello\r\n",
    "file name": (
        f"{HEAD}Subject: hi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        f'--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="{MANY}"\r\n'
        "\r\nx\r\n--B--\r\n"
    ),
}


@pytest.mark.parametrize("where", BOMBS)
def test_a_header_of_many_encoded_words_is_never_handed_to_the_quadratic_decoder(where):
    raw = BOMBS[where].encode()
    parsed = {}

    most = _most_words_decoded(lambda: parsed.setdefault("mail", read_mail(raw)))

    assert most <= 1_000, f"decode_header was handed {most} encoded words of the {where}"
    mail = parsed["mail"]
    # Still read whole, by the reader's own (linear) decoding: nothing of the mail is lost.
    assert mail.from_[0].email == "mallory@evil.test"
    assert mail.date is not None and mail.date.day == 7
    assert "hello" in mail.text
    if where == "subject":
        assert mail.subject == "a" * WORDS
    if where == "file name":
        # A parameter value that long is cut before parsing (test_parameter_header_bomb.py).
        assert "aaaa" in mail.attachments[0].filename
        assert any(d.kind == DefectKind.HEADER_TOO_LONG for d in mail.defects)
        return
    assert any(
        d.kind == DefectKind.PARSER_FALLBACK and f"{WORDS} encoded words" in d.detail for d in mail.defects
    )


def test_an_ordinary_encoded_subject_is_still_read_with_mail_parser():
    raw = f"{HEAD}Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?q?_aus_K=C3=B6ln?=\r\n\r\nhello\r\n".encode()

    mail = read_mail(raw)

    assert mail.subject == "Grüße aus Köln"
    assert not [d for d in mail.defects if d.kind == DefectKind.PARSER_FALLBACK]
