"""read_mail on mail the tests write themselves: the structure of a message and its
attachments, as staff are offered them (files byte-exact, names decoded, inline parts)."""

from __future__ import annotations

import base64
import binascii
import struct
from email.message import EmailMessage, Message

import pytest

from chalicelib.adapters.mail.reader import read_mail
from tests.support.raw_mime import PDF, PNG, mail, multipart, part

# --- structure and attachments ------------------------------------------------------


def test_attachments_come_back_byte_exact_in_every_transfer_encoding():
    # GIVEN the same binary file sent base64, quoted-printable and 8bit
    b64 = base64.encodebytes(PDF)
    qp = binascii.b2a_qp(PDF, istext=False)
    raw = multipart(
        part("text/plain", b"see attached"),
        part(
            "application/pdf",
            b64,
            'Content-Disposition: attachment; filename="a.pdf"',
            "Content-Transfer-Encoding: base64",
        ),
        part(
            "application/pdf",
            qp,
            'Content-Disposition: attachment; filename="b.pdf"',
            "Content-Transfer-Encoding: quoted-printable",
        ),
        part(
            "application/octet-stream",
            b"plain\x80\xffbytes",
            "Content-Disposition: attachment; filename=c.bin",
            "Content-Transfer-Encoding: 8bit",
        ),
    )

    parsed = read_mail(raw)

    assert parsed.text == "see attached"
    assert [(a.filename, a.payload, a.origin) for a in parsed.attachments] == [
        ("a.pdf", PDF, ""),
        ("b.pdf", PDF, ""),
        ("c.bin", b"plain\x80\xffbytes", ""),
    ]
    assert parsed.part_types == (
        "multipart/mixed",
        "text/plain",
        "application/pdf",
        "application/pdf",
        "application/octet-stream",
    )
    assert parsed.content_type == "multipart/mixed"
    assert isinstance(parsed.message, Message)


def test_rfc2047_and_rfc2231_file_names_are_decoded():
    raw = multipart(
        part(
            "application/pdf",
            b"1",
            'Content-Disposition: attachment; filename="=?utf-8?Q?r=C3=A9sum=C3=A9.pdf?="',
        ),
        part(
            "application/pdf",
            b"2",
            "Content-Disposition: attachment;",
            " filename*0*=utf-8''%E2%82%AC%20rates;",
            ' filename*1=" 2026";',
            " filename*2*=%2Epdf",
        ),
        part("text/plain", b"3", "Content-Disposition: attachment; filename*=iso-8859-1'fr'ci%EBle.txt"),
        part('application/octet-stream; name="=?iso-8859-1?B?Z3L832Vu?=.bin"', b"4"),
        part(
            "application/octet-stream",
            b"5",
            'Content-Disposition: attachment; filename="caf\xc3\xa9.txt"'.encode("latin-1"),
        ),
    )

    parsed = read_mail(raw)

    assert [a.filename for a in parsed.attachments] == [
        "résumé.pdf",
        "€ rates 2026.pdf",
        "ciële.txt",
        "grüßen.bin",
        "café.txt",
    ]


def test_nameless_parts_get_names_from_their_type():
    raw = multipart(
        part("text/plain", b"body"),
        part("application/octet-stream", b"\x00\x01", "Content-Disposition: attachment"),
        part("image/png", PNG),
        part("text/calendar", b"BEGIN:VCALENDAR\nEND:VCALENDAR\n"),
    )

    parsed = read_mail(raw)

    assert [a.filename for a in parsed.attachments] == ["attachment-1.bin", "image-2.png", "attachment-3.ics"]
    assert parsed.text == "body"


def test_cid_inline_image_is_an_inline_attachment():
    # GIVEN an HTML mail with a logo referenced by Content-ID
    related = multipart(
        part("text/html; charset=utf-8", b'<p>Hi</p><img src="cid:logo123@customer.org">'),
        part(
            "image/png",
            base64.encodebytes(PNG),
            "Content-ID: <logo123@customer.org>",
            "Content-Transfer-Encoding: base64",
        ),
        subtype="related",
    )

    parsed = read_mail(related)

    (logo,) = parsed.attachments
    assert (logo.inline, logo.content_id, logo.content_type, logo.payload) == (
        True,
        "logo123@customer.org",
        "image/png",
        PNG,
    )
    assert parsed.html == '<p>Hi</p><img src="cid:logo123@customer.org">'
    assert parsed.text == ""


