"""Bounces, delay warnings and complaints, read from mail the tests write themselves."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mail.bounce_detector import COMPLAINT_REASON, FLUFL_MAX_BYTES, detect_bounce
from chalicelib.domain.classify import classify
from chalicelib.domain.mail import ParsedMail, Verdicts
from tests.support.stdlib_mail import parsed


def dsn(*recipient_blocks: str, sender: str = "Mail Delivery System <MAILER-DAEMON@mx.example.org>") -> bytes:
    """An RFC 3464 report from an MTA about mail support@example.com sent."""
    blocks = "\r\n".join(recipient_blocks)
    return (
        "Return-Path: <>\r\n"
        f"From: {sender}\r\n"
        "To: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\r\n'
        "\r\n--dsn\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\nArrival-Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n"
        f"{blocks}"
        "--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: support@example.com\r\nTo: bob@example.net\r\nSubject: Re: [#42] Your invoice\r\n"
        "--dsn--\r\n"
    ).encode()


def record(final: str, action: str, status: str, original: str = "") -> str:
    lines = [f"Original-Recipient: rfc822; {original}"] if original else []
    lines += [f"Final-Recipient: rfc822; {final}", f"Action: {action}", f"Status: {status}"]
    return "\r\n".join(lines) + "\r\n\r\n"


SENDMAIL_TEXT = (
    "The original message was received at Fri, 27 Nov 2026 10:00:00 +0000\r\n"
    "from support.example.com [192.0.2.1]\r\n\r\n"
    "   ----- The following addresses had permanent fatal errors -----\r\n"
    "<Carol@Example.NET>\r\n"
    "    (reason: 550 5.1.1 <carol@example.net>... User unknown)\r\n\r\n"
    "   ----- Transcript of session follows -----\r\n"
    "550 5.1.1 <carol@example.net>... User unknown\r\n"
)


def plain(headers: str, body: str) -> bytes:
    return (headers.replace("\n", "\r\n") + "\r\n" + body).encode()


def test_dsn_with_permanent_and_delayed_recipients_reports_the_permanent_ones():
    """GIVEN a DSN naming two failed recipients (one twice, in capitals) and one delayed
    WHEN it is read
    THEN the failed ones come back once each, lower-cased, permanent, and the delayed one
    is left out (its own final report will come)."""
    raw = dsn(
        record("bob@example.net", "failed", "5.1.1"),
        record("BOB@Example.NET", "failed", "5.1.1"),
        record("dave@example.org", "delayed", "4.4.1"),
        record("erin@example.com", "failed", "5.2.2 (mailbox full)"),
    )

    report = detect_bounce(parsed(raw))

    assert report is not None
    assert report.recipients == ("bob@example.net", "erin@example.com")
    assert report.permanent is True
    assert report.reason == "delivery status notification (RFC 3464): failed 5.1.1"


def test_delay_warning_is_a_transient_bounce():
    """GIVEN a DSN whose only recipient is delayed
    WHEN it is read
    THEN it is a bounce report with permanent=False."""
    report = detect_bounce(parsed(dsn(record("dave@example.org", "delayed", "4.4.7"))))

    assert report is not None
    assert (report.recipients, report.permanent) == (("dave@example.org",), False)
    assert report.reason == "delivery status notification (RFC 3464): delayed 4.4.7"


def test_failed_with_transient_status_is_not_permanent():
    """GIVEN "Action: failed" with a 4.x.x status (the MTA gave up on a transient condition)
    WHEN it is read
    THEN the recipient is reported, but not as permanent."""
    report = detect_bounce(parsed(dsn(record("dave@example.org", "failed", "4.4.7"))))

    assert report is not None and report.permanent is False


def test_original_recipient_is_preferred_over_final_recipient():
    """GIVEN a record whose Final-Recipient is the alias the mail was expanded to
    WHEN it is read
    THEN the address we sent to (Original-Recipient) is reported."""
    raw = dsn(record("bob.internal@mailhost.example.net", "failed", "5.1.1", original="bob@example.net"))

    assert detect_bounce(parsed(raw)).recipients == ("bob@example.net",)


def test_delivered_and_relayed_records_are_not_failures():
    """GIVEN a DSN whose records say delivered and relayed
    WHEN it is read
    THEN there is no bounce, and the mail classifies as an auto_reply instead of a ticket."""
    mail = parsed(
        dsn(record("bob@example.net", "delivered", "2.0.0"), record("erin@example.com", "relayed", "2.0.0"))
    )

    assert detect_bounce(mail) is None
    assert classify(mail, Verdicts(), None).kind == "auto_reply"


def test_records_without_blank_lines_between_them_are_still_separated():
    """GIVEN a DSN whose per-recipient fields run together without blank lines
    WHEN it is read
    THEN each recipient still gets its own outcome."""
    raw = dsn(
        "Final-Recipient: rfc822; bob@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Final-Recipient: rfc822; dave@example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
    )

    report = detect_bounce(parsed(raw))

    assert (report.recipients, report.permanent) == (("bob@example.net",), True)


def test_non_standard_sendmail_bounce_is_read_by_flufl():
    """GIVEN a plain-text bounce ("The following addresses had permanent fatal errors")
    WHEN it is read
    THEN flufl.bounce's heuristics find the recipient, lower-cased."""
    raw = plain(
        "Return-Path: <>\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
        "To: support@example.com\nSubject: Returned mail: see transcript for details\n",
        SENDMAIL_TEXT,
    )

    report = detect_bounce(parsed(raw))

    assert report is not None
    assert (report.recipients, report.permanent) == (("carol@example.net",), True)
    assert report.reason == "non-standard bounce (flufl.bounce): failed"


