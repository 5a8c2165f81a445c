"""Attack: Message-ID pre-emption. Mallory, copied on alice's mail (or reading a quoted thread),
learns its Message-ID before SES delivers it to us, and sends a mail of her own with that
Message-ID first. The Message-ID index took the first mail's word for it: alice's real mail
was then a "duplicate", archived and never filed, and replies naming it threaded to mallory's.

Answer (domain/message_claims.py): each index entry keeps a fingerprint of the mail that
stored it (sender, the trust verdict, the content). Only the same mail again is a duplicate;
alice's mail is filed where it belongs, with a note, and mallory's ticket gets nothing of it.
An authenticated mail takes the entry from an unauthenticated one, so replies naming its
Message-ID thread to the real mail. Entries written before fingerprints keep their old meaning.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.fakes.stack import FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

ALICE = "Alice Example <alice@customer.org>"
MALLORY = "mallory@evil.test"
UNAUTHENTICATED = {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL", "source": MALLORY}


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def _alices_ticket(stack: FakeStack) -> str:
    first = deliver(stack, make_mail(subject="My invoice", message_id="<a1@customer.org>"))
    assert first.outcome == "created"
    return str(first.ticket)


def _alices_reply() -> bytes:
    return make_mail(
        subject="Re: My invoice",
        body="Here is my account number: 12345.",
        message_id="<a2@customer.org>",
        in_reply_to="<a1@customer.org>",
        references="<a1@customer.org>",
        cc=MALLORY,
    )


@pytest.mark.parametrize(
    ("sender", "verdicts"),
    [
        (MALLORY, {"source": MALLORY}),  # her own domain, authenticated as herself
        (MALLORY, UNAUTHENTICATED),
        (ALICE, UNAUTHENTICATED),  # From: alice, which SES cannot authenticate
    ],
    ids=["mallory authenticated", "mallory unauthenticated", "forged From alice"],
)
def test_a_mail_sent_first_with_alices_message_id_does_not_make_her_real_mail_a_duplicate(
    stack, sender, verdicts
):
    ticket = _alices_ticket(stack)
    forged = deliver(
        stack,
        make_mail(subject="hi", body="nothing", sender=sender, message_id="<a2@customer.org>"),
        **verdicts,
    )
    assert forged.outcome == "created"

    real = deliver(stack, _alices_reply())

    assert (real.outcome, real.ticket, real.thread_signal) == ("threaded", ticket, "references")
    [_, message] = stack.tickets.messages(ticket)
    assert message.body.text.strip() == "Here is my account number: 12345."
    assert f"Message-ID <a2@customer.org> was already stored on {forged.ticket}" in message.reason
    [only] = stack.tickets.messages(str(forged.ticket))
    assert only.body.text.strip() == "nothing", "mallory's ticket holds her own mail alone"
    assert stack.tickets.require_ticket(str(forged.ticket)).message_count == 1


def test_replies_naming_the_pre_empted_message_id_thread_to_the_authenticated_real_mail(stack):
    """The forged mail could not authenticate as alice, so alice's real (authenticated) mail
    takes the index entry: her next mail, naming only that Message-ID, joins her ticket."""
    ticket = _alices_ticket(stack)
    forged = deliver(stack, make_mail(message_id="<a2@customer.org>", body="forged"), **UNAUTHENTICATED)
    assert deliver(stack, _alices_reply()).ticket == ticket

    follow_up = deliver(stack, make_mail(subject="Re: Re: My invoice", in_reply_to="<a2@customer.org>"))

    assert (follow_up.outcome, follow_up.ticket) == ("threaded", ticket)
    assert stack.tickets.require_ticket(str(forged.ticket)).message_count == 1


def test_the_same_mail_delivered_twice_is_still_a_duplicate(stack):
    """A sender's server that delivers one mail twice (two SES deliveries, one Message-ID)."""
    _alices_ticket(stack)
    first = deliver(stack, _alices_reply())
    again = deliver(stack, _alices_reply())
    assert (again.outcome, again.ticket) == ("duplicate", first.ticket)
    unauthenticated = deliver(stack, make_mail(message_id="<u1@customer.org>"), **UNAUTHENTICATED)
    twice = deliver(stack, make_mail(message_id="<u1@customer.org>"), **UNAUTHENTICATED)
    assert (twice.outcome, twice.ticket) == ("duplicate", unauthenticated.ticket)


def test_an_entry_stored_before_fingerprints_keeps_its_meaning(stack):
    """An index entry an older version wrote has no fingerprint: a mail with its Message-ID is
    a duplicate, as it was (and one we sent: our own Message-ID coming back)."""
    ticket = _alices_ticket(stack)
    stack.tickets.index["support", "<old@customer.org>"] = ticket  # no claim stored with it
    again = deliver(stack, make_mail(message_id="<old@customer.org>", body="anything"))
    assert (again.outcome, again.ticket) == ("duplicate", ticket)


