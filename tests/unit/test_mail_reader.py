"""read_mail on mail the tests write themselves: what staff would see of each message."""

from __future__ import annotations

import base64
import binascii
import json
import struct
from datetime import UTC, datetime
from email.message import EmailMessage, Message

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import Address, DefectKind, ParsedMail

PDF = b"%PDF-1.4\n\x00\xff\xfe binary \r\n\x80 bytes"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def mail(*lines: str | bytes, body: bytes = b"") -> bytes:
    """Raw mail from header lines (str or bytes) and a body, LF line endings."""
    head = b"\n".join(x.encode() if isinstance(x, str) else x for x in lines)
    return head + b"\n\n" + body


def multipart(*parts: bytes, subtype: str = "mixed", boundary: str = "b1", head: tuple = ()) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\n" + p + b"\n" for p in parts)
    return mail(
        "From: Alice <alice@customer.org>",
        "Subject: parts",
        *head,
        "MIME-Version: 1.0",
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"',
        body=body + b"--" + boundary.encode() + b"--\n",
    )


def part(content_type: str, body: bytes, *headers: str | bytes) -> bytes:
    return mail(f"Content-Type: {content_type}", *headers, body=body)


def valid_unicode(parsed: ParsedMail) -> None:
    defects = [str(d) for d in parsed.defects]  # as stored and shown
    json.dumps([parsed.subject, parsed.text, parsed.html, parsed.headers, defects], ensure_ascii=False)
    for text in (parsed.subject, parsed.text, parsed.html, *defects):
        text.encode("utf-8")


# --- charsets of bodies -------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "text", "transfer"),
    [
        ("iso-8859-1", "Café crème, naïve façade", "8bit"),
        ("koi8-r", "Привет, принтер горит", "8bit"),
        ("shift_jis", "プリンターが燃えています", "8bit"),
        ("iso-2022-jp", "プリンターが燃えています", "7bit"),
        ("utf-8", "Grüße aus Köln 🔥", "8bit"),
        ("windows-1252", "“Smart quotes” – and €uro", "quoted-printable"),
    ],
)
def test_body_is_decoded_from_its_declared_charset(charset, text, transfer):
    # GIVEN a text body encoded in the charset it declares
    data = text.encode(charset)
    if transfer == "quoted-printable":
        data = binascii.b2a_qp(data)
    raw = mail(
        "Subject: charset",
        f'Content-Type: text/plain; charset="{charset}"',
        f"Content-Transfer-Encoding: {transfer}",
        body=data,
    )

    # WHEN it is read
    parsed = read_mail(raw)

    # THEN staff read the words the sender wrote, and nothing is flagged as garbled
    assert parsed.text.strip() == text
    assert parsed.lossy_decoding is False


def test_latin1_label_on_windows_1252_smart_quotes_reads_as_quotes():
    # GIVEN Outlook's habit: Windows-1252 curly quotes labelled ISO-8859-1
    raw = mail("Content-Type: text/plain; charset=iso-8859-1", body=b"\x93quoted\x94 \x96 done")

    parsed = read_mail(raw)

    # THEN staff see quotes and a dash, not invisible control characters
    assert parsed.text == "“quoted” – done"
    assert parsed.lossy_decoding is False


def test_unknown_charset_name_falls_back_and_is_flagged():
    # GIVEN a UTF-8 body labelled with a charset nobody knows
    raw = mail("Content-Type: text/plain; charset=x-unheard-of", body="Größe: 42 €".encode())

    parsed = read_mail(raw)

    # THEN the text is still readable, but flagged as decoded by guesswork
    assert parsed.text == "Größe: 42 €"
    assert parsed.lossy_decoding is True
    assert DefectKind.CHARSET_DECODE in {d.kind for d in parsed.defects}


def test_wrong_declared_charset_is_flagged_and_best_effort():
    # GIVEN Latin-1 bytes that claim to be UTF-8
    raw = mail("Content-Type: text/plain; charset=utf-8", body="Frösche über Maß".encode("latin-1"))

    parsed = read_mail(raw)

    # THEN the words survive (read as Windows-1252) and the message is flagged lossy
    assert parsed.text == "Frösche über Maß"
    assert parsed.lossy_decoding is True


def test_utf8_with_one_broken_byte_keeps_the_rest_and_marks_the_gap():
    # GIVEN UTF-8 text with one stray invalid byte in the middle
    raw = mail("Content-Type: text/plain; charset=utf-8", body="日本語 ".encode() + b"\xff ok")

    parsed = read_mail(raw)

    # THEN the Japanese text is intact, the bad byte is a replacement character
    assert parsed.text.startswith("日本語 ") and "\ufffd" in parsed.text
    assert parsed.lossy_decoding is True


def test_undeclared_8bit_utf8_body_is_read_as_utf8_without_flag():
    raw = mail("Subject: no charset", body="naïve café".encode())

    parsed = read_mail(raw)

    assert parsed.text == "naïve café"
    assert parsed.lossy_decoding is False