def test_exim_failed_recipients_header():
    """GIVEN an Exim bounce that lists the failures in X-Failed-Recipients
    WHEN it is read
    THEN those recipients are reported as permanent."""
    raw = plain(
        "Return-Path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
        "X-Failed-Recipients: carol@example.net, Dave@Example.org\nSubject: Mail delivery failed\n",
        "This message was created automatically by mail delivery software.\r\n",
    )

    assert set(detect_bounce(parsed(raw)).recipients) == {"carol@example.net", "dave@example.org"}


def test_customer_quoting_a_bounce_is_not_a_bounce():
    """GIVEN a customer who pastes the bounce text they got into their own mail
    WHEN it is read
    THEN it is not a bounce: the heuristics never see mail from a person."""
    raw = plain(
        "Return-Path: <alice@customer.example>\nFrom: Alice <alice@customer.example>\n"
        "To: support@example.com\nSubject: Your reply never arrived\n",
        "Hi, I got this back when writing to my colleague:\r\n\r\n" + SENDMAIL_TEXT,
    )

    mail = parsed(raw)

    assert detect_bounce(mail) is None
    assert classify(mail, Verdicts(), None).kind == "normal"


def test_customer_forwarding_a_dsn_as_attachment_is_not_a_bounce():
    """GIVEN a customer's mail with a DSN attached as message/rfc822
    WHEN it is read
    THEN it is not a bounce: parts of an attached message are not the mail's own report."""
    attached = dsn(record("bob@example.net", "failed", "5.1.1"))
    raw = (
        b"From: Alice <alice@customer.example>\r\nTo: support@example.com\r\nSubject: Fwd: Undelivered Mail\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="fwd"\r\n\r\n'
        b"--fwd\r\nContent-Type: text/plain\r\n\r\nWhy did this bounce?\r\n"
        b"--fwd\r\nContent-Type: message/rfc822\r\n\r\n" + attached + b"\r\n--fwd--\r\n"
    )

    assert detect_bounce(parsed(raw)) is None


def arf(feedback_fields: str, original_to: str = "Bob <bob@example.net>") -> bytes:
    return (
        "From: Feedback Loop <fbl@isp.example>\r\nTo: abuse@example.com\r\nSubject: Abuse report\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary="arf"\r\n'
        "\r\n--arf\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
        f"--arf\r\nContent-Type: message/feedback-report\r\n\r\n{feedback_fields}"
        "--arf\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: support@example.com\r\nTo: {original_to}\r\nSubject: Re: [#42] Your invoice\r\n\r\nHello\r\n"
        "--arf--\r\n"
    ).encode()


