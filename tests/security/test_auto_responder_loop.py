"""A mail loop with an auto-responder that does not say it is one.

RFC 3834 asks auto-responders to write `Auto-Submitted`, and inbound answers no mail that
does; many (helpdesks, mailbox rules, scripts) do not. Such a responder answers our
acknowledgement at its From, support@, with `Re: We received your request [T-n]` and
`In-Reply-To` our acknowledgement's Message-ID. Unauthenticated, that opens a new ticket
linked to T-n, which was acknowledged again, which the responder answered again: three
acknowledgements and tickets a day for as long as both ran (the per-recipient cap was the
only brake).

GIVEN bot@responder.test wrote once and was acknowledged WHEN its answers to our
acknowledgements come back THEN each is a ticket message as ever, and none is acknowledged:
a mail that answers mail we sent to that very address gets no automatic answer. A person
writing afresh from the same address is still acknowledged.
"""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy

import boto3

from chalicelib.wiring import build_services
from inbound.local.embedded import REGION
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.ses_requests import send_raw_request

BOT = "bot@responder.test"
UNPROVEN = {"dmarc": "GRAY", "spf": "GRAY", "dkim": "GRAY"}  # the responder's domain proves nothing


def test_answers_to_our_acknowledgements_are_filed_and_not_acknowledged_again(stack) -> None:
    svc = build_services(
        replace(stack.settings, acknowledge_new_tickets=True), boto3.session.Session(region_name=REGION)
    )
    sent: list[dict] = []
    svc.outbound.ports.sender.client.meta.events.register(
        "before-call.ses.SendRawEmail", lambda params, **_: sent.append(send_raw_request(params["body"]))
    )

    def acknowledgements() -> list:
        return [
            message_from_bytes(r["Raw"], policy=policy.default) for r in sent if r["Destinations"] == [BOT]
        ]

    first = deliver_via(svc, make_mail(sender=BOT, subject="Order 7 is late"), **UNPROVEN)
    assert first.outcome == "created"
    [answered] = acknowledgements()
    for _ in range(4):
        echo = make_mail(
            sender=BOT,
            subject=f"Re: {answered['Subject']}",
            body="Thank you for your message. This mailbox is not monitored.",
            in_reply_to=answered["Message-ID"],
            references=answered["Message-ID"],
        )
        outcome = deliver_via(svc, echo, **UNPROVEN)
        assert outcome.outcome == "created" and outcome.ticket, outcome  # filed, as every mail is
        answered = acknowledgements()[-1]  # the responder answers our newest mail
    assert len(acknowledgements()) == 1

    fresh = deliver_via(svc, make_mail(sender=BOT, subject="Another question"), **UNPROVEN)
    assert fresh.outcome == "created"
    assert len(acknowledgements()) == 2
