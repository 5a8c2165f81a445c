"""Triage over the API as the console does it (issue 15, item 4): whom a ticket may be
assigned to, and moving a ticket to another mailbox."""

from __future__ import annotations

from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, BOB, bob_token


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
