"""A mail without a Message-ID delivered twice is one ticket message, and a duplicate.

RFC 5322 section 3.6.4: a Message-ID SHOULD be present, not MUST. A sender's server that
retries after a lost `250` hands SES the same bytes again, and SES gives the copy a new id:
before, that was a second ticket (or a second message on the ticket). Such a mail is now
recognised by its content fingerprint (domain/message_claims.py: sender and verdict, Date,
To, Cc, subject, bodies, files' bytes); two mails that differ in any of those stay two."""

from __future__ import annotations

import pytest

from chalicelib.domain.reply_tokens import reply_address
from tests.fakes.stack import SECRET, FakeStack
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail

AWAY = {"Auto-Submitted": "auto-replied"}


@pytest.fixture
def stack() -> FakeStack:
    return FakeStack()


def without(header: bytes, raw: bytes) -> bytes:
    """`raw` without the header `header` (a mail as a sender's client may write it)."""
    head, _, body = raw.partition(b"\n\n")
    kept = [line for line in head.split(b"\n") if not line.lower().startswith(header.lower() + b":")]
    return b"\n".join(kept) + b"\n\n" + body


def test_a_new_mail_without_message_id_delivered_twice_is_one_ticket(stack):
    """GIVEN a mail with no Message-ID and a file WHEN it arrives under two SES ids THEN one
    ticket with one message; the copy is a duplicate naming that ticket, its raw archived."""
    raw = without(b"Message-ID", make_mail(attachments=(("invoice.pdf", "application/pdf", b"%PDF-1.4"),)))
    first = deliver(stack, raw)
    again = deliver(stack, raw)

    assert (first.outcome, again.outcome) == ("created", "duplicate")
    assert again.ticket == first.ticket and first.ses_message_id in again.reason
    assert len(stack.tickets.tickets) == 1 and len(stack.tickets.messages(first.ticket)) == 1
    assert stack.keys("incoming/") == [] and len(stack.keys("archive/")) == 2


def test_a_reply_without_message_id_delivered_twice_is_one_message_on_the_ticket(stack):
    first = deliver(stack, make_mail(message_id="<q-1@customer.org>"))
    nonce = stack.tickets.require_ticket(first.ticket).token_nonce
    address = reply_address(SECRET, "support@example.com", first.ticket, nonce)
    reply = without(b"Message-ID", make_mail(subject="Re: Printer", to=address, body="Still on fire."))

    outcomes = [deliver(stack, reply, recipients=(address,)) for _ in range(2)]

    assert [(o.outcome, o.ticket) for o in outcomes] == [
        ("threaded", first.ticket),
        ("duplicate", first.ticket),
    ]
    assert stack.tickets.require_ticket(first.ticket).message_count == 2


def test_an_auto_reply_without_message_id_that_threads_nowhere_is_suspended_once(stack):
    away = without(b"Message-ID", make_mail(subject="Out of office", headers=AWAY))
    assert [deliver(stack, away).outcome for _ in range(2)] == ["auto_reply", "duplicate"]
    assert len(stack.suspended.list("support")) == 1


def test_two_different_mails_without_message_id_are_never_merged(stack):
    """Another Date (the same words sent again later), another body, another file's bytes,
    another sender, another recipient, another verdict: each is a mail of its own."""
    base = dict(subject="Printer", body="It is on fire.")
    mails = [
        make_mail(**base),
        make_mail(**base).replace(b"10:00:00", b"10:05:00"),
        make_mail(subject="Printer", body="It is on fire again."),
        make_mail(**base, attachments=(("a.txt", "text/plain", b"one"),)),
        make_mail(**base, attachments=(("a.txt", "text/plain", b"two"),)),
        make_mail(**base, sender="Bob <bob@customer.org>"),
        make_mail(**base, cc="carol@customer.org"),
    ]
    outcomes = [deliver(stack, without(b"Message-ID", raw)).outcome for raw in mails]
    outcomes.append(
        deliver(stack, without(b"Message-ID", mails[0]), dmarc="FAIL", spf="FAIL", dkim="FAIL").outcome
    )
    assert outcomes == ["created"] * len(outcomes)
    assert len(stack.tickets.tickets) == len(mails) + 1


def test_a_mail_without_message_id_or_date_is_not_deduplicated(stack):
    """Without a Date nothing tells the same words sent twice from one mail sent twice:
    such a mail is recognised by its SES id only (a second ticket, never a lost mail)."""
    raw = without(b"Date", without(b"Message-ID", make_mail()))
    assert [deliver(stack, raw).outcome for _ in range(2)] == ["created", "created"]


def test_a_mail_with_message_id_is_still_judged_by_its_index_entry(stack):
    """The same words under two Message-IDs are two mails (the sender said so)."""
    a = deliver(stack, make_mail(message_id="<one@customer.org>"))
    b = deliver(stack, make_mail(message_id="<two@customer.org>"))
    assert (a.outcome, b.outcome) == ("created", "created")
