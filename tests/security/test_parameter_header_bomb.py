"""Attack: a Content-Type or Content-Disposition value of hundreds of KB of `;`.

CPython's email.message._parseparam, behind every get_param (a multipart's boundary, a
charset, a file name), copies the rest of the value at each `;` and counts quotes from its
start at each `;` inside an open quote: 20 KB cost 0.28 s a call, a mail makes half a dozen,
and a MIME part's headers have no other bound, so a few hundred KB outlasted the ingest
Lambda's 120 s on every retry. Values over 8 KB are cut in the copy the reader parses, with
a defect; the archived raw mail keeps every byte. The work is measured as the longest value
_parseparam is handed, never by a clock."""

from __future__ import annotations

import email.message
import sys
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.mail.parameter_headers import MAX_PARAMETERS, MAX_VALUE_BYTES
from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import DefectKind

JUNK = ' a="' + ";" * 20_000


def _most_parsed(action: Callable[[], Any]) -> tuple[int, int]:
    """The longest value _parseparam was handed during `action`, and the most `;` in one."""
    code, longest, most = email.message._parseparam.__code__, [0], [0]

    def hook(frame: Any, event: str, _: Any) -> None:
        if event == "call" and frame.f_code is code:
            value = str(frame.f_locals.get("s", ""))
            longest[0], most[0] = max(longest[0], len(value)), max(most[0], value.count(";"))

    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
    return longest[0], most[0]


def _mail(newline: str) -> bytes:
    lines = [
        "From: mallory@evil.test",
        "To: support@example.com",
        "MIME-Version: 1.0",
        f"Content-Type: multipart/mixed; boundary=B;{JUNK}",
        "Subject: after the long header",  # the header block goes on past the cut
        "",
        "--B",
        f"Content-Type: text/plain; charset=utf-8;{JUNK}",
        "",
        "hello",
        "--B",
        'Content-Type: application/pdf; name="refund.pdf"',
        f"Content-Disposition: attachment; filename=refund.pdf;{JUNK}",
        "",
        "%PDF-1.4",
        "--B--",
        "",
    ]
    return newline.join(lines).encode()


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_overlong_parameter_values_are_cut_before_the_stdlib_parses_them(newline):
    raw = _mail(newline)
    read = {}

    longest, _ = _most_parsed(lambda: read.setdefault("mail", read_mail(raw)))

    assert longest <= MAX_VALUE_BYTES + 100, f"_parseparam was handed {longest} characters"
    mail = read["mail"]
    assert mail.subject == "after the long header"
    assert mail.text.strip() == "hello"
    assert [a.filename for a in mail.attachments] == ["refund.pdf"]
    assert mail.raw_size == len(raw)
    cut = [d.detail for d in mail.defects if d.kind == DefectKind.HEADER_TOO_LONG]
    assert len(cut) == 3 and all(int(d.rpartition(" ")[2]) <= MAX_VALUE_BYTES for d in cut)


def test_many_parts_of_values_just_under_the_length_bound_are_cut_at_their_200th_semicolon():
    part = '--B\r\nContent-Type: text/plain; charset=utf-8; a="' + ";" * 8_000 + "\r\n\r\nhello\r\n"
    raw = (
        "From: mallory@evil.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        + part * 20
        + "--B--\r\n"
    ).encode()
    read = {}

    _, semicolons = _most_parsed(lambda: read.setdefault("mail", read_mail(raw)))

    assert semicolons <= MAX_PARAMETERS + 1, f"_parseparam was handed {semicolons} semicolons"
    assert read["mail"].text.count("hello") == 20


def test_a_long_rfc_2231_file_name_is_read_whole():
    name = "Rückerstattung " * 16 + ".pdf"
    encoded = "".join(f"%{b:02X}" for b in name.encode())
    continued = ";".join(f"\r\n filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{encoded[i * 60 : i * 60 + 60]}"
                         for i in range(len(encoded) // 60 + 1))  # fmt: skip
    raw = (
        "From: alice@customer.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        f"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;{continued}\r\n\r\n%PDF\r\n--B--\r\n"
    ).encode()

    mail = read_mail(raw)

    assert [a.filename for a in mail.attachments] == [name]
    assert not [d for d in mail.defects if d.kind == DefectKind.HEADER_TOO_LONG]
