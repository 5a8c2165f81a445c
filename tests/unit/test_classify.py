"""What kind of mail arrived: virus, spam, bounce, automatic reply or a person; which verdict
wins, and which addresses are automatic (how automatic replies are recognised:
test_classify_auto_replies.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain.classify import classify, is_automatic_address, requests_no_auto_reply
from chalicelib.domain.classify_types import BounceReport
from chalicelib.domain.mail import Verdicts
from tests.support.stdlib_mail import customer_mail

CLEAN = Verdicts(spam="PASS", virus="PASS")


def test_bounce_report_becomes_a_bounce_with_its_recipients():
    """GIVEN a bounce report from the detector
    WHEN the mail is classified
    THEN the classification carries the failed recipients, permanence and reason."""
    bounce = BounceReport(("bob@example.org",), True, "delivery status notification (RFC 3464): failed 5.1.1")

    result = classify(customer_mail(Auto_Submitted="auto-replied"), CLEAN, bounce)

    assert result.kind == "bounce"
    assert result.failed_recipients == ("bob@example.org",)
    assert result.permanent is True
    assert result.reason == "delivery status notification (RFC 3464): failed 5.1.1"


def test_virus_verdict_wins_over_everything():
    """GIVEN a virus FAIL on a mail that is also spam, a bounce and an auto-reply
    WHEN it is classified
    THEN it is a virus, whatever else it is."""
    bounce = BounceReport(("bob@example.org",), True, "x")

    result = classify(customer_mail(Precedence="bulk"), Verdicts(spam="FAIL", virus="FAIL"), bounce)

    assert (result.kind, result.reason) == ("virus", "SES virus verdict: FAIL")


def test_spam_verdict_wins_over_bounce_and_auto_reply():
    """GIVEN a spam FAIL on a mail that looks like a bounce and an auto-reply
    WHEN it is classified
    THEN it is spam: a forged bounce must not suppress anyone."""
    bounce = BounceReport(("bob@example.org",), True, "x")

    result = classify(customer_mail(Precedence="bulk"), Verdicts(spam="FAIL", virus="PASS"), bounce)

    assert (result.kind, result.reason, result.failed_recipients) == ("spam", "SES spam verdict: FAIL", ())


def test_bounce_wins_over_auto_reply_headers():
    """GIVEN a DSN that also carries Auto-Submitted and Return-Path <>
    WHEN it is classified with its bounce report
    THEN it is a bounce, so the suppression list learns of it."""
    bounce = BounceReport(("bob@example.org",), False, "delayed")

    result = classify(customer_mail(Auto_Submitted="auto-replied", Return_Path="<>"), CLEAN, bounce)

    assert result.kind == "bounce"


@pytest.mark.parametrize("status", ["GRAY", "PROCESSING_FAILED", "NONE", "PASS"])
def test_only_fail_verdicts_reject(status):
    """GIVEN spam and virus verdicts other than FAIL
    WHEN a customer's mail is classified
    THEN it is normal."""
    assert classify(customer_mail(), Verdicts(spam=status, virus=status), None).kind == "normal"


@pytest.mark.parametrize(
    ("value", "suppress"),
    [("All", True), ("DR, OOF, AutoReply", True), ("autoreply", True), ("OOF", False), ("RN, NRN", False)],
)
def test_requests_no_auto_reply_reads_x_auto_response_suppress(value, suppress):
    """GIVEN X-Auto-Response-Suppress with some values
    WHEN the outbound guard asks whether an acknowledgement may go out
    THEN only All or AutoReply forbid it (an acknowledgement is not an OOF)."""
    assert requests_no_auto_reply(customer_mail(X_Auto_Response_Suppress=value)) is suppress
    assert requests_no_auto_reply(customer_mail()) is False


@pytest.mark.parametrize(
    "address",
    [
        "noreply@shop.example",
        "no-reply@shop.example",
        "No_Reply@shop.example",
        "do-not-reply@shop.example",
        "donotreply@shop.example",
        "support-noreply@shop.example",
        "MAILER-DAEMON@mx.example.org",
        "postmaster@example.org",
        "bounce@mail.example.org",
        "bounces+abc=customer.example@mail.example.org",
        "notifications@github.example",
        "notification@service.example",
        "alerts@monitor.example",
        "printers-request@lists.example.org",
        "owner-printers@lists.example.org",
        "",
        "<>",
    ],
)
def test_automatic_addresses(address):
    """GIVEN an address no person reads
    WHEN the outbound guard checks it
    THEN it is automatic."""
    assert is_automatic_address(address) is True


@pytest.mark.parametrize(
    "address",
    [
        "alice@customer.example",
        "noreen@customer.example",
        "bouncer.fan@customer.example",
        "replies@customer.example",
    ],
)
def test_personal_addresses(address):
    """GIVEN an address that only resembles an automatic one
    WHEN the outbound guard checks it
    THEN it is a person."""
    assert is_automatic_address(address) is False
