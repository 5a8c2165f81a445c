"""read_mail on malformed and extreme mail: never raises, records what it had to guess, and
still gives staff what can be read (Hypothesis: any bytes, damaged real mail)."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mail import Address, DefectKind
from tests.support.raw_mime import PDF, mail, multipart, part, valid_unicode

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
