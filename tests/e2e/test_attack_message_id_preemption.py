"""Attack over SMTP against `inbound up`: Message-ID pre-emption (tests/security has the same on
fakes, with every trust verdict; SECURITY.md says why).

GIVEN a customer with a ticket, who writes again through its reply address with mallory in Cc
WHEN mallory, who read the Message-ID off her copy, sends a mail of her own with it first
THEN both are filed: the customer's mail on her ticket (by its token) with a note naming the
reused Message-ID, mallory's on a ticket of its own that holds nothing of the customer's,
and nothing of the customer's mail reaches mallory.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from chalicelib.domain.reply_tokens import reply_address
from tests.support.local_up import (
    LocalStackRun,
    eventually,
    local_outbox,
    secret_of,
    send_as_sender,
    stored_message,
    ticket_of,
    tickets,
)

# The "restarts" group's `inbound up` (tests/support/local_up.py): this test's own addresses.
pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack("restarts")]

VICTIM = "Vera Example <vera@preempted.test>"
MALLORY = "mallory@mid-thief.test"
SECRET_WORDS = "my account number is 55501234"


def _mail(sender: str, to: str, subject: str, text: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, to, subject, message_id
    msg.set_content(text)
    return msg


def test_a_message_id_sent_first_by_mallory_neither_swallows_nor_steals_the_customers_mail(
    local_stack: LocalStackRun,
) -> None:
    up = local_stack.current
    opening = _mail(
        VICTIM, "support@example.com", "Refund", "Please refund.", make_msgid(domain="preempted.test")
    )
    send_as_sender(up, opening, "support@example.com")
    ticket = ticket_of(up, opening)
    address = reply_address(
        secret_of(up).encode("utf-8"), "support@example.com", ticket.id, ticket.token_nonce
    )
    stolen_id = make_msgid(domain="preempted.test")

    forged = _mail(MALLORY, "support@example.com", "hello", "first!", stolen_id)
    send_as_sender(up, forged, "support@example.com")
    mallorys = ticket_of(up, forged)
    real = _mail(VICTIM, address, "Re: Refund", SECRET_WORDS, stolen_id)
    real["Cc"] = MALLORY
    send_as_sender(up, real, address)

    stored = stored_message(up, ticket, real)  # before the fix: a "duplicate", never filed
    assert stored.thread_signal == "token" and SECRET_WORDS in stored.body.text
    assert f"already stored on {mallorys.id}" in stored.reason
    assert mallorys.id != ticket.id and mallorys.requester == MALLORY
    on_mallorys = tickets(up).messages(mallorys.id)
    assert all(SECRET_WORDS not in m.body.text for m in on_mallorys)
    assert [m.message_id.strip("<>") for m in on_mallorys if m.direction == "inbound"] == [
        stolen_id.strip("<>")
    ]
    # Mallory's acknowledgement is the one mail she gets, and it quotes nothing.
    to_mallory = eventually(
        lambda: [m for m in local_outbox(up.data_dir) if MALLORY in m["to"]] or None,
        what="mallory's acknowledgement in the outbox",
    )
    assert [mallorys.id in m["subject"] for m in to_mallory] == [True]
    assert all(SECRET_WORDS not in (up.data_dir / "outbox" / m["file"]).read_text() for m in to_mallory)
