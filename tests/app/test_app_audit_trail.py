"""The audit trail (issue 15, item 6): every change is a line in the thread, with who and when."""

from __future__ import annotations

from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, BOB, bob_token


def trail(api, ticket_id: str) -> list[tuple[str, str]]:
    """(who, what) of each event line of the thread, in order."""
    messages = api.get(f"/api/tickets/{ticket_id}").json_body["messages"]
    events = [m for m in messages if m["kind"] == "event"]
    assert all(m["direction"] == "internal" and m["time"] for m in events)
    return [(m["sender"], m["text"]) for m in events]


def test_assignment_status_priority_and_tags_each_leave_a_line(api):
    ticket_id = str(deliver(api.stack, make_mail()).ticket)
    bob_token(api)
    assert api.patch(f"/api/tickets/{ticket_id}", {"assignee": "me", "priority": "high"}).status_code == 200
    assert api.patch(f"/api/tickets/{ticket_id}", {"tags": ["vip", "printer"]}).status_code == 200
    assert api.patch(f"/api/tickets/{ticket_id}", {"tags": ["vip"], "assignee": BOB}).status_code == 200
    assert api.patch(f"/api/tickets/{ticket_id}", {"status": "solved"}).status_code == 200
    assert trail(api, ticket_id) == [
        (ANN, f"assigned to {ANN}"),
        (ANN, "status new → open"),
        (ANN, "priority normal → high"),
        (ANN, "tags +printer +vip"),
        (ANN, f"assigned to {BOB} (was {ANN})"),
        (ANN, "tags −printer"),
        (ANN, "status open → solved"),
    ]
    ticket = api.get(f"/api/tickets/{ticket_id}").json_body["ticket"]
    assert ticket["messages"] == 1, "event lines are not messages of the ticket"


def test_claim_split_merge_participants_and_a_refused_reply_leave_lines(api):
    first = deliver(api.stack, make_mail(message_id="<q1@customer.org>"))
    ticket_id = str(first.ticket)
    second = deliver(
        api.stack, make_mail(subject=f"Re: [{ticket_id}] scanner too", in_reply_to="<q1@customer.org>")
    )
    assert api.post("/api/tickets/next").json_body["id"] == ticket_id
    new_id = api.post(f"/api/tickets/{ticket_id}/split", {"message_key": second.ses_message_id}).json_body[
        "id"
    ]
    assert (
        api.post(f"/api/tickets/{ticket_id}/participants", {"address": "carol@customer.org"}).status_code
        == 200
    )
    assert (
        api.post(
            f"/api/tickets/{ticket_id}/participants/remove", {"address": "carol@customer.org"}
        ).status_code
        == 200
    )
    stale = api.post(f"/api/tickets/{ticket_id}/reply", {"text": "Hello", "last_seen": "gone"})
    assert stale.status_code == 409
    assert trail(api, ticket_id) == [
        (ANN, f"assigned to {ANN}"),
        (ANN, "status new → open"),
        (ANN, f"split the message of alice@customer.org out into {new_id}"),
        (ANN, "added carol@customer.org to Cc"),
        (ANN, "removed carol@customer.org from Cc"),
        (ANN, "reply not sent: the thread changed (a message was moved) — review and send again"),
    ]
    assert api.post(f"/api/tickets/{new_id}/merge", {"into": ticket_id}).status_code == 200
    lines = trail(api, ticket_id)
    assert (ANN, f"split from {ticket_id}") in lines, "the split ticket's own line came along"
    assert lines[-1] == (ANN, f"merged {new_id} into this ticket")
    ticket = api.get(f"/api/tickets/{ticket_id}").json_body["ticket"]
    assert ticket["messages"] == 2, "the merged mail counts, its event lines do not"