def test_japanese_mislabelled_as_iso_2022_jp_is_read_as_euc_jp():
    # GIVEN a Japanese carrier's bounce: EUC-JP bytes labelled ISO-2022-JP
    raw = mail("Content-Type: text/plain; charset=iso-2022-jp", body="宛先が見つかりません".encode("euc-jp"))

    parsed = read_mail(raw)

    assert parsed.text == "宛先が見つかりません"
    assert parsed.lossy_decoding is True


# --- headers --------------------------------------------------------------------


def test_encoded_word_subjects_and_names_are_decoded():
    # GIVEN RFC 2047 subject (UTF-8 split mid-character across two words) and names
    snowman = "☃".encode()
    words = " ".join(
        f"=?utf-8?B?{base64.b64encode(chunk).decode()}?=" for chunk in (b"Hello " + snowman[:2], snowman[2:])
    )
    raw = mail(
        f"Subject: {words} and =?iso-8859-1?Q?caf=E9?=",
        "From: =?utf-8?Q?Doe=2C_J=C3=BCrgen?= <Juergen.Doe@Example.ORG>",
        "To: support@example.com, =?koi8-r?B?8NLJ18XU?= <ivan@example.ru>",
        "Reply-To: help-desk@customer.org",
        "Cc: <one@example.com>, two@example.com (Two)",
        body=b"hi",
    )

    parsed = read_mail(raw)

    assert parsed.subject == "Hello ☃ and café"
    # the encoded comma stays inside the name: it splits no address
    assert parsed.from_ == (Address("juergen.doe@example.org", "Doe, Jürgen"),)
    assert parsed.to == (Address("support@example.com"), Address("ivan@example.ru", "Привет"))
    assert [a.email for a in parsed.cc] == ["one@example.com", "two@example.com"]
    assert parsed.sender == Address("help-desk@customer.org")


def test_broken_encoded_words_are_best_effort_never_fatal():
    # GIVEN encoded words with a bad charset, bad base64 and a missing terminator
    raw = mail(
        "Subject: =?x-bogus?Q?caf=C3=A9?= =?utf-8?B?!!notbase64?= =?utf-8?Q?open",
        "From: =?utf-8?B?broken",
        body=b"x",
    )

    parsed = read_mail(raw)

    # THEN what could be decoded is, the rest stays as written
    assert parsed.subject.startswith("café")
    assert parsed.subject.endswith("=?utf-8?Q?open")
    valid_unicode(parsed)


def test_thread_ids_dates_and_header_list():
    # GIVEN a reply with folded References, whitespace in ids and repeated headers
    raw = mail(
        "Received: from a by b; Fri, 27 Nov 2026 10:00:00 +0000",
        "Received: from c by d; Fri, 27 Nov 2026 09:59:00 +0000",
        "Message-ID:  < abc@customer.org >",
        "In-Reply-To: <t-1042.x@support.example.com>",
        "References: <root@example.com>\n <t-1042.x@support.example.com>\n\t<root@example.com>",
        "Date: Fri, 27 Nov 2026 11:00:00 +0100",
        "Subject: Re: [T-1042]\n printer",
        body=b"thanks",
    )

    parsed = read_mail(raw)

    assert parsed.message_id == "<abc@customer.org>"
    assert parsed.in_reply_to == ("<t-1042.x@support.example.com>",)
    assert parsed.references == ("<root@example.com>", "<t-1042.x@support.example.com>")
    assert parsed.date == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert parsed.subject == "Re: [T-1042] printer"
    assert [name for name, _ in parsed.headers] == [
        "received",
        "received",
        "message-id",
        "in-reply-to",
        "references",
        "date",
        "subject",
    ]
    assert len(parsed.header_values("Received")) == 2


def test_absent_message_id_and_garbage_date_are_empty_not_errors():
    parsed = read_mail(mail("Subject: bare", "Date: the day after tomorrow", body=b"x"))

    assert parsed.message_id == ""
    assert parsed.date is None
    assert parsed.in_reply_to == () and parsed.references == ()


def test_nul_bytes_and_invalid_utf8_in_headers_give_valid_text():
    # GIVEN headers with a NUL, raw Latin-1 and raw UTF-8 octets
    raw = mail(
        b"Subject: caf\xe9 \x00 and \xff\xfe",
        b"From: J\xc3\xbcrgen <j@example.de>",
        b"X-Note: \xc3\x28 broken",
        body=b"x",
    )

    parsed = read_mail(raw)

    # THEN they come back as valid Unicode that any JSON or UTF-8 sink accepts
    valid_unicode(parsed)
    assert parsed.subject.startswith("café")
    assert parsed.from_ == (Address("j@example.de", "Jürgen"),)
    assert parsed.header("x-note").endswith("broken")


def test_a_100_kb_header_is_kept_whole():
    long_subject = "word " * 20_000
    raw = mail(f"Subject: {long_subject}", "From: a@example.com", body=b"body")

    parsed = read_mail(raw)

    assert parsed.subject == long_subject.strip()
    assert parsed.text == "body"


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


# --- malformed and extreme mail ----------------------------------------------------


