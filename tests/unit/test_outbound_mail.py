"""Building outgoing mail: the headers a customer's client threads on, and no header injection."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from chalicelib.domain import outbound_mail as om
from chalicelib.domain.mail import Attachment
from chalicelib.errors import HeaderInjection, SendRefused


def _mail(**changes) -> om.OutgoingMail:
    fields = dict(
        ticket_id="T-1042",
        from_address="support@example.com",
        from_name="Support team",
        to=("alice@customer.org",),
        reply_to="support+T-1042.abcdefghijklmnop@example.com",
        subject=om.reply_subject("Printer on fire", "T-1042"),
        text="Have you tried water?",
        message_id="<t-1042.0001@example.com>",
        in_reply_to="<orig-1@customer.org>",
        references=("<orig-1@customer.org>",),
        date=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
    )
    fields.update(changes)
    return om.OutgoingMail(**fields)


def _parsed(mail: om.OutgoingMail):
    return message_from_bytes(om.build_mime(mail), policy=policy.default)


def test_a_reply_carries_every_header_the_customer_client_threads_on():
    msg = _parsed(_mail())
    assert msg["From"] == "Support team <support@example.com>"
    assert msg["To"] == "alice@customer.org"
    assert msg["Reply-To"] == "support+T-1042.abcdefghijklmnop@example.com"
    assert msg["Subject"] == "Re: Printer on fire [T-1042]"
    assert msg["Message-ID"] == "<t-1042.0001@example.com>"
    assert msg["In-Reply-To"] == "<orig-1@customer.org>" and msg["References"] == "<orig-1@customer.org>"
    assert msg["Date"] == "Fri, 27 Nov 2026 10:00:00 +0000"
    assert msg["Auto-Submitted"] is None, "a staff reply is not automatic"
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text.get_content().strip() == "Have you tried water?"
    assert "Have you tried water?" in html.get_content()


def test_automatic_mail_is_marked_so_that_other_robots_stay_silent():
    msg = _parsed(_mail(automatic=True))
    assert msg["Auto-Submitted"] == "auto-replied" and msg["X-Auto-Response-Suppress"] == "All"


def test_lines_end_in_crlf_and_non_ascii_is_encoded_for_7bit_transport():
    raw = om.build_mime(
        _mail(subject="Ärger mit dem Drucker [T-1042]", from_name="Équipe support", text="Grüße")
    )
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    raw.decode("ascii")  # SES wants 7-bit headers; the body is transfer-encoded
    msg = message_from_bytes(raw, policy=policy.default)
    assert (
        msg["Subject"] == "Ärger mit dem Drucker [T-1042]"
        and msg["From"].addresses[0].display_name == "Équipe support"
    )
    assert msg.get_body(("plain",)).get_content().strip() == "Grüße"


@pytest.mark.parametrize(
    "changes, header",
    [
        ({"subject": "Hi\r\nBcc: victim@else.org"}, "Subject"),
        ({"subject": "Hi\nBcc: victim@else.org"}, "Subject"),
        ({"subject": "Hi\rX-Evil: 1"}, "Subject"),
        ({"from_name": "Support\r\nBcc: victim@else.org"}, "From"),
        ({"to": ("alice@customer.org\r\nBcc: victim@else.org",)}, "To"),
        ({"cc": ("bob@customer.org\nBcc: x@y.org",)}, "Cc"),
        ({"reply_to": "a@b.org\r\nX: y"}, "Reply-To"),
        ({"in_reply_to": "<a@b>\r\nBcc: victim@else.org"}, "In-Reply-To"),
        ({"references": ("<a@b>", "<c@d>\nBcc: victim@else.org")}, "References"),
    ],
)
def test_a_line_break_in_any_header_value_is_refused_with_a_clear_error(changes, header):
    with pytest.raises(HeaderInjection) as refused:
        om.build_mime(_mail(**changes))
    assert refused.value.reason == "header_injection"
    assert header in str(refused.value) and "line break" in str(refused.value)


def test_a_file_name_is_written_without_its_line_breaks_and_controls():
    """A received file's name may hold any character (RFC 2231); it is a label, not a header."""
    named = Attachment("a.pdf\r\nContent-Type: text/html\x0b\u2028", "application/pdf", b"%PDF")

    msg = message_from_bytes(om.build_mime(_mail(attachments=(named,))), policy=policy.default)

    [part] = msg.iter_attachments()
    assert part.get_filename() == "a.pdfContent-Type: text/html"
    assert part.get_content_type() == "application/pdf"


@pytest.mark.parametrize("address", ["not an address", "@example.com", "alice@", ""])
def test_a_malformed_recipient_is_refused_before_anything_is_sent(address):
    with pytest.raises(SendRefused) as refused:
        om.build_mime(_mail(to=(address,)))
    assert refused.value.reason == "invalid_address"


def test_subject_tag_is_added_once_and_re_is_not_stacked():
    assert om.tagged_subject("Printer", "T-7") == "Printer [T-7]"
    assert om.tagged_subject("Re: [T-7] Printer", "T-7") == "Re: [T-7] Printer"
    assert om.tagged_subject("", "T-7") == "[T-7]"
    assert om.reply_subject("Re: Printer [T-7]", "T-7") == "Re: Printer [T-7]"
    assert om.reply_subject("AW: Drucker", "T-7") == "AW: Drucker [T-7]"
    assert om.reply_subject("", "T-7") == "Re: (no subject) [T-7]"
    assert om.tagged_subject("About [T-9]", "T-7") == "About [T-9] [T-7]"


def test_message_ids_are_unique_and_on_our_domain():
    first, second = om.new_message_id("example.com", "T-7"), om.new_message_id("example.com", "T-7")
    assert first != second and first.startswith("<t-7.") and first.endswith("@example.com>")


def test_references_keep_order_drop_repeats_and_stay_short():
    ids = [f"<{n}@x>" for n in range(30)] + ["<3@x>"]
    kept = om.thread_ids(ids)
    assert len(kept) == om.MAX_REFERENCES and kept[-1] == "<29@x>" and len(set(kept)) == len(kept)


def test_attachments_travel_as_parts_and_links_replace_them_when_too_large():
    pdf = Attachment("Rechnung März.pdf", "application/pdf", b"%PDF-1.4 " + bytes(200))
    msg = _parsed(_mail(attachments=(pdf,)))
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "Rechnung März.pdf" and part.get_content() == pdf.payload
    link = om.DownloadLink(
        "Rechnung März.pdf", "https://bucket.s3.amazonaws.com/x?X-Amz-Signature=1", 5_000_000
    )
    msg = _parsed(_mail(links=(link,)))
    assert list(msg.iter_attachments()) == []
    assert (
        link.url in msg.get_body(("plain",)).get_content()
        and "4.8 MB" in msg.get_body(("plain",)).get_content()
    )
    assert (
        'href="https://bucket.s3.amazonaws.com/x?X-Amz-Signature=1"' in msg.get_body(("html",)).get_content()
    )


def test_html_given_by_staff_is_sent_as_given_and_text_only_mail_gets_an_escaped_html_part():
    msg = _parsed(_mail(html="<p>Hello <b>Alice</b></p>"))
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hello <b>Alice</b></p>"
    msg = _parsed(_mail(text="1 < 2 & <script>"))
    assert "1 &lt; 2 &amp; &lt;script&gt;" in msg.get_body(("html",)).get_content()
