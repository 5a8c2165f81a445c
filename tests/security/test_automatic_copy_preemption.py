"""Attack: a copy marked automatic, sent first, silences the customer's real mail. The fingerprint
that tells the same mail again from another mail (message_claims.claim_of, and the content claim of
a mail without a Message-ID built on it) covered sender, verdict, subject, bodies, files (and Date,
To, Cc), but not what makes a mail automatic: one header, `Auto-Submitted: auto-generated`
(RFC 3834), or `Precedence: bulk`. Mallory, who knows the words of an unauthenticated customer's
mail (a form mailer's predictable text; a `Cc` copy), sends them first with that header. Hers is
an automatic mail: suspended for review, or filed on the ticket as an auto-reply that alerts no
one; the customer's own mail was then its "duplicate": no ticket at all, or a reply nobody is
told of.

Answer: an automatic mail's fingerprint says so; a customer's mail is never the copy of an
automatic one, nor the reverse. The same automatic mail again is still its duplicate."""

from __future__ import annotations

import pytest

from chalicelib.domain.reply_tokens import reply_address
from tests.fakes.stack import SECRET, FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail, without_message_id

# The customer's domain lets SES authenticate nothing; mallory's forgery cannot be either.
UNAUTHENTICATED = {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL"}
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def test_an_automatic_copy_of_a_mail_without_message_id_does_not_drop_the_real_one(stack):
    """GIVEN mallory's copy of a form mail (no Message-ID) marked automatic, suspended for review
    WHEN the real form mail arrives THEN it is a ticket, not the suspended copy's duplicate."""
    forged = deliver(stack, without_message_id(make_mail(headers=AUTOMATIC)), **UNAUTHENTICATED)
    real = deliver(stack, without_message_id(make_mail()), **UNAUTHENTICATED)

    assert forged.outcome == "auto_reply"
    assert real.outcome == "created", real.reason
    assert len(stack.tickets.tickets) == 1


def test_an_automatic_copy_of_a_customers_reply_does_not_turn_it_into_an_auto_reply(stack):
    """GIVEN alice's ticket and mallory's copy of alice's coming reply (its Message-ID, its words,
    the ticket's reply address from the Cc'd acknowledgement) marked automatic WHEN alice's
    reply arrives THEN it is on the ticket as the customer's message."""
    first = deliver(stack, make_mail(message_id="<q-1@customer.org>"), **UNAUTHENTICATED)
    nonce = stack.tickets.require_ticket(str(first.ticket)).token_nonce
    address = reply_address(SECRET, "support@example.com", str(first.ticket), nonce)

    def reply(**headers: str) -> bytes:
        return make_mail(
            subject="Re: Printer",
            to=address,
            body="Still on fire.",
            message_id="<r-1@customer.org>",
            headers=headers,
        )

    forged = deliver(stack, reply(**AUTOMATIC), recipients=(address,), **UNAUTHENTICATED)
    real = deliver(stack, reply(), recipients=(address,), **UNAUTHENTICATED)

    assert forged.outcome == "auto_reply"
    assert (real.outcome, real.ticket) == ("threaded", first.ticket), real.reason
    kinds = [(m.kind, m.body.text.strip()) for m in stack.tickets.messages(str(first.ticket))]
    assert ("customer", "Still on fire.") in kinds


def test_the_same_automatic_mail_again_is_still_a_duplicate(stack):
    away = without_message_id(make_mail(subject="Out of office", headers=AUTOMATIC))
    assert [deliver(stack, away, **UNAUTHENTICATED).outcome for _ in range(2)] == ["auto_reply", "duplicate"]
    with_id = make_mail(subject="Out of office", message_id="<ooo-1@customer.org>", headers=AUTOMATIC)
    assert [deliver(stack, with_id).outcome for _ in range(2)] == ["auto_reply", "duplicate"]
