"""Large attachments spooled to files read exactly as the in-memory reading reads them.

`read_mail(raw, stream_from=N)` spools base64 bodies of N bytes or more; the same raw
read with `stream_from` above its size is the in-memory reference. Small N lets small
test mail take the large-mail path.
"""

from __future__ import annotations

import base64
import hashlib
import random
import tracemalloc
from dataclasses import fields
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mail.mime_stream import (
    NotStreamable,
    SpooledAttachment,
    decode_run,
    find_large_parts,
)
from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import ParsedMail
from tests.support.corpus import mail_files, require_corpus

SMALL = 256  # spool every base64 body of 256 bytes or more


def payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def mail_with(*files: tuple[str, str, bytes], body: str = "See attached.") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Alice <alice@customer.org>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "files"
    msg["Message-ID"] = "<files-1@customer.org>"
    msg.set_content(body)
    for filename, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def crlf(raw: bytes) -> bytes:
    """As SES stores mail: CRLF line endings."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def both_ways(raw: bytes) -> tuple[ParsedMail, ParsedMail]:
    """(spooled reading, in-memory reading); asserts that they agree in every field."""
    streamed = read_mail(raw, stream_from=SMALL)
    memory = read_mail(raw, stream_from=len(raw) + 1)
    for field in fields(ParsedMail):
        if field.name not in ("attachments", "message"):
            assert getattr(streamed, field.name) == getattr(memory, field.name), field.name

    def seen(mail: ParsedMail) -> list[tuple]:
        return [
            (a.filename, a.content_type, a.size, a.payload, a.content_id, a.inline, a.origin)
            for a in mail.attachments
        ]

    assert seen(streamed) == seen(memory)
    for attachment in streamed.attachments:
        if isinstance(attachment, SpooledAttachment):
            assert attachment.sha256 == hashlib.sha256(attachment.payload).hexdigest()
            assert attachment.head == attachment.payload[:4096]
            assert attachment.open().read() == attachment.payload
    return streamed, memory


def spooled(mail: ParsedMail) -> list[bool]:
    return [isinstance(a, SpooledAttachment) for a in mail.attachments]


# -- spooled: read as in memory, without the decoded bytes in memory ------------------


@pytest.mark.parametrize("endings", [bytes, crlf], ids=["LF", "CRLF"])
def test_a_large_file_is_spooled_and_reads_as_in_memory(endings):
    # GIVEN a text body and a 20 KB PDF, base64 (LF as Python writes it, CRLF as SES stores it)
    pdf = b"%PDF-1.7\n" + payload(20_000)
    raw = endings(mail_with(("Rechnung März.pdf", "application/pdf", pdf)).as_bytes())

    streamed, _ = both_ways(raw)

    [attachment] = streamed.attachments
    assert isinstance(attachment, SpooledAttachment)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "Rechnung März.pdf",
        "application/pdf",
        len(pdf),
    )
    assert attachment.payload == pdf and attachment.head.startswith(b"%PDF-1.7")
    assert streamed.text.strip() == "See attached."


def test_a_single_part_message_that_is_one_file_is_spooled():
    raw = (
        b"From: scanner@customer.org\r\nSubject: scan\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: image/tiff\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(payload(5000)).replace(b"\n", b"\r\n")
    )
    streamed, _ = both_ways(raw)
    assert spooled(streamed) == [True]
    assert streamed.attachments[0].filename == "image-1.tiff"


def test_inline_images_and_nameless_files_keep_their_names_order_and_flags():
    msg = mail_with(("first.bin", "application/octet-stream", payload(3000, 2)))
    msg.add_attachment(payload(3000, 3), maintype="application", subtype="octet-stream")  # no name
    msg.add_attachment(payload(100, 4), maintype="application", subtype="zip", filename="small.zip")
    image = EmailMessage()
    image.set_content(payload(4000, 5), maintype="image", subtype="png", cid="<logo@customer.org>")
    del image["Content-Disposition"]
    msg.attach(image)

    streamed, _ = both_ways(msg.as_bytes())

    assert spooled(streamed) == [True, True, False, True]  # the 100-byte zip stays in memory
    names = [a.filename for a in streamed.attachments]
    assert names == ["first.bin", "attachment-2.bin", "small.zip", "image-4.png"]
    assert streamed.attachments[3].inline and streamed.attachments[3].content_id == "logo@customer.org"


# -- read in memory after all: where spooling could change what is read ----------------


def _part(content_type: str, body: bytes, *headers: bytes) -> bytes:
    head = b"".join(h + b"\n" for h in (b"Content-Type: " + content_type.encode(), *headers))
    return head + b"\n" + body


def _multipart(*parts: bytes, preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    body = b"".join(b"--b1\n" + p + b"\n" for p in parts)
    return (
        b"From: Alice <alice@customer.org>\nSubject: parts\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b1"\n\n' + preamble + body + b"--b1--\n" + epilogue
    )


B64 = base64.encodebytes(payload(3000))
PADDED = base64.encodebytes(payload(3001))  # ends in "=="
BASE64 = b"Content-Transfer-Encoding: base64"
ATTACHED = b"Content-Disposition: attachment; filename=a.bin"


@pytest.mark.parametrize(
    "raw",
    [
        _multipart(_part("text/plain", B64, BASE64, b"Content-Disposition: attachment; filename=log.txt")),
        _multipart(_part("application/octet-stream", B64[:400] + b"!" + B64[400:], BASE64, ATTACHED)),
        _multipart(_part("application/octet-stream", PADDED.rstrip(b"=\n") + b"\n", BASE64, ATTACHED)),
        _multipart(_part("application/octet-stream", B64[:76] + b"AA==\n" + B64[76:], BASE64, ATTACHED)),
        _multipart(_part("application/octet-stream", B64, b"Content-Transfer-Encoding: base64 ", ATTACHED)),
        _multipart(
            _part(
                "application/ms-tnef", B64, BASE64, b"Content-Disposition: attachment; filename=winmail.dat"
            )
        ),
        _multipart(
            _part(
                "message/rfc822",
                b'Content-Type: multipart/mixed; boundary="b2"\n\n--b2\n'
                + _part("application/octet-stream", B64, BASE64, ATTACHED)
                + b"\n--b2--\n",
                b"Content-Disposition: attachment; filename=fwd.eml",
            )
        ),
        _multipart(_part("text/plain", b"hi"), preamble=b"\n" + B64 + b"\n"),
        _multipart(_part("text/plain", b"hi"), epilogue=b"\n" + B64),
        _multipart(_part("text/plain", B64 + b"\nThanks")),
    ],
    ids=[
        "text-attachment",
        "bad-character",
        "missing-padding",
        "padding-mid-run",
        "encoding-with-blank",
        "tnef",
        "inside-attached-message",
        "preamble",
        "epilogue",
        "inside-text-body",
    ],
)
def test_mail_that_spooling_could_misread_is_read_in_memory_identically(raw):
    assert find_large_parts(raw, SMALL) is not None  # GIVEN a run that gets a placeholder
    streamed, memory = both_ways(raw)
    assert not any(spooled(streamed))
    assert streamed.defects == memory.defects


# -- the decoder itself ---------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3000),
    width=st.integers(min_value=1, max_value=120),
    newline=st.sampled_from([b"\n", b"\r\n"]),
    step=st.integers(min_value=1, max_value=500),
)
def test_decoding_in_steps_gives_the_stdlib_bytes_for_any_line_width_and_step(data, width, newline, step):
    encoded = base64.b64encode(data)
    text = newline.join(encoded[i : i + width] for i in range(0, len(encoded), width))
    raw = b"head\n\n" + text + newline + b"--b1--\n"
    start = len(b"head\n\n")
    assert b"".join(decode_run(raw, start, start + len(text), step)) == data


@pytest.mark.parametrize("bad", [b"QUJD!REVG", b"QUI=QUJD", b"QUJDR", b"QQ==="])
def test_decoding_refuses_what_the_stdlib_would_decode_with_a_defect(bad):
    with pytest.raises(NotStreamable):
        b"".join(decode_run(bad, 0, len(bad), step=4))


def test_reading_a_large_file_allocates_a_fraction_of_the_message():
    """Python allocations are deterministic for the same input, so this is no timing test.

    The in-memory reading peaks near 8x the message; the spooled one holds a few
    decode steps of 1 MiB, whatever the attachment's size. 0.5x leaves a wide margin.
    """
    raw = crlf(mail_with(("disk.img", "application/octet-stream", payload(6 * 2**20))).as_bytes())
    read_mail(raw)  # warm caches and lazy imports outside the measurement
    tracemalloc.start()
    try:
        mail = read_mail(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert spooled(mail) == [True] and mail.attachments[0].size == 6 * 2**20
    assert peak < 0.5 * len(raw)


@pytest.mark.corpus
def test_every_corpus_mail_reads_the_same_spooled_and_in_memory():
    """Real mail of every kind: wherever a body gets a placeholder, nothing read changes."""
    require_corpus()
    tried = spooled_mail = 0
    for path in mail_files():
        raw = path.read_bytes()
        if find_large_parts(raw, SMALL) is None:
            continue
        tried += 1
        streamed, _ = both_ways(raw)
        spooled_mail += any(spooled(streamed))
    assert 0 < spooled_mail < tried  # the corpus exercises both outcomes
