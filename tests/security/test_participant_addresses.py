"""Participants a mail names in spellings SES cannot send to, or that are ours in disguise.

A requester or participant with authenticated mail brings the addresses of its Cc into the
ticket. Before the fix a Cc of `carol@customer.org.` (a trailing dot), `a..b@customer.org`
or `support@example.com.` was stored as written: the first two made every later staff reply
fail (422: the address cannot be written into a header), so one mail from alice's colleague
made alice's ticket unanswerable; the third copied every reply to our own mailbox. Now a
trailing dot and a needlessly quoted local part are read away when the mail is read, and a
participant that still cannot be written is left out of the reply and named, as SECURITY.md
says: participants never make a reply fail.
"""

from __future__ import annotations

from tests.support.deliver import deliver
from tests.support.hijack import ALICE, BOB, Outbox, Victim
from tests.support.mail_factory import make_mail

CARELESS_CC = 'carol@customer.org., "dave"@customer.org, a..b@customer.org, support@example.com.'


def test_odd_spellings_in_an_authenticated_cc_never_make_alices_ticket_unanswerable(
    alice: Victim, outbox: Outbox
) -> None:
    raw = make_mail(sender=ALICE, subject=f"Re: My invoice [{alice.ticket}]", cc=CARELESS_CC)
    assert deliver(alice.api.stack, raw).thread_signal == "subject"
    participants = alice.view()["ticket"]["participants"]
    assert "carol@customer.org" in participants and "dave@customer.org" in participants
    assert not any("example.com" in p or p.endswith(".") or '"' in p for p in participants)

    sent = alice.api.post(f"/api/tickets/{alice.ticket}/reply", {"text": "Done."})
    assert sent.status_code == 201, sent.body
    assert sorted(outbox.destinations()[-1]) == sorted([ALICE, "carol@customer.org", "dave@customer.org"])
    assert "a..b@customer.org" in sent.json_body["warnings"]


def test_a_stored_participant_that_cannot_be_written_is_left_out_of_the_reply(
    alice: Victim, outbox: Outbox
) -> None:
    """A ticket stored before the fix, or by any other path: the reply still goes out."""
    stack = alice.api.stack
    stack.client("dynamodb").update_item(
        TableName=stack.settings.tickets_table,
        Key={"pk": {"S": f"TICKET#{alice.ticket}"}, "sk": {"S": "TICKET"}},
        UpdateExpression="ADD participants :p",
        ExpressionAttributeValues={":p": {"SS": ["eve@customer.org.", BOB]}},
    )
    sent = alice.api.post(f"/api/tickets/{alice.ticket}/reply", {"text": "Done."})
    assert sent.status_code == 201, sent.body
    assert sorted(outbox.destinations()[-1]) == sorted([ALICE, BOB])
    assert "not sent to eve@customer.org.: " in sent.json_body["warnings"]
