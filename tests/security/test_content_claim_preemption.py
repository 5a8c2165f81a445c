"""Attack: content-claim pre-emption. A mail without a Message-ID is recognised again by its
content (message_claims.content_claim): From, subject, bodies, files, Date, To, Cc. A form
mailer's mail is predictable (fixed words, the Date to the second of the order); mallory sends
it first with From: the shop, which she cannot authenticate, hoping the real one is dropped as
her copy's "duplicate". It is not: the claim covers the sender-trust verdict, so an
unauthenticated delivery never shadows an authenticated one. (Tried: it did not work; kept as
the regression, with the order reversed from tests/services/test_same_mail_without_message_id.py.)
When the real mail cannot authenticate either, a copy with every covered part alike is the same
mail as far as anything can tell: it files the same words for the same requester, and what it
adds (a Reply-To) reaches nobody, since unauthenticated mail adds no participants."""

from __future__ import annotations

import pytest

from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

UNAUTHENTICATED = {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL", "source": "mallory@evil.test"}


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def _order_mail(**headers: str) -> bytes:
    """The shop's form mail: no Message-ID, fixed words, the Date of the order."""
    raw = make_mail(
        subject="Order 1042: return request",
        sender="Shop <orders@customer.org>",
        body="Customer asks to return order 1042.",
        headers=headers,
    )
    head, _, body = raw.partition(b"\n\n")
    kept = [line for line in head.split(b"\n") if not line.lower().startswith(b"message-id:")]
    return b"\n".join(kept) + b"\n\n" + body


def test_a_predicted_copy_that_cannot_authenticate_does_not_drop_the_real_mail(stack):
    """GIVEN mallory's copy of the shop's predictable mail, sent first, unauthenticated WHEN
    the shop's own mail (authenticated) arrives THEN it is a ticket of its own, not a duplicate."""
    forged = deliver(stack, _order_mail(**{"Reply-To": "mallory@evil.test"}), **UNAUTHENTICATED)
    real = deliver(stack, _order_mail())

    assert (forged.outcome, real.outcome) == ("created", "created"), real.reason
    assert real.ticket != forged.ticket
    assert stack.tickets.require_ticket(str(real.ticket)).requester == "orders@customer.org"


def test_an_unauthenticated_copy_of_an_unauthenticated_mail_brings_mallory_in_nowhere(stack):
    """GIVEN both unauthenticated, mallory's copy first with her Reply-To WHEN the real one is
    its duplicate THEN the one ticket is the shop's, with mallory neither requester nor participant."""
    forged = deliver(stack, _order_mail(**{"Reply-To": "mallory@evil.test"}), **UNAUTHENTICATED)
    real = deliver(stack, _order_mail(), **UNAUTHENTICATED)

    assert (real.outcome, real.ticket) == ("duplicate", forged.ticket)
    ticket = stack.tickets.require_ticket(str(forged.ticket))
    assert ticket.requester == "orders@customer.org" and "mallory@evil.test" not in ticket.participants
