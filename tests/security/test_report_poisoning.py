"""Suppression poisoning: a bounce or complaint report mailed to support@ names a customer.

Anyone can write a DSN (RFC 3464) or an ARF report (RFC 5965). The attack: mallory spoofs
one mail From: alice, so that we acknowledge her and she becomes "an address we sent to";
then she mails support@ a report naming alice. Before the fix alice was suppressed and her
next staff reply refused. Now a mailed report counts for an address only when it names the
Message-ID of a message we sent to that address (SECURITY.md, "Reports that arrive as mail").

Each test is the attacker's mail through the real ingest (S3 object + SES Received
notification with its verdicts) against moto; SendRawEmail requests are captured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from chalicelib.domain.outcome import Outcome
from chalicelib.errors import Suppressed
from chalicelib.wiring import build_services
from inbound.local.embedded import REGION
from tests.support.deliver import deliver as deliver_to
from tests.support.mail_factory import make_mail
from tests.support.ses_requests import send_raw_request

ALICE = "alice@customer.org"
SUPPORT = "support@example.com"


@dataclass
class Desk:
    stack: Any
    svc: Any
    sent: list[dict]  # SendRawEmail requests, with SES's answer ("MessageId") added

    def deliver(self, raw: bytes, **verdicts: str) -> Outcome:
        target = SimpleNamespace(
            store=self.svc.ingest.ports.store, settings=self.svc.settings, ingest=self.svc.ingest
        )
        return deliver_to(target, raw, recipients=(SUPPORT,), **verdicts)

    def suppressed(self, address: str) -> bool:
        return bool(self.svc.suppression.check(address)["suppressed"])

    def to(self, address: str) -> list[dict]:
        return [r for r in self.sent if address in r["Destinations"]]


@pytest.fixture
def desk(stack) -> Desk:
    svc = build_services(
        replace(stack.settings, acknowledge_new_tickets=True), boto3.session.Session(region_name=REGION)
    )
    sent: list[dict] = []
    events = svc.outbound.ports.sender.client.meta.events
    events.register(
        "before-call.ses.SendRawEmail", lambda params, **_: sent.append(send_raw_request(params["body"]))
    )
    events.register(
        "after-call.ses.SendRawEmail", lambda parsed, **_: sent[-1].update(MessageId=parsed["MessageId"])
    )
    return Desk(stack, svc, sent)


def dsn(named: str, original_headers: str, in_reply_to: str = "") -> bytes:
    """A delivery status notification as an MTA writes one: text, status, returned headers."""
    head = (
        "From: Mail Delivery Subsystem <mailer-daemon@mx.customer.org>\r\n"
        f"To: {SUPPORT}\r\nSubject: Delivery Status Notification (Failure)\r\n"
        "Message-ID: <dsn-forged@mx.customer.org>\r\nMIME-Version: 1.0\r\n"
        + (f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else "")
        + "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
    )
    body = (
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery to the following recipient failed permanently.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.org\r\n\r\n"
        f"Final-Recipient: rfc822; {named}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{original_headers}\r\n--B--\r\n"
    )
    return (head + body).encode()


def arf(named: str, original_message_id: str) -> bytes:
    """An ARF abuse report (RFC 5965) as a feedback loop sends one."""
    return (
        "From: Feedback Loop <fbl@isp.example>\r\n"
        f"To: {SUPPORT}\r\nSubject: Abuse report\r\nMessage-ID: <arf-forged@isp.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=feedback-report; boundary=F\r\n\r\n"
        "--F\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        "--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
        f"User-Agent: FBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: {named}\r\n\r\n"
        "--F\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT}\r\nTo: {named}\r\nSubject: Your request\r\nMessage-ID: {original_message_id}\r\n"
        "\r\n--F--\r\n"
    ).encode()


def spoof_alice(desk: Desk) -> Outcome:
    """Mallory's first step: one mail From: alice (SES: DMARC FAIL), which we acknowledge."""
    outcome = desk.deliver(
        make_mail(subject="Hi", sender=f"Alice <{ALICE}>", message_id="<spoof@evil.test>"), dmarc="FAIL"
    )
    assert outcome.outcome == "created" and len(desk.to(ALICE)) == 1, "alice is now 'an address we sent to'"
    return outcome


def assert_staff_reply_reaches(desk: Desk, ticket_id: str, address: str) -> None:
    before = len(desk.to(address))
    desk.svc.outbound.reply(ticket_id, "agent@example.com", "Here is the answer.")
    assert len(desk.to(address)) == before + 1


