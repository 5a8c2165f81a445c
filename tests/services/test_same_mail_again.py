"""The same mail under a second SES message id: one outcome, and a duplicate for every other copy.

SES gives each delivery its own message id, so a mail that arrives twice (a sender's server
retrying after a lost `250`, a forwarder's copy, an attacker's replay, or the local stack
handing a mail back again after a kill -9: tests/e2e/test_crash_points_mail.py) is two
deliveries. A mail filed on a ticket is recognised again by its Message-ID and fingerprint in
the index (domain/message_claims.py; `test_same_message_id_is_one_message_per_mailbox` in
test_ingest.py for a new ticket); here are the other outcomes, those that file no ticket
message of their own (a suspended auto-reply, a mailed bounce report) above all: they were
recognised by their SES message id only, and a second copy was suspended (or recorded)
again. `make test` runs these for the kill in test_crash_points_mail's `mailed-back`."""

from __future__ import annotations

import pytest

from chalicelib.domain.message_claims import UnfiledClaim
from chalicelib.domain.reply_tokens import reply_address
from tests.fakes.stack import SECRET, FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

AWAY = {"Auto-Submitted": "auto-replied"}


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def _dsn(message_id: str, returned_id: str, named: str = "gone@customer.org") -> bytes:
    """A delivery status notification (RFC 3464) returning the headers of `returned_id`."""
    return (
        "From: Mail Delivery Subsystem <mailer-daemon@mx.customer.org>\r\n"
        "To: support@example.com\r\nSubject: Delivery Status Notification (Failure)\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.org\r\n\r\n"
        f"Final-Recipient: rfc822; {named}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@example.com\r\nTo: {named}\r\nMessage-ID: {returned_id}\r\n\r\n--B--\r\n"
    ).encode()


def _twice(stack: FakeStack, raw: bytes, **kwargs) -> list[str]:
    return [deliver(stack, raw, **kwargs).outcome for _ in range(2)]


def test_an_auto_reply_that_threads_nowhere_is_suspended_once_however_often_it_arrives(stack):
    """GIVEN an out-of-office reply that threads nowhere WHEN it arrives under two SES ids
    THEN it is on the suspended list once, the other copy a duplicate, both raws archived."""
    away = make_mail(subject="Out of office", message_id="<away-1@customer.org>", headers=AWAY)
    first = deliver(stack, away)
    again = deliver(stack, away)

    assert (first.outcome, again.outcome) == ("auto_reply", "duplicate")
    assert "<away-1@customer.org>" in again.reason and first.ses_message_id in again.reason
    assert [s.ses_message_id for s in stack.suspended.list("support")] == [first.ses_message_id]
    assert stack.keys("incoming/") == [] and len(stack.keys("archive/")) == 2
    assert stack.tickets.tickets == {}


def test_another_mail_claiming_a_suspended_mails_message_id_is_suspended_too(stack):
    """GIVEN a suspended auto-reply WHEN a different auto-reply carries its Message-ID (from
    another sender) THEN both are on the suspended list: a claimed id pre-empts nothing."""
    deliver(stack, make_mail(subject="Out of office", message_id="<away-2@customer.org>", headers=AWAY))
    forged = make_mail(
        subject="Out of office", sender="mallory@evil.test", message_id="<away-2@customer.org>", headers=AWAY
    )
    assert deliver(stack, forged).outcome == "auto_reply"
    assert len(stack.suspended.list("support")) == 2


def test_a_copy_of_a_delivery_that_claimed_its_mail_before_a_crash_is_filed_by_that_delivery(stack):
    """GIVEN a delivery that claimed its mail and stopped before recording its outcome (a kill)
    WHEN the same delivery runs again THEN it is suspended (its own claim), not a duplicate."""
    away = make_mail(subject="Out of office", message_id="<away-3@customer.org>", headers=AWAY)
    claim = UnfiledClaim("support", "<away-3@customer.org>", _fingerprint_of(stack, away))
    assert stack.tickets.claim_unfiled(claim, "sesclaimedbeforekill") == "sesclaimedbeforekill"

    outcome = deliver(stack, away, message_id="sesclaimedbeforekill")

    assert outcome.outcome == "auto_reply" and "suspended" in outcome.reason
    assert deliver(stack, away).outcome == "duplicate"


def test_an_auto_reply_or_a_reply_on_a_ticket_is_one_message_however_often_it_arrives(stack):
    first = deliver(stack, make_mail(message_id="<q-1@customer.org>"))
    nonce = stack.tickets.require_ticket(first.ticket).token_nonce
    address = reply_address(SECRET, "support@example.com", first.ticket, nonce)
    away = make_mail(subject="Out: Printer", to=address, message_id="<away-4@customer.org>", headers=AWAY)
    reply = make_mail(subject="Re: Printer", to=address, message_id="<reply-4@customer.org>")

    assert _twice(stack, away, recipients=(address,)) == ["auto_reply", "duplicate"]
    assert _twice(stack, reply, recipients=(address,)) == ["threaded", "duplicate"]
    kinds = sorted(m.kind for m in stack.tickets.messages(first.ticket))
    assert kinds == ["auto_reply", "customer", "customer"]
    assert stack.tickets.require_ticket(first.ticket).message_count == 3


def test_a_mailed_bounce_is_recorded_once_however_often_it_arrives(stack):
    """GIVEN a DSN naming no ticket's message, and one naming a message of a ticket WHEN each
    arrives under two SES ids THEN each is one bounce and one duplicate, and the ticket
    shows its report once; a report on another message under the first's Message-ID is a
    bounce of its own."""
    assert _twice(stack, _dsn("<dsn-1@mx.customer.org>", "<never-ours@example.com>")) == [
        "bounce",
        "duplicate",
    ]
    other = _dsn("<dsn-1@mx.customer.org>", "<never-ours-either@example.com>")
    assert deliver(stack, other).outcome == "bounce", "another report under the same Message-ID"
    first = deliver(stack, make_mail(message_id="<q-5@customer.org>"))
    on_ticket = _dsn("<dsn-2@mx.customer.org>", "<q-5@customer.org>")
    outcomes = [deliver(stack, on_ticket) for _ in range(2)]

    assert [(o.outcome, o.ticket) for o in outcomes] == [("bounce", first.ticket), ("duplicate", None)]
    kinds = [m.kind for m in stack.tickets.messages(first.ticket)]
    assert kinds == ["customer", "report"]


def _fingerprint_of(stack: FakeStack, raw: bytes) -> str:
    """The fingerprint ingest computes for `raw` from alice, as the notification's verdicts
    (all PASS: authenticated) make it."""
    from chalicelib.domain.message_claims import claim_of

    return claim_of(stack.ingest.ports.read_mail(raw), "alice@customer.org", True).fingerprint