def test_attached_message_is_kept_and_its_files_extracted():
    # GIVEN a forward-as-attachment whose inner message carries a PDF
    inner = EmailMessage()
    inner["From"] = "vendor@example.net"
    inner["Subject"] = "Invoice"
    inner.set_content("Invoice attached, please pay.")
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    outer = EmailMessage()
    outer["From"] = "alice@customer.org"
    outer["Subject"] = "Fwd: Invoice"
    outer.set_content("Is this legit?")
    outer.add_attachment(inner, filename="Invoice.eml")

    parsed = read_mail(outer.as_bytes())

    # THEN the customer's words are the body; the inner text is not mixed into it
    assert parsed.text.strip() == "Is this legit?"
    eml, pdf = parsed.attachments
    assert (eml.filename, eml.content_type, eml.origin) == ("Invoice.eml", "message/rfc822", "")
    assert b"Subject: Invoice" in eml.payload
    assert (pdf.filename, pdf.payload, pdf.origin) == ("invoice.pdf", PDF, "rfc822")


def test_inline_rfc822_text_joins_the_body_like_a_mail_client_shows_it():
    # GIVEN a message/rfc822 part with no name (as DSNs and many forwards have)
    inner = mail("From: bob@example.net", "Subject: original", body=b"the original words")
    raw = multipart(part("text/plain", b"forwarding below"), part("message/rfc822", inner))

    parsed = read_mail(raw)

    assert parsed.text == "forwarding below\nthe original words"
    assert parsed.attachments == ()


def test_multiple_text_parts_are_joined_with_newlines():
    raw = multipart(part("text/plain", b"first"), part("image/gif", b"GIF89a"), part("text/plain", b"second"))

    assert read_mail(raw).text == "first\nsecond"


def test_named_inline_text_is_shown_in_the_body_and_offered_as_a_file():
    # GIVEN a text part with a name but no attachment disposition (as some MTAs send DSN text)
    raw = multipart(
        part('text/plain; name="deliveryproblems.txt"', b"The following addresses had problems"),
        part("text/plain", b"log line", 'Content-Disposition: attachment; filename="app.log"'),
    )

    parsed = read_mail(raw)

    # THEN it reads in the body like a mail client shows it; the attached log does not
    assert parsed.text == "The following addresses had problems"
    assert [a.filename for a in parsed.attachments] == ["deliveryproblems.txt", "app.log"]


def test_html_only_mail_has_html_and_no_text():
    raw = mail("Content-Type: text/html; charset=utf-8", body="<p>Grüße</p>".encode())

    parsed = read_mail(raw)

    assert (parsed.text, parsed.html, parsed.content_type) == ("", "<p>Grüße</p>", "text/html")


def test_body_line_endings_are_lf():
    parsed = read_mail(b"Subject: crlf\r\n\r\nline one\r\nline two\r\n")

    assert parsed.text == "line one\nline two\n"


def test_uuencoded_part_and_uuencoded_block_in_text_become_files():
    uu = b"begin 644 notes.bin\n" + binascii.b2a_uu(PDF[:40]) + b"`\nend\n"
    raw = multipart(
        part("text/plain", b"Hello,\n\n" + uu.replace(b"notes.bin", b"inline.bin") + b"\nRegards\n"),
        part("application/octet-stream", uu, "Content-Transfer-Encoding: x-uuencode"),
    )

    parsed = read_mail(raw)

    assert [(a.filename, a.payload, a.origin) for a in parsed.attachments] == [
        ("inline.bin", PDF[:40], "uuencode"),
        ("notes.bin", PDF[:40], "uuencode"),
    ]
    assert "begin 644" not in parsed.text
    assert parsed.text.split() == ["Hello,", "Regards"]


def _tnef(name: bytes, data: bytes) -> bytes:
    def attribute(attr: int, kind: int, payload: bytes) -> bytes:
        header = struct.pack("<BHHI", 2, attr, kind, len(payload))
        return header + payload + struct.pack("<H", sum(payload) & 0xFFFF)

    signature = struct.pack("<IH", 0x223E9F78, 1)
    return (
        signature
        + attribute(0x9002, 6, bytes(14))
        + attribute(0x8010, 1, name + b"\0")
        + attribute(0x800F, 6, data)
    )


def test_winmail_dat_is_kept_and_its_files_extracted_when_tnefparse_is_installed():
    pytest.importorskip("tnefparse")
    winmail = _tnef(b"report.pdf", PDF)
    raw = multipart(
        part("text/plain", b"see attached"),
        part(
            "application/ms-tnef",
            base64.encodebytes(winmail),
            'Content-Disposition: attachment; filename="winmail.dat"',
            "Content-Transfer-Encoding: base64",
        ),
    )

    parsed = read_mail(raw)

    assert [(a.filename, a.content_type, a.payload, a.origin) for a in parsed.attachments] == [
        ("winmail.dat", "application/ms-tnef", winmail, ""),
        ("report.pdf", "application/pdf", PDF, "tnef"),
    ]


def test_a_bad_winmail_dat_is_still_kept():
    raw = multipart(
        part(
            "application/ms-tnef",
            b"not tnef at all",
            'Content-Disposition: attachment; filename="winmail.dat"',
        )
    )

    parsed = read_mail(raw)

    assert [a.payload for a in parsed.attachments] == [b"not tnef at all"]
