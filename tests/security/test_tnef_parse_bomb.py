"""Attack: a winmail.dat of tens of thousands of tiny TNEF attributes.

tnefparse reads each attribute from a copy of the rest of the file, time quadratic in
their number: 90,000 in 1.6 MB took 8 s of CPU and a few MB more outlasted the ingest
Lambda's 120 s on every retry, failing its batch. Such a file is kept as it came, not
unpacked, with a defect; a real one is unpacked as before. The work is counted as the
attributes tnefparse reads, never by a clock."""

from __future__ import annotations

import base64
import struct

from tnefparse.tnef import TNEFObject

from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import DefectKind
from tests.support.call_counts import calls_of

SIGNATURE = struct.pack("<IH", 0x223E9F78, 1)
RENDDATA, TITLE, DATA = 0x00069002, 0x00018010, 0x0006800F


def _attribute(kind: int, data: bytes) -> bytes:
    return struct.pack("<BII", 2, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def _winmail(files: int) -> bytes:
    one = _attribute(RENDDATA, bytes(14)) + _attribute(TITLE, b"a.txt\0") + _attribute(DATA, b"x")
    return SIGNATURE + one * files


def _mail(winmail: bytes) -> bytes:
    return (
        b"From: mallory@evil.test\r\nTo: support@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee\r\n"
        b"--B\r\nContent-Type: application/ms-tnef\r\nContent-Disposition: attachment; filename=winmail.dat\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(winmail) + b"--B--\r\n"
    )


def test_a_winmail_dat_of_too_many_attributes_is_kept_unpacked():
    raw = _mail(_winmail(20_000))
    read = {}

    attributes_read = calls_of(TNEFObject.__init__, lambda: read.setdefault("mail", read_mail(raw)))

    assert attributes_read == 0
    mail = read["mail"]
    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert any(d.kind == DefectKind.TNEF_DECODE and "not unpacked" in d.detail for d in mail.defects)


def test_a_real_winmail_dat_is_unpacked():
    # tnefparse reads an attribute only when more than 12 bytes are left: one byte after the last
    mail = read_mail(_mail(_winmail(3) + b"\0"))

    assert [a.filename for a in mail.attachments] == ["winmail.dat", "a.txt", "a.txt", "a.txt"]
    assert [a.payload for a in mail.attachments[1:]] == [b"x"] * 3
