"""Attack: a replay that takes a real mail's place in quarantine. A copy of a quarantined mail
is that quarantine entry's duplicate, archived unseen (message_claims.quarantine_claim), and the
claim read the bytes after SES's trace, the envelope sender and the recipients: nothing of who
delivered them. Mallory, copied on alice's mail, has its bytes; she hands them to our MX first,
from her own server with alice's envelope sender (SMTP lets anyone write any MAIL FROM). SES
finds both spam (the same words), but hers fails SPF and DMARC where alice's passes. Alice's
real delivery was then the replay's "duplicate": quarantine/spam/ held mallory's copy alone,
and releasing it filed a mail the policy cannot authenticate, so alice's reply opened a ticket
apart instead of joining hers.

Answer: the claim covers the delivery's SPF, DKIM and DMARC verdicts too. The same delivery
again (SES's retry, the sender's server retrying from where it may send) has the same verdicts
and is still a duplicate; a delivery that authenticates otherwise is judged on its own."""

from __future__ import annotations

import pytest

from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

# What SES prepends to each delivery it stores: the envelope sender, its hop, its verdicts.
TRACE = (
    "Return-Path: <alice@customer.org>\r\n"
    "Received: from {peer} by inbound-smtp.eu-west-1.amazonaws.com with SMTP id {ses_id}"
    " for support@example.com; Tue, 08 Dec 2026 03:40:00 +0000 (UTC)\r\n"
    "X-SES-Spam-Verdict: FAIL\r\nX-SES-Virus-Verdict: PASS\r\n"
    "Authentication-Results: amazonses.com; spf={spf} smtp.mailfrom=alice@customer.org;"
    " dkim=none; dmarc={dmarc} header.from=customer.org;\r\n"
)
ALICE_SERVER = {"peer": "mx.customer.org (192.0.2.7)", "spf": "pass", "dmarc": "pass"}
MALLORY_SERVER = {"peer": "mail.evil.test (203.0.113.66)", "spf": "fail", "dmarc": "fail"}


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def _alices_mail() -> bytes:
    """Her reply, signed by nothing but her domain's SPF record, with words SES calls spam."""
    return make_mail(
        subject="Re: My invoice",
        body="Pay the balance here: https://customer.org/pay?x=1",
        message_id="<a2@customer.org>",
        in_reply_to="<a1@customer.org>",
        references="<a1@customer.org>",
        cc="mallory@evil.test",
    )


def _stored(ses_id: str, server: dict[str, str]) -> bytes:
    return TRACE.format(ses_id=ses_id, **server).encode() + _alices_mail()


def test_a_replay_that_fails_authentication_does_not_make_the_real_mail_a_quarantine_duplicate(stack):
    """GIVEN mallory's replay of alice's bytes, SPF and DMARC failing, quarantined as spam
    WHEN alice's own delivery (SPF and DMARC passing) arrives THEN it is quarantined too, an
    entry of its own staff can release; it is not archived as the replay's duplicate."""
    replay = deliver(
        stack,
        _stored("sesreplay00001", MALLORY_SERVER),
        message_id="sesreplay00001",
        spam="FAIL",
        spf="FAIL",
        dkim="NONE",
        dmarc="FAIL",
        source="alice@customer.org",
    )
    real = deliver(
        stack,
        _stored("sesalice000001", ALICE_SERVER),
        message_id="sesalice000001",
        spam="FAIL",
        spf="PASS",
        dkim="NONE",
        dmarc="PASS",
        source="alice@customer.org",
    )

    assert (replay.outcome, real.outcome) == ("quarantined", "quarantined"), real.reason
    assert stack.keys("quarantine/spam/") == [
        "quarantine/spam/sesalice000001",
        "quarantine/spam/sesreplay00001",
    ]


def test_the_real_mail_delivered_twice_is_still_one_quarantine_entry(stack):
    """The same delivery again (her server retrying after a lost `250`): the same verdicts."""
    verdicts = {"spam": "FAIL", "spf": "PASS", "dkim": "NONE", "dmarc": "PASS"}
    first = deliver(stack, _stored("sesalice000001", ALICE_SERVER), message_id="sesalice000001", **verdicts)
    again = deliver(stack, _stored("sesalice000002", ALICE_SERVER), message_id="sesalice000002", **verdicts)

    assert (first.outcome, again.outcome) == ("quarantined", "duplicate")
    assert stack.keys("quarantine/spam/") == ["quarantine/spam/sesalice000001"]
