"""Triage over the API as the console does it (issue 15, item 4): whom a ticket may be
assigned to, and moving a ticket to another mailbox."""

from __future__ import annotations

from tests.support.desk_helpers import new_ticket
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
