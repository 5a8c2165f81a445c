"""Attack (or accident): an admin disables an agent who is leaving on bad terms. The API's
staff check is kept per container for up to INBOUND_STAFF_CHECK_SECONDS (30 s), so in that
window the agent's still-valid token went on working: a reply, a forward of the whole
ticket to any address, an announcement to every customer, all from our domain.

Answer: reads may stay cached, but mail an agent sends asks the staff directory itself,
at the moment of sending: within the window a disabled agent's reply, forward,
announcement test and send are refused with 401 `agent_disabled`, a reply they held for
undo is refused when its window ends, and nothing leaves.
"""

from __future__ import annotations

from chalicelib.wiring import services
from tests.support.desk_helpers import new_ticket
from tests.support.staff_api import ANN, BOB, sent_mail, token_in_groups

DRAFT = {"subject": "We moved", "text": "Our new address is ...", "list": "dora@customer.test\n"}


def test_a_just_disabled_agent_sends_no_reply_forward_or_announcement_within_the_check_window(api):
    admin = token_in_groups(api, ANN, "admin")
    bob = token_in_groups(api, BOB, "admin")  # this container now holds "Bob is enabled" for 30 s
    ticket_id = new_ticket(api.stack)
    created = api.post("/api/announcements", {"action": "create", **DRAFT}, token=bob)
    assert created.status_code == 201, created.json_body
    announcement = created.json_body["id"]
    held = api.post(f"/api/tickets/{ticket_id}/reply", {"text": "Sent later.", "undo": True}, token=bob)
    assert held.status_code == 202, held.json_body  # held for the undo window, sent when it ends
    assert api.patch(f"/api/staff/{BOB}", {"enabled": False}, token=admin).status_code == 200
    mail = sent_mail()

    attempts = {
        "reply": api.post(f"/api/tickets/{ticket_id}/reply", {"text": "Here is everything."}, token=bob),
        "forward": api.post(f"/api/tickets/{ticket_id}/forward", {"to": "me@elsewhere.test"}, token=bob),
        "test": api.post(
            f"/api/announcements/{announcement}", {"action": "test", "to": "me@elsewhere.test"}, token=bob
        ),
        "send": api.post(f"/api/announcements/{announcement}", {"action": "send"}, token=bob),
    }

    for what, answer in attempts.items():
        assert (answer.status_code, answer.json_body.get("error")) == (401, "agent_disabled"), what
    assert services().held_replies.send_due(ticket_id, held.json_body["held"]) == "refused"
    assert mail == [], "nothing left for the disabled agent"
    report = api.get(f"/api/announcements/{announcement}", token=admin).json_body
    assert report["state"] == "draft" and report["counts"]["pending"] == 1, "nothing queued"
