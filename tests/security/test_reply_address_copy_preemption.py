"""Attack: a copy delivered to the plain address pre-empts a reply sent to the ticket's reply
address. A customer whose domain lets SES authenticate nothing threads her replies by the signed
reply address alone (`support+T-n.<token>@`, SECURITY.md). What makes a delivery the same mail
again (message_claims.claim_of, and the content claim of a mail without a Message-ID) covered
sender, verdict and content, and the To header, but not the address SES delivered it to. Mallory,
copied on alice's reply, delivers the same bytes first to `support@` (SMTP lets her name any
envelope recipient): without the token hers opens a ticket of its own, linked to nothing. Alice's
reply, delivered to the reply address, was then its "duplicate": it never reached her ticket.

Answer: the fingerprint of a delivery to a reply address covers that address; the same reply
delivered to it again is still a duplicate."""

from __future__ import annotations

import pytest

from chalicelib.domain.reply_tokens import reply_address
from tests.fakes.stack import SECRET, FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail, without_message_id

UNAUTHENTICATED = {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL"}
PLAIN = ("support@example.com",)


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def _alices_ticket(stack: FakeStack) -> tuple[str, str]:
    first = deliver(stack, make_mail(message_id="<q-1@customer.org>"), **UNAUTHENTICATED)
    ticket = str(first.ticket)
    return ticket, reply_address(
        SECRET, "support@example.com", ticket, stack.tickets.require_ticket(ticket).token_nonce
    )


@pytest.mark.parametrize("message_id", [True, False], ids=["with Message-ID", "without Message-ID"])
def test_a_copy_to_the_plain_address_does_not_keep_the_reply_from_its_ticket(stack, message_id):
    """GIVEN alice's ticket and mallory's copy of alice's reply delivered first to support@
    WHEN alice's reply arrives at the ticket's reply address THEN it joins her ticket."""
    ticket, address = _alices_ticket(stack)
    reply = make_mail(
        subject="Re: Printer", to=address, body="Still on fire.", message_id="<r-1@customer.org>"
    )
    reply = reply if message_id else without_message_id(reply)

    forged = deliver(stack, reply, recipients=PLAIN, **UNAUTHENTICATED)
    real = deliver(stack, reply, recipients=(address,), **UNAUTHENTICATED)

    assert forged.outcome == "created" and forged.ticket != ticket
    assert (real.outcome, real.ticket, real.thread_signal) == ("threaded", ticket, "token"), real.reason
    assert [m.body.text.strip() for m in stack.tickets.messages(ticket)][-1] == "Still on fire."


@pytest.mark.parametrize("message_id", [True, False], ids=["with Message-ID", "without Message-ID"])
def test_the_same_reply_to_the_reply_address_twice_is_still_a_duplicate(stack, message_id):
    ticket, address = _alices_ticket(stack)
    reply = make_mail(
        subject="Re: Printer", to=address, body="Still on fire.", message_id="<r-2@customer.org>"
    )
    reply = reply if message_id else without_message_id(reply)

    outcomes = [deliver(stack, reply, recipients=(address,), **UNAUTHENTICATED) for _ in range(2)]

    assert [(o.outcome, o.ticket) for o in outcomes] == [("threaded", ticket), ("duplicate", ticket)]
    assert stack.tickets.require_ticket(ticket).message_count == 2
