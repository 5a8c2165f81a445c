"""Attack: a text body of many `begin 644 name` lines that are not uuencode, one `end` last.

The reader cuts uuencoded files out of text bodies. Each `begin` read its lines up to the
first `end` after it, so a `begin` that failed to decode was followed by the next one
reading nearly the same lines again: time quadratic in the body, 8,000 such lines (176 KB)
took 5 s of CPU and 64,000 (1.4 MB) more than the ingest Lambda's 120 s, on every retry,
failing the other mails of its batch with it. The work is counted as the bytes the reader
copies out of the text (a bytes subclass tallies them), never by a clock."""

from __future__ import annotations

import binascii
from typing import Any

from chalicelib.adapters.mail.mime_files import split_uuencoded
from chalicelib.adapters.mail.reader import read_mail


class Tallied(bytes):
    """Bytes that count what slicing copies out of them."""

    copied = 0

    def __getitem__(self, key: Any) -> Any:
        part = super().__getitem__(key)
        if isinstance(key, slice):
            Tallied.copied += len(part)
        return part


BOMB = b"begin 644 a.txt\n\xff not uuencode\n" * 2_000 + b"end\n"


def test_begin_lines_that_are_not_uuencode_are_read_once():
    Tallied.copied = 0

    rest, files = split_uuencoded(Tallied(BOMB))

    assert (rest, files) == (BOMB, [])  # all of it stays text, as before
    assert Tallied.copied <= 2 * len(BOMB), f"copied {Tallied.copied} bytes out of {len(BOMB)}"


def test_a_real_block_after_the_failed_ones_is_still_cut_out():
    block = b"begin 644 notes.txt\n" + binascii.b2a_uu(b"the real file") + b"`\nend\n"

    rest, files = split_uuencoded(BOMB + b"between\n" + block + b"after\n")

    assert files == [("notes.txt", b"the real file")]
    assert rest == BOMB + b"between\n\nafter\n"  # the block up to its `end`, as ever


def test_the_mail_is_read_whole():
    raw = b"From: mallory@evil.test\r\nTo: support@example.com\r\nSubject: hi\r\n\r\n" + BOMB

    mail = read_mail(raw)

    assert mail.attachments == () and mail.text.count("begin 644 a.txt") == 2_000
