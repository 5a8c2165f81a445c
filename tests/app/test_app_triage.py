"""Triage over the API as the console does it (issue 15, item 4): whom a ticket may be
assigned to, and moving a ticket to another mailbox."""

from __future__ import annotations

from email import message_from_bytes

from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, BOB, bob_token, sent_mail


def test_the_colleagues_to_assign_to_are_the_agents_who_signed_in_and_no_one_else(api):
    bob_token(api)
    listed = api.get("/api/agents")
    assert listed.status_code == 200 and listed.json_body == {"agents": [ANN, BOB]}
    ticket_id = new_ticket(api.stack)
    typo = api.patch(f"/api/tickets/{ticket_id}", {"assignee": "bbo@example.com"})
    assert typo.status_code == 400 and "not an agent" in typo.json_body["reason"]
    given = api.patch(f"/api/tickets/{ticket_id}", {"assignee": BOB})
    assert given.status_code == 200 and given.json_body["assignee"] == BOB


def test_a_ticket_moved_to_billing_leaves_supports_queue_joins_billings_and_says_so(api):
    ticket_id = new_ticket(api.stack)
    moved = api.patch(f"/api/tickets/{ticket_id}", {"mailbox": "billing"})
    assert moved.status_code == 200 and moved.json_body["mailbox"] == "billing", moved.json_body
    support = api.get("/api/tickets?mailbox=support&status=new,open").json_body
    billing = api.get("/api/tickets?mailbox=billing&status=new,open").json_body
    assert ticket_id not in [t["id"] for t in support["tickets"]]
    assert ticket_id in [t["id"] for t in billing["tickets"]]
    thread = api.get(f"/api/tickets/{ticket_id}").json_body
    assert thread["ticket"]["mailbox"] == "billing"
    assert [m["text"] for m in thread["messages"] if m["kind"] == "event"] == [
        "moved from support to billing"
    ]
    unknown = api.patch(f"/api/tickets/{ticket_id}", {"mailbox": "sales"})
    assert unknown.status_code == 400 and "unknown mailbox" in unknown.json_body["reason"]


def test_several_messages_split_out_together_into_one_new_ticket_and_one_must_stay(api):
    """GIVEN a ticket whose customer asked about a scanner in two later mails WHEN the agent
    chooses both and splits THEN one new ticket holds both (in thread order, counted), the
    source keeps the rest and says what went where; a split of everything is refused."""
    first = deliver(api.stack, make_mail(message_id="<q1@customer.org>"))
    later = [
        deliver(
            api.stack,
            make_mail(
                subject=f"Re: [{first.ticket}] and the scanner? ({n})",
                in_reply_to="<q1@customer.org>",
                message_id=f"<s{n}@customer.org>",
            ),
        )
        for n in (1, 2)
    ]
    assert {m.ticket for m in later} == {first.ticket}
    keys = [m.ses_message_id for m in later]
    everything = [m["key"] for m in api.get(f"/api/tickets/{first.ticket}").json_body["messages"]]
    refused = api.post(f"/api/tickets/{first.ticket}/split", {"message_keys": everything})
    assert refused.status_code == 409 and "without a message" in refused.json_body["reason"], (
        refused.json_body
    )
    bad = api.post(f"/api/tickets/{first.ticket}/split", {"message_keys": [1, 2]})
    assert bad.status_code == 400 and "message_keys" in bad.json_body["reason"]

    split = api.post(f"/api/tickets/{first.ticket}/split", {"message_keys": list(reversed(keys))})

    assert split.status_code == 201, split.json_body
    new = split.json_body
    assert new["subject"] == "Re: and the scanner? (1)" and new["messages"] == 2
    moved = api.get(f"/api/tickets/{new['id']}").json_body["messages"]
    assert [m["key"] for m in moved if m["kind"] == "customer"] == keys
    source = api.get(f"/api/tickets/{first.ticket}").json_body
    assert not {m["key"] for m in source["messages"]} & set(keys)
    assert source["ticket"]["messages"] == len([m for m in source["messages"] if m["kind"] != "event"])
    assert f"split 2 messages out into {new['id']}" in [m["text"] for m in source["messages"]]


def test_a_split_out_ticket_takes_a_subject_of_its_own(api):
    """GIVEN a ticket split out of a reply, so titled "Re: …" after the old question WHEN the
    agent renames it THEN the queue, the search (by the new words) and the agent's reply carry
    the new subject, the thread says who renamed it from what; a blank subject is refused."""
    first = deliver(api.stack, make_mail(message_id="<r1@customer.org>"))
    later = deliver(
        api.stack,
        make_mail(
            subject=f"Re: [{first.ticket}] Printer offline",
            in_reply_to="<r1@customer.org>",
            message_id="<r2@customer.org>",
        ),
    )
    split = api.post(f"/api/tickets/{first.ticket}/split", {"message_keys": [later.ses_message_id]})
    new_id = split.json_body["id"]
    assert split.json_body["subject"] == "Re: Printer offline"

    renamed = api.patch(f"/api/tickets/{new_id}", {"subject": f"  Scanner driver [{new_id}] "})

    assert renamed.status_code == 200, renamed.json_body
    assert renamed.json_body["subject"] == "Scanner driver"
    shown = api.get(f"/api/tickets/{new_id}").json_body
    assert shown["ticket"]["subject"] == "Scanner driver"
    assert "subject “Re: Printer offline” → “Scanner driver”" in [m["text"] for m in shown["messages"]]
    found = api.get("/api/tickets?q=scanner+driver").json_body["tickets"]
    assert [t["id"] for t in found] == [new_id]
    sent = sent_mail()
    assert api.post(f"/api/tickets/{new_id}/reply", {"text": "The driver is attached."}).status_code == 201
    assert message_from_bytes(sent[0]["RawMessage"]["Data"])["Subject"] == f"Re: Scanner driver [{new_id}]"
    for blank in ("", f"[{new_id}]", "x" * 201):
        refused = api.patch(f"/api/tickets/{new_id}", {"subject": blank})
        assert refused.status_code == 400 and "subject" in refused.json_body["reason"], refused.json_body