def test_arf_complaint_names_the_original_rcpt_to():
    """GIVEN an ARF feedback report with Original-Rcpt-To
    WHEN it is read
    THEN it is a permanent complaint about that recipient."""
    raw = arf(
        "Feedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\nVersion: 1\r\n"
        "Original-Mail-From: <support@example.com>\r\nOriginal-Rcpt-To: <Bob@Example.net>\r\n"
    )

    report = detect_bounce(parsed(raw))

    assert (report.recipients, report.permanent, report.reason) == (
        ("bob@example.net",),
        True,
        COMPLAINT_REASON,
    )
    assert classify(parsed(raw), Verdicts(), report).kind == "bounce"


def test_arf_complaint_without_original_rcpt_to_uses_the_returned_messages_to():
    """GIVEN an ARF report whose feedback part leaves out Original-Rcpt-To (Yahoo, Hotmail)
    WHEN it is read
    THEN the To of our returned message stands in."""
    raw = arf(
        "Feedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\nVersion: 1\r\n", original_to="Erin <erin@example.org>"
    )

    assert detect_bounce(parsed(raw)).recipients == ("erin@example.org",)


def test_ordinary_customer_mail_is_not_a_bounce():
    """GIVEN an ordinary customer mail
    WHEN it is read
    THEN no bounce is reported."""
    raw = plain(
        "Return-Path: <alice@customer.example>\nFrom: Alice <alice@customer.example>\n"
        "To: support@example.com\nSubject: Invoice 42, Bob, carol@example.net, Dave\n",
        "Please also copy ops@customer.example, billing@customer.example, thanks.\r\n",
    )

    assert detect_bounce(parsed(raw)) is None


def test_mail_without_a_tree_is_not_a_bounce():
    """GIVEN a ParsedMail the reader could not give a stdlib tree for
    WHEN it is read
    THEN no bounce is reported."""
    assert detect_bounce(ParsedMail(subject="Undelivered Mail")) is None


def test_large_non_standard_bounce_skips_the_slow_scan():
    """GIVEN a non-standard bounce larger than FLUFL_MAX_BYTES
    WHEN it is read
    THEN the heuristic scan is skipped, and the mail still never becomes a ticket."""
    raw = plain(
        "Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net\nSubject: Returned mail\n", SENDMAIL_TEXT
    )
    mail = parsed(raw, raw_size=FLUFL_MAX_BYTES + 1)

    assert detect_bounce(mail) is None
    assert classify(mail, Verdicts(), None).kind == "auto_reply"


def test_bounce_without_from_does_not_raise():
    """GIVEN a bounce-looking mail with no From at all (flufl.bounce's Yale detector indexes it)
    WHEN it is read
    THEN the detector answers instead of raising."""
    raw = plain("Return-Path: <>\nSubject: Returned mail\n", "Something went wrong.\r\n")

    assert detect_bounce(parsed(raw)) is None


def test_bounce_with_non_ascii_from_does_not_raise():
    """GIVEN a bounce-looking mail whose From has raw 8-bit bytes (compat32 gives flufl a Header)
    WHEN it is read
    THEN the detector answers instead of raising."""
    raw = b"Return-Path: <>\r\nFrom: Z\xc3\xa9ro <MAILER-DAEMON@mx.example.net>\r\nSubject: x\r\n\r\nbody\r\n"

    assert detect_bounce(parsed(raw)) is None


_DSN_PIECES = [
    dsn(record("bob@example.net", "failed", "5.1.1")),
    arf("Feedback-Type: abuse\r\nOriginal-Rcpt-To: bob@example.net\r\n"),
    plain("Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net\nSubject: Returned mail\n", SENDMAIL_TEXT),
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(_DSN_PIECES),
    st.integers(min_value=0, max_value=1500),
    st.binary(max_size=60),
)
def test_truncated_or_corrupted_reports_never_raise(raw, cut, noise):
    """GIVEN a DSN, ARF report or plain bounce cut short and with junk spliced in
    WHEN it is read and classified
    THEN the answer is a report or None, never an exception."""
    mangled = raw[:cut] + noise + raw[cut : cut + 200]
    mail = parsed(mangled)

    report = detect_bounce(mail)

    assert report is None or all(address == address.lower() for address in report.recipients)
    assert classify(mail, Verdicts(), report).kind in {"bounce", "auto_reply", "normal"}
