"""Two agents, one ticket (issue 15, item 3): stale replies and taking a colleague's ticket."""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.wiring import services
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, BOB, bob_token, sent_mail


def last_key(api, ticket_id: str, token: str | None = None) -> str:
    return api.get(f"/api/tickets/{ticket_id}", token=token).json_body["messages"][-1]["key"]


def test_a_reply_after_a_newer_customer_mail_is_refused_and_says_so(api):
    """GIVEN ann read the ticket WHEN the customer writes again before ann sends THEN her reply
    is refused with 409 naming the new mail, nothing is mailed; sent again after reading, it goes."""
    first = deliver(api.stack, make_mail(message_id="<q1@customer.org>"))
    seen = last_key(api, first.ticket)
    more = deliver(
        api.stack, make_mail(subject=f"Re: [{first.ticket}] Printer on fire", in_reply_to="<q1@customer.org>")
    )
    assert more.ticket == first.ticket
    sent = sent_mail()
    refused = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Unplug it.", "last_seen": seen})
    assert refused.status_code == 409 and refused.json_body["error"] == "stale", refused.json_body
    assert refused.json_body["reason"].startswith("alice@customer.org wrote again ")
    assert refused.json_body["reason"].endswith(" ago — review and send again")
    assert [n["key"] for n in refused.json_body["newer"]] == [more.ses_message_id] and sent == []
    again = api.post(
        f"/api/tickets/{first.ticket}/reply", {"text": "Unplug it.", "last_seen": last_key(api, first.ticket)}
    )
    assert again.status_code == 201 and len(sent) == 1


def test_a_reply_after_a_colleagues_reply_is_refused_but_notes_and_own_replies_do_not_count(api):
    first = deliver(api.stack, make_mail())
    bob = bob_token(api)
    seen = last_key(api, first.ticket)
    assert api.post(f"/api/tickets/{first.ticket}/notes", {"text": "VIP"}, token=bob).status_code == 201
    mine = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Looking into it.", "last_seen": seen})
    assert mine.status_code == 201, "a colleague's note is no reason to hold a reply"
    assert (
        api.post(
            f"/api/tickets/{first.ticket}/reply", {"text": "Still on it.", "last_seen": seen}
        ).status_code
        == 201
    )
    bobs = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Fixed it.", "last_seen": seen}, token=bob)
    assert bobs.status_code == 409 and bobs.json_body["reason"].startswith(f"a colleague ({ANN}) replied ")
    seen = last_key(api, first.ticket, token=bob)
    assert (
        api.post(
            f"/api/tickets/{first.ticket}/reply", {"text": "Fixed it.", "last_seen": seen}, token=bob
        ).status_code
        == 201
    )
    late = api.post(
        f"/api/tickets/{first.ticket}/reply", {"text": "Try this.", "last_seen": first.ses_message_id}
    )
    assert late.status_code == 409 and late.json_body["reason"].startswith(f"a colleague ({BOB}) replied ")
    gone = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Try this.", "last_seen": "no-such-key"})
    assert gone.status_code == 409 and "the thread changed" in gone.json_body["reason"]


def test_taking_a_colleagues_ticket_must_be_asked_for(api):
    """GIVEN bob's ticket WHEN ann assigns it to herself THEN 409 naming bob, and only with
    take_over: true does it become hers; her own or an unassigned ticket needs no asking."""
    first = deliver(api.stack, make_mail())
    bob = bob_token(api)
    assert (
        api.patch(f"/api/tickets/{first.ticket}", {"assignee": "me"}, token=bob).json_body["assignee"] == BOB
    )
    for change in ({"assignee": "me"}, {"assignee": "none"}):
        asked = api.patch(f"/api/tickets/{first.ticket}", change)
        assert asked.status_code == 409, change
        assert (asked.json_body["error"], asked.json_body["assignee"]) == ("assigned", BOB)
    assert api.stack.tickets.get_ticket(first.ticket).assignee == BOB
    assert api.patch(f"/api/tickets/{first.ticket}", {"priority": "high"}).status_code == 200
    taken = api.patch(f"/api/tickets/{first.ticket}", {"assignee": "me", "take_over": True})
    assert taken.status_code == 200 and taken.json_body["assignee"] == ANN
    assert api.patch(f"/api/tickets/{first.ticket}", {"assignee": BOB}).json_body["assignee"] == BOB


def test_each_agent_sees_who_else_has_the_ticket_open_and_who_is_writing(api):
    first = deliver(api.stack, make_mail())
    path = f"/api/tickets/{first.ticket}/presence"
    bob = bob_token(api)
    assert api.call("PUT", path, {}).json_body == {"ticket": first.ticket, "present": [], "changes": 1}
    seen_by_bob = api.call("PUT", path, {"writing": True}, token=bob).json_body["present"]
    assert [(p["agent"], p["writing"]) for p in seen_by_bob] == [(ANN, False)]
    assert [(p["agent"], p["writing"]) for p in api.get(path).json_body["present"]] == [(BOB, True)]
    assert api.call("DELETE", path, token=bob).status_code == 204
    assert api.get(path).json_body["present"] == []
    assert api.call("PUT", "/api/tickets/not-a-ticket/presence", {}).status_code == 404
    assert api.call("PUT", path, {"writing": "yes"}).status_code == 400


