"""A From line that our reader and a DMARC checker read as two different mailboxes.

RFC 2047 section 5 forbids an encoded word inside an addr-spec: no DMARC checker decodes
one to find the From domain. Our reader did, when the raw line held no address it could
read: `From: =?utf-8?q?alice=40customer.org?= <@evil.test>` was alice@customer.org to us,
while the only domain written as an address in it is mallory's evil.test (empty local part,
which a checker taking the text after `@` judges). With SES's DMARC pass for mallory's own
signed domain, that was "DMARC pass for customer.org": her mail threaded into alice's ticket
by its `[T-n]` tag and copied mallory (Cc) on alice's replies.

GIVEN alice's ticket WHEN mallory sends such a From with DMARC PASS THEN the mailbox only
the decoding showed is no From mailbox: a new ticket linked to alice's, staff replies reach
alice alone. The same for an address with an empty local part or domain (`@evil.test`).
"""

from __future__ import annotations

import pytest

from chalicelib.adapters.mail.reader import read_mail
from tests.support.deliver import deliver
from tests.support.hijack import (
    MALLORY,
    Outbox,
    Victim,
    assert_linked_new_ticket,
    assert_replies_reach_alice_alone,
)
from tests.support.mail_factory import make_mail

ENCODED_ALICE = "=?utf-8?q?alice=40customer.org?="
FROMS = (
    f"{ENCODED_ALICE} <@evil.test>",
    f"<{ENCODED_ALICE}>",
    f"{ENCODED_ALICE} (mallory@evil.test)",
)


def mallorys_mail(alice: Victim, from_line: str) -> bytes:
    raw = make_mail(
        sender="placeholder@evil.test",
        cc=MALLORY,
        subject=f"Re: My invoice [{alice.ticket}]",
        body="Send the refund to my new account.",
    )
    from_ = raw.replace(b"From: placeholder@evil.test", b"From: " + from_line.encode(), 1)
    return f"Return-Path: <{MALLORY}>\r\n".encode() + from_  # SES writes the MAIL FROM on top


@pytest.mark.parametrize("from_line", FROMS)
def test_a_mailbox_only_an_encoded_word_names_is_never_authenticated(
    alice: Victim, outbox: Outbox, from_line: str
) -> None:
    outcome = deliver(alice.api.stack, mallorys_mail(alice, from_line), source=MALLORY, dmarc="PASS")
    new = assert_linked_new_ticket(alice, outcome, "but the sender is not authenticated")
    assert "customer.org" not in new["messages"][0]["trust_reason"]
    assert_replies_reach_alice_alone(alice, outbox)


@pytest.mark.parametrize(
    "from_line", [f"{ENCODED_ALICE} mallory@evil.test", "alice@customer.org\\@evil.test", "alice@"]
)
def test_an_address_without_a_local_part_or_a_domain_is_no_mailbox(from_line: str) -> None:
    raw = f"From: {from_line}\r\nTo: support@example.com\r\nSubject: x\r\n\r\nhello\r\n".encode()
    assert read_mail(raw).from_ == ()
