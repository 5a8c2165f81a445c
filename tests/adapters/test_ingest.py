"""The ingest pipeline against moto: what needs AWS itself (S3 object metadata, the events
topic, mailed reports through the real guard) and one whole delivery end to end. Threading,
duplicates, quarantine and the suspended list run on in-memory ports in tests/services."""

from __future__ import annotations

import hashlib

from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail


def test_new_mail_becomes_a_ticket_and_the_raw_moves_to_the_archive(stack):
    """GIVEN a new mail WHEN ingested THEN one ticket with one message exists and incoming/ is empty."""
    outcome = deliver(stack, make_mail())
    assert outcome.outcome == "created" and outcome.thread_signal == "new" and outcome.mailbox == "support"
    ticket = stack.tickets.get_ticket(outcome.ticket)
    assert ticket.subject == "Printer on fire" and ticket.requester == "alice@customer.org"
    assert ticket.status == "new" and ticket.message_count == 1
    [message] = stack.tickets.messages(outcome.ticket)
    assert message.body.text.strip() == "Hello, my printer is on fire."
    assert message.thread_signal == "new" and message.verdicts["spam"] == "PASS"
    assert stack.keys("incoming/") == []
    assert [k for k in stack.keys("archive/2026/11/27/")] == [
        f"archive/2026/11/27/{outcome.ses_message_id}.eml"
    ]


def test_attachments_arrive_byte_exact_with_hash_and_original_name(stack):
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    raw = make_mail(
        attachments=(
            ("Rechnung März.pdf", "application/pdf", pdf),
            ("../../x.svg", "image/svg+xml", b"<svg/>"),
        )
    )
    outcome = deliver(stack, raw)
    first, second = outcome.attachments
    assert first == {
        "filename": "Rechnung März.pdf",
        "content_type": "application/pdf",
        "size": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }
    [message] = stack.tickets.messages(outcome.ticket)
    stored_pdf, stored_svg = message.attachments
    s3 = stack.client("s3")
    obj = s3.get_object(Bucket=stack.settings.mail_bucket, Key=stored_pdf.key)
    assert obj["Body"].read() == pdf and obj["ContentType"] == "application/pdf"
    assert stored_pdf.key == f"attachments/{outcome.ticket}/{outcome.ses_message_id}/1-Rechnung März.pdf"
    assert stored_svg.risky and "/" not in stored_svg.safe_name and ".." not in stored_svg.safe_name
    assert not stored_pdf.risky


def test_delivery_status_notification_is_a_bounce_without_ticket(stack):
    dsn = (
        b"From: Mail Delivery Subsystem <mailer-daemon@mx.customer.org>\r\n"
        b"To: support@example.com\r\nSubject: Delivery Status Notification (Failure)\r\n"
        b"Message-ID: <dsn-1@mx.customer.org>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.org\r\n\r\n"
        b"Final-Recipient: rfc822; gone@customer.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--B--\r\n"
    )
    outcome = deliver(stack, dsn)
    assert outcome.outcome == "bounce" and outcome.ticket is None
    assert outcome.failed_recipients == ("gone@customer.org",)
    record = stack.deliveries.get_delivery(outcome.ses_message_id)
    assert record["failed_recipients"] == ["gone@customer.org"]


def test_ingest_and_staff_replies_tell_integrations_through_ticket_events(stack):
    """GIVEN an integration subscribed to the events topic WHEN a mail opens a ticket, the customer
    writes again and staff reply THEN it hears created, customer_replied and staff_replied."""
    from tests.support.desk_helpers import events_inbox

    with events_inbox(stack) as inbox:
        first = deliver(stack, make_mail(message_id="<ev1@customer.org>"))
        deliver(stack, make_mail(subject="Re: x", in_reply_to="<ev1@customer.org>"))
        stack.services.outbound.reply(first.ticket, "ann@example.com", "On it.")
        seen = [(e["kind"], e["ticket"]) for e in inbox.events()]
    assert ("ticket.created", first.ticket) in seen
    assert ("ticket.customer_replied", first.ticket) in seen
    assert ("ticket.staff_replied", first.ticket) in seen
