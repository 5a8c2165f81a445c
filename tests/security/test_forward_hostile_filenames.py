"""Attack: a customer names an attachment with control characters (RFC 2231 lets a filename
carry any byte: `filename*=utf-8''a%0Bb%0D%0Ac.pdf`) so that their ticket can no longer be
forwarded: the file's name went into the forward's Content-Disposition as received, and a
line break there refused the whole mail, a vertical tab made the email package raise (a 500).

Answer: a file name is a label, not a header line: build_mime writes it without control
characters, so the forward leaves with the file; a real header with a line break is still
refused (tests/security/test_reply_html_injection.py and the header tests hold that).
"""

from __future__ import annotations

from email import message_from_bytes, policy

from chalicelib.services.ticket_forwarding import TicketForwarding
from tests.support.deliver import deliver_via
from tests.support.outbound_services import mail_out

PDF = b"%PDF-1.4\n"
HOSTILE = (
    b"From: eve@customer.test\r\nTo: support@example.com\r\nSubject: files\r\n"
    b"Message-ID: <files@customer.test>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
    b"--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    b"--B\r\nContent-Type: application/pdf\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''in%0Bvoice%0D%0ABcc%3A%20x%40evil.test.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n"
)


def test_a_ticket_whose_file_name_holds_line_breaks_is_forwarded_with_the_file():
    svc = mail_out(acknowledge_new_tickets=False)
    ticket = deliver_via(svc, HOSTILE).ticket
    forwarding = TicketForwarding(svc.settings, svc.outbound, svc.desk.store)

    forwarding.forward(ticket, "ann@example.com", "engineering@partner.test")

    [sent] = svc.sender.sent
    mail = message_from_bytes(sent.raw, policy=policy.default)
    assert [(p.get_filename(), p.get_content()) for p in mail.iter_attachments()] == [
        ("invoiceBcc: x@evil.test.pdf", PDF)
    ]
    assert mail["Bcc"] is None and sent.destinations == ("engineering@partner.test",)
