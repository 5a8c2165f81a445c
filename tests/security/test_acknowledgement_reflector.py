"""The acknowledgement as a reflector: whoever writes From: chooses who gets our acknowledgement.

Before the fix a spoofed sender's display name (line breaks kept) and subject were mailed
verbatim, from support@ on the company's domain and DKIM-signed by SES, to any address:
3 per recipient a day and no limit on recipients. Now the acknowledgement says the same
neutral words to everyone, and acknowledgements to unauthenticated senders are capped per
recipient domain (SECURITY.md, "Automatic mail").

Each test is the attacker's mail through the real ingest against moto (SES Received
notification with DMARC FAIL: the From is spoofed); SendRawEmail requests are captured.
"""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy

import boto3
import pytest

from chalicelib.wiring import build_services
from inbound.local.embedded import REGION
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.ses_requests import send_raw_request

VICTIM = "victim@bank-customer.test"
# RFC 2047 words that decode to line breaks: the name alone would be a two-line message.
NAME = "=?utf-8?q?Your_account_is_locked=0D=0A=0D=0ACall_+1-800-555-0100_now?="
SUBJECT = "Urgent: verify your account at https://bank-customer.test.evil.test/login"


def spoofed() -> bytes:
    """Written by hand: the stdlib refuses to write a display name that decodes to CR LF."""
    return (
        f"From: {NAME} <{VICTIM}>\r\nTo: support@example.com\r\nSubject: {SUBJECT}\r\n"
        "Message-ID: <phish-1@evil.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n"
        "Please see below.\r\n"
    ).encode()


@pytest.fixture
def wired(stack):
    def build(**changes):
        settings = replace(stack.settings, acknowledge_new_tickets=True, **changes)
        svc = build_services(settings, boto3.session.Session(region_name=REGION))
        sent: list[dict] = []
        svc.outbound.ports.sender.client.meta.events.register(
            "before-call.ses.SendRawEmail", lambda params, **_: sent.append(send_raw_request(params["body"]))
        )
        return svc, sent

    return build


def test_the_acknowledgement_of_a_spoofed_mail_carries_none_of_its_words(stack, wired):
    svc, sent = wired()
    outcome = deliver_via(svc, spoofed(), dmarc="FAIL")
    assert outcome.outcome == "created"
    [request] = sent  # default: unauthenticated senders are acknowledged, neutrally
    assert request["Destinations"] == [VICTIM]
    ack = message_from_bytes(request["Raw"], policy=policy.default)
    shown = " ".join(
        [
            str(ack["Subject"]),
            str(ack["To"]),
            *(part.get_content() for part in ack.walk() if part.get_content_maintype() == "text"),
        ]
    )
    for planted in (
        "account is locked",
        "555-0100",
        "Urgent",
        "verify your account",
        "evil.test",
        "https://",
    ):
        assert planted not in shown, f"{planted!r} was reflected"
    assert ack["Subject"] == f"We received your request [{outcome.ticket}]"
    assert ack["To"] == VICTIM and f"request {outcome.ticket}" in ack.get_body(("plain",)).get_content()


def test_fifty_spoofed_senders_at_one_domain_get_at_most_the_domain_cap(stack, wired):
    svc, sent = wired()
    cap = 20  # the documented default, INBOUND_AUTO_REPLIES_PER_DOMAIN_PER_DAY
    outcomes = [
        deliver_via(
            svc, make_mail(subject="Hi", sender=f"Victim {n} <v{n}@bank-customer.test>"), dmarc="FAIL"
        )
        for n in range(50)
    ]
    assert all(o.outcome == "created" for o in outcomes), "every mail is still a ticket"
    reached = {r["Destinations"][0] for r in sent}
    assert len(sent) == len(reached) == cap
    assert reached == {f"v{n}@bank-customer.test" for n in range(cap)}
    # Another domain's senders are not held back by it.
    other = deliver_via(svc, make_mail(subject="Hi", sender="someone@else.test"), dmarc="FAIL")
    assert other.outcome == "created" and sent[-1]["Destinations"] == ["someone@else.test"]


def test_spellings_of_one_mailbox_share_its_acknowledgement_cap(stack, wired):
    """`"victim"@d`, `victim@d.` and `VICTIM@D` are victim@d (RFC 5321 4.1.2 and 2.3.5): each
    spelling once had a cap of its own, a fourth and fifth acknowledgement to one mailbox."""
    svc, sent = wired()
    local, _, host = VICTIM.partition("@")
    for sender in (VICTIM, VICTIM, VICTIM, f'"{local}"@{host}', f"{VICTIM}.", VICTIM.upper()):
        raw = f"From: {sender}\r\nTo: support@example.com\r\nSubject: Hi\r\n\r\nHello.\r\n".encode()
        assert deliver_via(svc, raw, dmarc="FAIL").outcome == "created"
    assert [r["Destinations"] for r in sent] == [[VICTIM]] * 3  # the documented 3 a day