def test_empty_input_is_an_empty_message():
    parsed = read_mail(b"")

    assert (parsed.subject, parsed.text, parsed.attachments, parsed.raw_size) == ("", "", (), 0)
    assert parsed.from_ == ()


def test_header_only_message_without_blank_line():
    parsed = read_mail(b"From: alice@customer.org\nSubject: just headers")

    assert parsed.subject == "just headers"
    assert parsed.from_ == (Address("alice@customer.org"),)
    assert parsed.text == ""


def test_missing_boundary_parameter_is_recorded_and_the_text_shown():
    raw = mail(
        "Subject: no boundary", "Content-Type: multipart/mixed", body=b"I am a multipart without boundary\n"
    )

    parsed = read_mail(raw)

    assert "NoBoundaryInMultipartDefect" in {d.kind for d in parsed.defects}
    assert parsed.text == "I am a multipart without boundary\n"


def test_wrong_boundary_is_recorded_and_the_parts_recovered():
    # GIVEN a multipart whose declared boundary is not the one used
    body = multipart(
        part("text/plain", b"the real text"),
        part("application/pdf", PDF, "Content-Disposition: attachment; filename=x.pdf"),
        boundary="actual",
    )
    raw = body.replace(b'boundary="actual"', b'boundary="declared"', 1)

    parsed = read_mail(raw)

    assert "StartBoundaryNotFoundDefect" in {d.kind for d in parsed.defects}
    assert parsed.text == "the real text"
    assert [(a.filename, a.payload) for a in parsed.attachments] == [("x.pdf", PDF)]


def test_a_shape_mail_parser_raises_on_is_read_from_the_stdlib_tree():
    # GIVEN an unclosed multipart around one whose start boundary never comes
    # (mail-parser 4.8 raises AttributeError on its missing epilogue)
    raw = mail(
        'Content-Type: multipart/mixed; boundary="ab"',
        body=b'--ab\nContent-Type: multipart/mixed; boundary="a"\n\n--ab\nContent-Type: text/plain\n\nstill here\n',
    )

    parsed = read_mail(raw)

    assert any(
        d.kind == DefectKind.PARSER_FALLBACK and d.detail.startswith("mail-parser") for d in parsed.defects
    )
    assert "still here" in parsed.text


def test_deep_nesting_returns_headers_and_text_without_raising():
    depth = 2_000
    heads = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth)
    )
    tails = b"".join(b"--b%d--\n" % i for i in reversed(range(depth)))
    raw = (
        b"From: alice@customer.org\nSubject: deep\n"
        + heads
        + b"Content-Type: text/plain\n\ndeep inside\n"
        + tails
    )

    parsed = read_mail(raw)

    assert parsed.subject == "deep"
    assert parsed.from_ == (Address("alice@customer.org"),)
    assert "deep inside" in parsed.text
    assert DefectKind.PARSER_FALLBACK in {d.kind for d in parsed.defects}


def test_two_thousand_parts_are_all_read_quickly():
    files = [
        part(
            "application/octet-stream", b"file %d" % i, f"Content-Disposition: attachment; filename=f{i}.bin"
        )
        for i in range(2_000)
    ]
    raw = multipart(part("text/plain", b"see the files"), *files)

    # How long it takes is measured in bench/, never asserted here.
    parsed = read_mail(raw)

    assert len(parsed.attachments) == 2_000
    assert parsed.attachments[1999].payload == b"file 1999"


def test_old_mac_cr_line_endings_read_like_lf():
    lf = multipart(
        part(
            "text/plain; charset=utf-8",
            b"soft=\nbreak and caf=C3=A9",
            "Content-Transfer-Encoding: quoted-printable",
        ),
        part(
            "application/pdf",
            base64.encodebytes(PDF),
            "Content-Disposition: attachment; filename=x.pdf",
            "Content-Transfer-Encoding: base64",
        ),
    )

    parsed = read_mail(lf.replace(b"\n", b"\r"))

    assert parsed.subject == "parts"
    assert parsed.text == "softbreak and café"
    assert [a.payload for a in parsed.attachments] == [PDF]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_any_bytes_at_all_give_a_parsed_mail(raw):
    parsed = read_mail(raw)

    assert parsed.raw_size == len(raw)
    valid_unicode(parsed)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_real_mail_gives_a_parsed_mail(data):
    # GIVEN a realistic message with random bytes overwritten, cut or inserted
    raw = bytearray(
        multipart(
            part("text/plain; charset=iso-2022-jp", "日本".encode("iso-2022-jp")),
            part(
                "message/rfc822",
                mail("Subject: =?utf-8?B?5pel?=", body=b"x"),
                "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC",
            ),
            part(
                "application/pdf",
                base64.encodebytes(PDF),
                "Content-Transfer-Encoding: base64",
                "Content-Disposition: attachment; filename=x.pdf",
            ),
        )
    )
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at : at + data.draw(st.integers(0, 3))] = data.draw(st.binary(max_size=4))

    parsed = read_mail(bytes(raw))

    valid_unicode(parsed)
