"""Ticket hijack and fan-out, as the attacker's mail: SES-shaped Received notifications with the
verdicts SES would give it, then what staff see and whom their replies reach (SECURITY.md).

GIVEN alice, whose domain passes DMARC, with a ticket WHEN mallory writes From: alice with the
ticket's `[T-n]` tag or its References, Cc or Reply-To herself, and SES cannot authenticate the
mail (no DMARC record and SPF/DKIM failing, DMARC not checkable, DMARC failing) THEN the mail
opens a new ticket linked to alice's with the reason shown, alice's ticket and its participants
are as they were, and staff replies on it reach alice alone.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

import pytest

from chalicelib.domain.reply_tokens import reply_address
from tests.support.deliver import deliver
from tests.support.hijack import (
    ALICE,
    BOB,
    MALLORY,
    assert_linked_new_ticket,
    assert_replies_reach_alice_alone,
    spoof,
)
from tests.support.mail_factory import make_mail

SUPPORT = "support@example.com"
# What SES says about mail From: alice@customer.org that mallory's server sent.
SPOOFED = {
    "no DMARC record, SPF and DKIM fail": {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL"},
    "DMARC could not be checked": {"dmarc": "PROCESSING_FAILED", "spf": "FAIL", "dkim": "FAIL"},
    "DMARC fails": {"dmarc": "FAIL", "spf": "FAIL", "dkim": "FAIL"},
    "no DMARC record, SPF passes for mallory's own domain": {"dmarc": "GRAY", "spf": "PASS", "dkim": "GRAY"},
}


def _why(verdicts: dict[str, str]) -> str:
    return "DMARC failed" if verdicts["dmarc"] == "FAIL" else "but the sender is not authenticated"


@pytest.mark.parametrize("header", ["Cc", "Reply-To"])
@pytest.mark.parametrize("verdicts", list(SPOOFED.values()), ids=list(SPOOFED))
def test_spoofed_from_with_the_subject_tag_and_mallory_copied_opens_a_linked_ticket(
    alice, outbox, header, verdicts
):
    raw = spoof(alice, header, subject=f"Re: My invoice [{alice.ticket}]")
    outcome = deliver(alice.api.stack, raw, source=MALLORY, **verdicts)
    assert_linked_new_ticket(alice, outcome, _why(verdicts))
    assert_replies_reach_alice_alone(alice, outbox)


@pytest.mark.parametrize("verdicts", list(SPOOFED.values())[:2], ids=list(SPOOFED)[:2])
def test_spoofed_from_with_alices_references_copied_opens_a_linked_ticket(alice, outbox, verdicts):
    """Message-IDs travel in every copy of a thread: knowing one proves nothing."""
    raw = spoof(
        alice, "Cc", subject="Re: My invoice", in_reply_to="<a1@customer.org>", references="<a1@customer.org>"
    )
    outcome = deliver(alice.api.stack, raw, source=MALLORY, **verdicts)
    assert_linked_new_ticket(alice, outcome, _why(verdicts))
    assert_replies_reach_alice_alone(alice, outbox)


def test_staff_merge_the_linked_ticket_in_one_step_when_it_was_alice_after_all(alice):
    """The console's merge button: the related ticket's messages join alice's."""
    raw = spoof(alice, "Cc", subject=f"Re: My invoice [{alice.ticket}]")
    outcome = deliver(alice.api.stack, raw, source=MALLORY, dmarc="GRAY", spf="FAIL", dkim="FAIL")
    merged = alice.api.post(f"/api/tickets/{outcome.ticket}/merge", {"into": alice.ticket})
    assert merged.status_code == 200 and merged.json_body["messages"] == 2


def test_a_cc_list_of_dozens_adds_at_most_ten_participants(api, outbox):
    """Fan-out: alice's genuine (DMARC-passing) mail naming 30 addresses in Cc."""
    crowd = [f"person{n}@elsewhere.test" for n in range(30)]
    outcome = deliver(api.stack, make_mail(sender=ALICE, cc=", ".join(crowd)))
    view = api.get(f"/api/tickets/{outcome.ticket}").json_body
    assert view["ticket"]["participants"] == sorted(crowd[:10])
    assert "not added as participants (a ticket has at most 10)" in view["messages"][0]["reason"]
    follow_up = deliver(
        api.stack, make_mail(sender=ALICE, subject=f"Re: [{outcome.ticket}]", cc="one.more@elsewhere.test")
    )
    assert follow_up.thread_signal == "subject"
    assert api.get(f"/api/tickets/{outcome.ticket}").json_body["ticket"]["participants"] == sorted(crowd[:10])
    assert api.post(f"/api/tickets/{outcome.ticket}/reply", {"text": "Hello all."}).status_code == 201
    [destinations] = outbox.destinations()  # a staff reply reaches alice and ten, not thirty-one
    assert sorted(destinations) == sorted([ALICE, *crowd[:10]])


def test_more_than_49_addresses_never_make_a_reply_fail(api, outbox):
    """A ticket whose participants exceed SES's 50 recipients (a ticket from before the cap,
    or two merged): the reply goes out to the requester and the first 49, and says whom it
    left out, instead of SES refusing the whole message."""
    outcome = deliver(api.stack, make_mail(sender=ALICE))
    crowd = [f"person{n:02d}@elsewhere.test" for n in range(60)]
    db = api.stack.client("dynamodb")
    db.update_item(
        TableName=api.stack.settings.tickets_table,
        Key={"pk": {"S": f"TICKET#{outcome.ticket}"}, "sk": {"S": "TICKET"}},
        UpdateExpression="ADD participants :p",
        ExpressionAttributeValues={":p": {"SS": crowd}},
    )
    sent = api.post(f"/api/tickets/{outcome.ticket}/reply", {"text": "Hello all."})
    assert sent.status_code == 201, sent.body
    [destinations] = outbox.destinations()
    assert sorted(destinations) == sorted([ALICE, *crowd[:49]])
    assert "person59@elsewhere.test: over SES's limit of 50 recipients" in sent.json_body["warnings"]
    thread = api.get(f"/api/tickets/{outcome.ticket}").json_body["messages"]
    assert "person49@elsewhere.test" in thread[-1]["reason"]