def test_a_mail_split_out_keeps_its_fingerprint_so_mallorys_copy_is_no_duplicate(stack):
    """Staff split alice's reply out to a ticket of its own: its Message-ID entry moves with the
    fingerprint (split and merge used to put it anew, without one, and any mail naming that
    Message-ID was then the moved mail's "duplicate", archived unseen). Mallory's mail with
    it is filed; alice's mail delivered again is still a duplicate."""
    ticket = _alices_ticket(stack)
    real = deliver(stack, _alices_reply())
    [_, message] = stack.tickets.messages(ticket)
    split = stack.desk.split(ticket, "ann@example.com", message.key)

    copy = deliver(stack, make_mail(message_id="<a2@customer.org>", sender=MALLORY, body="pay here"))
    again = deliver(stack, _alices_reply())

    assert (copy.outcome, again.outcome, again.ticket) == ("created", "duplicate", split.id)
    assert real.ticket == ticket and copy.ticket not in (ticket, split.id)


def test_a_copy_with_another_file_of_the_same_name_and_size_does_not_make_the_real_mail_a_duplicate(stack):
    """Mallory, copied on alice's mail with its invoice, sends the same mail first under its
    Message-ID with From: alice (alice's domain cannot be authenticated, so neither can the
    forgery), another invoice of the same name, type and size inside, and her Reply-To. The
    fingerprint read files by name, type and size only: alice's real mail was the forgery's
    "duplicate", archived unseen, and staff had mallory's file as alice's invoice."""
    real_pdf, forged_pdf = b"%PDF-1.4 pay to DE00 1111", b"%PDF-1.4 pay to GB66 6666"
    assert len(real_pdf) == len(forged_pdf)

    def invoice(pdf: bytes, **headers: str) -> bytes:
        return make_mail(
            subject="Invoice 42",
            body="Please find the invoice attached.",
            message_id="<inv42@customer.org>",
            attachments=(("invoice.pdf", "application/pdf", pdf),),
            headers=headers,
            cc=MALLORY,
        )

    forged = deliver(stack, invoice(forged_pdf, **{"Reply-To": MALLORY}), **UNAUTHENTICATED)
    real = deliver(stack, invoice(real_pdf), **UNAUTHENTICATED)

    assert real.outcome != "duplicate", real.reason
    assert [a["sha256"] for a in real.attachments] == [hashlib.sha256(real_pdf).hexdigest()]
    assert real.ticket not in (None, forged.ticket)


def test_a_mail_with_files_delivered_twice_is_still_a_duplicate(stack):
    mail = make_mail(
        message_id="<files@customer.org>", attachments=(("a.pdf", "application/pdf", b"%PDF-1"),)
    )
    first = deliver(stack, mail, **UNAUTHENTICATED)
    again = deliver(stack, mail, **UNAUTHENTICATED)
    assert (again.outcome, again.ticket) == ("duplicate", first.ticket)


def test_a_sender_authenticated_as_herself_does_not_take_an_unauthenticated_customers_message_id(stack):
    """Alice's mail could not be authenticated (her domain publishes nothing SES can check) and
    copied bob. Mallory, authenticated as mallory, sends a mail with alice's Message-ID, bob
    copied: she took the entry (authenticated where alice was not) and bob became her ticket's
    participant, so bob's reply-all to alice's mail threaded onto mallory's ticket, where every
    staff answer goes to mallory. Proven as mallory says nothing of alice's Message-ID."""
    alice = deliver(
        stack,
        make_mail(
            subject="Contract", body="Draft attached", message_id="<c1@customer.org>", cc="bob@partner.org"
        ),
        **UNAUTHENTICATED,
    )
    mallory = deliver(
        stack,
        make_mail(subject="Contract", sender=MALLORY, message_id="<c1@customer.org>", cc="bob@partner.org"),
        source=MALLORY,
    )
    assert (
        mallory.outcome == "created"
        and "bob@partner.org" in stack.tickets.require_ticket(str(mallory.ticket)).participants
    )

    bobs = deliver(
        stack,
        make_mail(
            subject="Re: Contract",
            sender="Bob <bob@partner.org>",
            body="Our price is 1.2 M",
            in_reply_to="<c1@customer.org>",
            references="<c1@customer.org>",
        ),
        source="bob@partner.org",
    )

    assert bobs.ticket != mallory.ticket, "bob's reply to alice's mail went to mallory's ticket"
    assert stack.tickets.require_ticket(str(mallory.ticket)).message_count == 1
    assert alice.ticket is not None


def test_a_word_for_word_copy_that_cannot_authenticate_does_not_make_the_real_mail_a_duplicate(stack):
    """Mallory, copied on alice's reply, sends it first word for word with From: alice, which
    SES cannot authenticate; alice's own can. Only the trust verdict in the fingerprint tells
    the two apart: without it, alice's real mail was the copy's "duplicate" and never reached
    her ticket, and replies naming it threaded to the copy's."""
    ticket = _alices_ticket(stack)
    forged = deliver(stack, _alices_reply(), **UNAUTHENTICATED)
    assert (forged.outcome, forged.thread_signal) == ("created", "new"), forged.reason

    real = deliver(stack, _alices_reply())

    assert (real.outcome, real.ticket, real.thread_signal) == ("threaded", ticket, "references")
    follow_up = deliver(stack, make_mail(subject="Re: Re: My invoice", in_reply_to="<a2@customer.org>"))
    assert (follow_up.outcome, follow_up.ticket) == ("threaded", ticket)