@pytest.mark.parametrize("reference", ["none", "the spoofed mail", "a guessed id of ours"])
def test_a_forged_dsn_naming_a_customer_we_acknowledged_suppresses_nobody(desk, reference):
    spoofed = spoof_alice(desk)
    message_id = {
        "none": "",
        "the spoofed mail": "<spoof@evil.test>",
        "a guessed id of ours": f"<{spoofed.ticket.lower()}.0123456789abcdef@example.com>",
    }[reference]
    headers = f"From: {ALICE}\r\nTo: {SUPPORT}\r\nSubject: Hi" + (
        f"\r\nMessage-ID: {message_id}" if message_id else ""
    )
    report = desk.deliver(dsn(ALICE, headers, in_reply_to=message_id), dmarc="GRAY")

    assert report.outcome == "bounce" and report.failed_recipients == (ALICE,)
    assert not desk.suppressed(ALICE)
    assert_staff_reply_reaches(desk, spoofed.ticket, ALICE)
    assert (
        "unverified report for alice@customer.org" in report.reason and "nobody suppressed" in report.reason
    )
    record = desk.stack.deliveries.get_delivery(report.ses_message_id)
    assert (record["unverified"], record["suppressed"]) == ([ALICE], [])
    if reference == "the spoofed mail":  # recorded on the ticket it names, for staff to see
        assert report.ticket == spoofed.ticket
        [note] = [m for m in desk.stack.tickets.messages(spoofed.ticket) if m.kind == "report"]
        assert "unverified" in note.reason
        ticket = desk.stack.tickets.get_ticket(spoofed.ticket)
        assert (ticket.requester, ticket.participants) == (ALICE, (ALICE,))


def test_a_forged_arf_complaint_naming_a_customer_suppresses_nobody(desk):
    spoofed = spoof_alice(desk)
    report = desk.deliver(arf(ALICE, "<made-up-1@example.com>"), dmarc="GRAY")
    assert report.outcome == "bounce" and report.failed_recipients == (ALICE,)
    assert not desk.suppressed(ALICE)
    assert_staff_reply_reaches(desk, spoofed.ticket, ALICE)
    assert "unverified report for alice@customer.org" in report.reason


def test_a_report_naming_our_message_to_someone_else_does_not_suppress_alice(desk):
    """Mallory is a customer too: she knows the Message-ID of the acknowledgement we sent her."""
    spoof_alice(desk)
    mallory = desk.deliver(make_mail(subject="Mine", sender="Mallory <mallory@evil.test>"))
    [ack] = desk.to("mallory@evil.test")
    ses_alias = f"<{ack['MessageId']}@email.amazonses.com>"
    report = desk.deliver(arf(ALICE, ses_alias))
    assert not desk.suppressed(ALICE) and not desk.suppressed("mallory@evil.test")
    assert "not sent to that address" in report.reason and report.ticket == mallory.ticket


@pytest.mark.parametrize("which_id", ["SES's Message-ID", "our Message-ID"])
def test_a_genuine_dsn_for_a_message_we_sent_still_suppresses(desk, which_id):
    """SES gives the sent message its own Message-ID, so a real DSN returns that one."""
    created = desk.deliver(make_mail(subject="Question", sender=f"Alice <{ALICE}>"))
    [ack] = desk.to(ALICE)
    ours = str(message_from_bytes(ack["Raw"], policy=policy.default)["Message-ID"])
    returned = f"<{ack['MessageId']}@email.amazonses.com>" if which_id == "SES's Message-ID" else ours
    headers = f"From: {SUPPORT}\r\nTo: {ALICE}\r\nSubject: We received your request\r\nMessage-ID: {returned}"
    report = desk.deliver(dsn(ALICE, headers), dmarc="GRAY")

    assert report.outcome == "bounce" and "unverified" not in report.reason
    assert desk.svc.suppression.check(ALICE)["reason"] == "BOUNCE"
    record = desk.stack.deliveries.get_delivery(report.ses_message_id)
    assert (record["verified"], record["unverified"]) == ([ALICE], [])
    [note] = [m for m in desk.stack.tickets.messages(created.ticket) if m.kind == "report"]
    assert "suppressed: alice@customer.org" in note.reason
    with pytest.raises(Suppressed):
        desk.svc.outbound.reply(created.ticket, "agent@example.com", "Here is the answer.")


def test_a_participant_copied_on_alices_reply_cannot_suppress_her_with_its_message_id(desk):
    """Mallory is a participant of alice's ticket (alice copied her once, or staff added her):
    she receives the staff reply that went to alice too, so she knows a Message-ID of ours
    that was sent to alice. A message with several recipients proves nothing about any one
    of them; SES's own bounce event for it still does."""
    created = desk.deliver(make_mail(subject="Question", sender=f"Alice <{ALICE}>"))
    desk.svc.outbound.reply(created.ticket, "agent@example.com", "Hello.")
    desk.svc.desk.add_participant(created.ticket, "agent@example.com", "mallory@evil.test")
    desk.svc.outbound.reply(created.ticket, "agent@example.com", "Here is the answer.")
    [copied] = desk.to("mallory@evil.test")
    assert sorted(copied["Destinations"]) == [ALICE, "mallory@evil.test"]
    ours = str(message_from_bytes(copied["Raw"], policy=policy.default)["Message-ID"])
    for returned in (ours, f"<{copied['MessageId']}@email.amazonses.com>"):
        headers = f"From: {SUPPORT}\r\nTo: {ALICE}, mallory@evil.test\r\nSubject: Re: Question\r\nMessage-ID: {returned}"
        report = desk.deliver(dsn(ALICE, headers, in_reply_to=returned), dmarc="GRAY")
        assert report.outcome == "bounce" and not desk.suppressed(ALICE)
        assert "unverified report for alice@customer.org" in report.reason
        assert "went to more than one recipient" in report.reason
    assert_staff_reply_reaches(desk, created.ticket, ALICE)
