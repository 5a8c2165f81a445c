"""Which Message-IDs a mailed report names, and whom it may then act on (pure)."""

from __future__ import annotations

from chalicelib.adapters.mail.bounce_detector import detect_bounce
from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.mailed_reports import check_report


def _dsn(third_part: str, extra_headers: str = "") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.customer.org\r\nTo: support@example.com\r\nSubject: Undelivered\r\n"
        f"{extra_headers}MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.org\r\n\r\n"
        "Final-Recipient: rfc822; alice@customer.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"{third_part}--B--\r\n"
    ).encode()


def test_a_dsn_names_the_message_id_of_its_returned_message_then_its_own_references():
    returned = (
        "--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@example.com\r\nTo: alice@customer.org\r\n"
        "Message-ID: <0100abc-1@email.amazonses.com>\r\nSubject: x\r\n\r\nbody\r\n"
    )
    report = detect_bounce(read_mail(_dsn(returned, "In-Reply-To: <t-1001.ab@example.com>\r\n")))
    assert report is not None and report.recipients == ("alice@customer.org",)
    assert report.message_ids == ("<0100abc-1@email.amazonses.com>", "<t-1001.ab@example.com>")


def test_returned_headers_pasted_into_the_text_are_read_when_no_part_carries_them():
    raw = (
        b"From: Mail Delivery System <Mailer-Daemon@mx.customer.org>\r\nTo: support@example.com\r\n"
        b"Subject: Mail delivery failed\r\nX-Failed-Recipients: alice@customer.org\r\n\r\n"
        b"This message was created automatically by mail delivery software.\r\n\r\n"
        b"A message that you sent could not be delivered to one or more of its recipients.\r\n\r\n"
        b"  alice@customer.org\r\n    mailbox unavailable\r\n\r\n"
        b"------ This is a copy of the message, including all the headers. ------\r\n"
        b"Message-ID: <t-1001.cd@example.com>\r\nFrom: support@example.com\r\n"
    )
    report = detect_bounce(read_mail(raw))
    assert report is not None and report.message_ids == ("<t-1001.cd@example.com>",)


def test_a_report_acts_only_for_recipients_of_a_message_of_ours_it_names():
    sent = {"<ours@example.com>": frozenset({"alice@customer.org"})}
    both = check_report(["alice@customer.org", "bob@customer.org"], ["<ours@example.com>"], sent)
    assert (both.verified, both.unverified) == (("alice@customer.org",), ("bob@customer.org",))
    assert both.summary == (
        "unverified report for bob@customer.org: the message of ours it names was not sent to that "
        "address; nobody suppressed for it"
    )
    assert check_report(["alice@customer.org"], [], sent).note.startswith("it names no Message-ID")
    assert "no message we sent" in check_report(["alice@customer.org"], ["<x@else.org>"], sent).note
    assert check_report(["alice@customer.org"], ["<ours@example.com>"], sent).summary == ""


def test_a_message_of_ours_with_several_recipients_vouches_for_none_of_them():
    sent = {"<reply@example.com>": frozenset({"alice@customer.org", "mallory@evil.test"})}
    check = check_report(["alice@customer.org"], ["<reply@example.com>"], sent)
    assert (check.verified, check.unverified) == ((), ("alice@customer.org",))
    assert "went to more than one recipient" in check.note