def test_a_presence_lapses_on_its_own_when_the_console_stops_renewing_it(stack):
    """An agent whose laptop closed is not shown for long: the item expires (DynamoDB's TTL
    deletes it some time later; reads leave it out at once)."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.adapters.dynamodb_presence import DynamoDBPresence
    from chalicelib.services.ticket_presence import PRESENCE_SECONDS, TicketPresence

    now = [datetime(2026, 12, 7, 10, 0, tzinfo=UTC)]
    presence = TicketPresence(
        DynamoDBPresence(stack.client("dynamodb"), stack.settings.tickets_table), lambda: now[0]
    )
    presence.touch("T-1001", BOB, writing=True)
    assert [p.agent for p in presence.others("T-1001", ANN)] == [BOB]
    now[0] += timedelta(seconds=PRESENCE_SECONDS + 1)
    assert presence.others("T-1001", ANN) == []


def test_two_agents_pressing_send_at_the_same_moment_mail_once_and_the_second_gets_409(api):
    """GIVEN ann and bob read the same thread WHEN both press Send at the same moment (bob's
    request arrives while ann's mail is being handed to SES: both passed the stale check, no
    reply stored yet) THEN exactly one mail leaves and bob gets 409 naming ann, draft unsent."""
    first = deliver(api.stack, make_mail())
    bob = bob_token(api)
    seen = last_key(api, first.ticket)
    sent = sent_mail()
    bobs: list = []
    pressed = []

    def bob_presses_send(**_: object) -> None:
        if not pressed:  # once: inside ann's send, before her reply is stored
            pressed.append(True)
            bobs.append(
                api.post(
                    f"/api/tickets/{first.ticket}/reply", {"text": "Fixed it.", "last_seen": seen}, token=bob
                )
            )

    client = services().outbound.ports.sender.client
    client.meta.events.register("before-call.ses.SendRawEmail", bob_presses_send)
    anns = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Unplug it.", "last_seen": seen})

    assert anns.status_code == 201, anns.json_body
    assert bobs[0].status_code == 409 and bobs[0].json_body["error"] == "stale", bobs[0].json_body
    assert (
        bobs[0].json_body["reason"]
        == f"a colleague ({ANN}) is sending a reply right now — review and send again"
    )
    assert len(sent) == 1 and b"Unplug it." in sent[0]["RawMessage"]["Data"]
    thread = api.get(f"/api/tickets/{first.ticket}").json_body["messages"]
    assert [m["text"] for m in thread if m["kind"] == "staff"] == ["Unplug it."]
    # Bob reads the thread again (ann's reply now in it) and sends: it goes.
    again = api.post(
        f"/api/tickets/{first.ticket}/reply",
        {"text": "Fixed it.", "last_seen": last_key(api, first.ticket, token=bob)},
        token=bob,
    )
    assert again.status_code == 201 and len(sent) == 2


def test_a_send_that_fails_gives_the_reply_back_so_a_colleague_can_answer(api):
    """GIVEN ann's reply fails at SES (nothing mailed) WHEN bob then answers the same thread
    THEN his reply goes: a failed send holds nobody back."""
    first = deliver(api.stack, make_mail())
    bob = bob_token(api)
    seen = last_key(api, first.ticket)
    client = services().outbound.ports.sender.client
    failing = [True]

    def fail_once(**_: object) -> None:
        if failing.pop() if failing else False:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "injected"}}, "SendRawEmail")

    client.meta.events.register("before-call.ses.SendRawEmail", fail_once)
    assert (
        api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Unplug it.", "last_seen": seen}).status_code
        >= 500
    )
    sent = sent_mail()
    bobs = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Fixed it.", "last_seen": seen}, token=bob)
    assert bobs.status_code == 201, bobs.json_body
    assert len(sent) == 1


def test_a_reply_after_a_colleague_closed_the_ticket_is_asked_for_then_reopens_it(api):
    """GIVEN ann read the ticket WHEN bob closes it THEN her reply is refused (409 stale) with
    the closing in `newer` (status: closed), nothing mailed; sent again after reading, it goes
    out and the ticket is pending again."""
    first = deliver(api.stack, make_mail())
    seen = last_key(api, first.ticket)
    closed = api.patch(f"/api/tickets/{first.ticket}", {"status": "closed"}, token=bob_token(api))
    assert closed.status_code == 200, closed.json_body
    sent = sent_mail()
    refused = api.post(f"/api/tickets/{first.ticket}/reply", {"text": "Unplug it.", "last_seen": seen})
    assert refused.status_code == 409 and refused.json_body["error"] == "stale", refused.json_body
    assert refused.json_body["reason"].startswith(f"{BOB} closed the ticket ")
    assert [(n["sender"], n.get("status")) for n in refused.json_body["newer"]] == [(BOB, "closed")]
    assert sent == []
    again = api.post(
        f"/api/tickets/{first.ticket}/reply", {"text": "Unplug it.", "last_seen": last_key(api, first.ticket)}
    )
    assert again.status_code == 201 and len(sent) == 1
    assert api.get(f"/api/tickets/{first.ticket}").json_body["ticket"]["status"] == "pending"
