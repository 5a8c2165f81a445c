"""read_mail on mail the tests write themselves: what staff would see of each message's text
(charsets of bodies, headers). Attachments and structure: test_mail_reader_attachments.py;
malformed and extreme mail: test_mail_reader_malformed.py."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import Address, DefectKind
from tests.support.raw_mime import mail, valid_unicode

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