def test_a_reused_ticket_number_never_accepts_the_old_tickets_token(api, outbox):
    """A point-in-time restore hands T-1001 out again, now to bob. Alice still holds the reply
    address of her T-1001: mail to it must not reach bob's ticket, nor copy her on his replies."""
    stack = api.stack
    first = deliver(stack, make_mail(sender=ALICE, subject="Old ticket"))
    assert api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Hi Alice"}).status_code == 201
    old_address = str(message_from_bytes(outbox.sent[-1]["Raw"], policy=policy.default)["Reply-To"])
    _restore_to_empty(stack)
    reused = deliver(stack, make_mail(sender=BOB, subject="New ticket"))
    assert reused.ticket == first.ticket
    before = api.get(f"/api/tickets/{reused.ticket}").json_body

    late = deliver(
        stack, make_mail(sender=ALICE, subject="Re: Old ticket", to=old_address), recipients=(old_address,)
    )

    assert (late.outcome, late.thread_signal, late.related_ticket) == ("created", "new", reused.ticket)
    assert api.get(f"/api/tickets/{reused.ticket}").json_body == before
    assert "did not verify" in api.get(f"/api/tickets/{late.ticket}").json_body["ticket"]["related_reason"]
    assert api.post(f"/api/tickets/{reused.ticket}/reply", {"text": "Hi Bob"}).status_code == 201
    assert outbox.destinations() == [[ALICE], [BOB]]


def _restore_to_empty(stack: Any) -> None:
    """The table as a restore to a moment before the first ticket leaves it: empty."""
    db = stack.client("dynamodb")
    table = stack.settings.tickets_table
    for page in db.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk"):
        for item in page["Items"]:
            db.delete_item(TableName=table, Key=item)


# -- honest flows the policy must keep -------------------------------------------------


def test_a_dmarc_passing_customer_replying_with_the_tag_threads(alice):
    reply = deliver(alice.api.stack, make_mail(sender=ALICE, subject=f"Re: My invoice [{alice.ticket}]"))
    assert (reply.outcome, reply.ticket, reply.thread_signal) == ("threaded", alice.ticket, "subject")


def test_a_customer_without_dmarc_but_aligned_spf_replying_with_the_tag_threads(alice):
    reply = deliver(
        alice.api.stack,
        make_mail(sender=ALICE, subject=f"Re: My invoice [{alice.ticket}]"),
        dmarc="GRAY",
        spf="PASS",
        dkim="GRAY",
        source="bounces@mail.customer.org",
    )
    assert (reply.outcome, reply.ticket, reply.thread_signal) == ("threaded", alice.ticket, "subject")


def test_the_cc_colleague_of_a_dmarc_passing_customer_receives_staff_replies(api, outbox):
    opened = deliver(api.stack, make_mail(sender=f"Alice <{ALICE}>", cc=f"Bob <{BOB}>"))
    view = api.get(f"/api/tickets/{opened.ticket}").json_body["ticket"]
    assert (view["requester"], view["participants"]) == (ALICE, [BOB])
    sent = api.post(f"/api/tickets/{opened.ticket}/reply", {"text": "On it."})
    assert sent.status_code == 201 and sent.json_body["warnings"] is None
    assert outbox.destinations() == [[ALICE, BOB]]


def test_a_ticket_from_before_token_nonces_still_accepts_its_old_reply_address(api):
    """Migration: tickets stored without a random value keep the (mailbox, ticket) tokens
    already sent out."""
    stack = api.stack
    opened = deliver(stack, make_mail(sender=ALICE))
    stack.client("dynamodb").update_item(
        TableName=stack.settings.tickets_table,
        Key={"pk": {"S": f"TICKET#{opened.ticket}"}, "sk": {"S": "TICKET"}},
        UpdateExpression="REMOVE token_nonce",
    )
    old = reply_address(stack.secret(), SUPPORT, opened.ticket)
    reply = deliver(stack, make_mail(sender=ALICE, to=old), recipients=(old,))
    assert (reply.outcome, reply.ticket, reply.thread_signal) == ("threaded", opened.ticket, "token")


def test_staff_can_remove_and_add_participants(api, outbox):
    opened = deliver(api.stack, make_mail(sender=ALICE, cc=f"{BOB}, {MALLORY}"))
    path = f"/api/tickets/{opened.ticket}/participants"
    removed = api.post(f"{path}/remove", {"address": MALLORY})
    assert removed.status_code == 200 and removed.json_body["participants"] == [BOB]
    assert api.post(f"{path}/remove", {"address": ALICE}).status_code == 400  # the requester stays
    assert api.post(path, {"address": "carol@customer.org"}).json_body["participants"] == [
        BOB,
        "carol@customer.org",
    ]
    assert api.post(path, {"address": SUPPORT}).status_code == 400  # never one of ours
    assert api.post(path, {"address": f"x@y.test, {MALLORY}"}).status_code == 400
    api.post(f"/api/tickets/{opened.ticket}/reply", {"text": "Hello."})
    assert outbox.destinations() == [[ALICE, BOB, "carol@customer.org"]]
