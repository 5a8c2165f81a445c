"""Desk bugs a team of two hit on its first day (issue 15), each as staff meet it over the API."""

from __future__ import annotations

from email import message_from_bytes, policy

from chalicelib.wiring import services
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, pool_of, sent_mail
from tests.support.staff_auth import sign_in


def test_a_blank_reply_is_refused_and_nothing_is_mailed(api):
    ticket_id = new_ticket(api.stack)
    sent = sent_mail()
    for blank in ("", "  \n\t  "):
        refused = api.post(f"/api/tickets/{ticket_id}/reply", {"text": blank})
        assert refused.status_code == 400 and "empty" in refused.json_body["reason"], blank
    assert sent == []
    assert [m.kind for m in api.stack.tickets.messages(ticket_id)] == ["customer"]


def test_a_reply_on_a_merged_ticket_is_refused_naming_the_surviving_ticket(api):
    """GIVEN T-b merged into T-a WHEN an agent still on T-b replies THEN 409 naming T-a, nothing
    is mailed, and T-a's thread is as it was (the agent answers there)."""
    survivor = new_ticket(api.stack, "Printer on fire")
    merged = new_ticket(api.stack, "Printer still on fire")
    assert api.post(f"/api/tickets/{merged}/merge", {"into": survivor}).status_code == 200
    before = api.stack.tickets.messages(survivor)
    sent = sent_mail()
    refused = api.post(f"/api/tickets/{merged}/reply", {"text": "We are on it."})
    assert refused.status_code == 409, refused.json_body
    assert (refused.json_body["error"], refused.json_body["merged_into"]) == ("merged", survivor)
    assert survivor in refused.json_body["reason"]
    assert sent == [] and api.stack.tickets.messages(survivor) == before
    answered = api.post(f"/api/tickets/{survivor}/reply", {"text": "We are on it."})
    assert answered.status_code == 201 and len(sent) == 1


def test_the_status_moves_on_as_an_agent_takes_and_answers_a_ticket(api):
    """new -> open when assigned, -> pending when answered, -> open again on the customer's mail."""
    first = deliver(api.stack, make_mail(message_id="<q1@customer.org>"))
    ticket_id = str(first.ticket)
    taken = api.patch(f"/api/tickets/{ticket_id}", {"assignee": "me"}).json_body
    assert (taken["assignee"], taken["status"]) == (ANN, "open")
    assert api.post(f"/api/tickets/{ticket_id}/reply", {"text": "Try turning it off."}).status_code == 201
    assert api.get(f"/api/tickets/{ticket_id}").json_body["ticket"]["status"] == "pending"
    mine = api.get("/api/tickets?assignee=me&status=pending").json_body["tickets"]
    assert [t["id"] for t in mine] == [ticket_id], "the queue index follows the status"
    deliver(
        api.stack, make_mail(subject=f"Re: [{ticket_id}] Printer on fire", in_reply_to="<q1@customer.org>")
    )
    assert api.get(f"/api/tickets/{ticket_id}").json_body["ticket"]["status"] == "open"


def test_a_reply_on_an_unassigned_new_ticket_leaves_it_pending_for_the_customer(api):
    ticket_id = new_ticket(api.stack)
    assert api.post(f"/api/tickets/{ticket_id}/reply", {"text": "Which model is it?"}).status_code == 201
    assert api.stack.tickets.get_ticket(ticket_id).status == "pending"


def test_a_reply_sent_while_its_ticket_is_merged_is_stored_on_the_surviving_ticket(api):
    """GIVEN a colleague merges the ticket while SES takes the reply THEN the sent reply is on
    the surviving ticket's thread (never on the closed one, where nobody would see it)."""
    survivor = new_ticket(api.stack, "Printer on fire")
    merged = new_ticket(api.stack, "Printer still on fire")
    client = services().outbound.ports.sender.client

    def merge_meanwhile(**_):
        client.meta.events.unregister("before-call.ses.SendRawEmail", merge_meanwhile)
        services().desk.merge(merged, "bob@example.com", survivor)

    client.meta.events.register("before-call.ses.SendRawEmail", merge_meanwhile)
    answered = api.post(f"/api/tickets/{merged}/reply", {"text": "We are on it."})
    assert answered.status_code == 201 and answered.json_body["ticket"] == survivor
    thread = api.get(f"/api/tickets/{survivor}").json_body["messages"]
    assert [m["kind"] for m in thread if m["kind"] != "event"] == ["customer", "customer", "staff"]
    assert api.get(f"/api/tickets/{merged}").json_body["messages"] == []


def test_only_real_agents_can_be_assigned_and_a_typo_is_a_400(api):
    """GIVEN bob has signed in once WHEN ann assigns to 'bbo@example.com' (a typo) THEN 400 and
    the ticket stays in the pool; assigning to bob works."""
    ticket_id = new_ticket(api.stack)
    bob = sign_in(api.stack.client("cognito-idp"), *pool_of(api.stack), "bob@example.com")
    assert api.get("/api/tickets", token=bob["id"]).status_code == 200  # bob's first request
    typo = api.patch(f"/api/tickets/{ticket_id}", {"assignee": "bbo@example.com"})
    assert typo.status_code == 400 and "bbo@example.com is not an agent" in typo.json_body["reason"]
    assert [t["id"] for t in api.get("/api/tickets?assignee=none").json_body["tickets"]] == [ticket_id]
    assigned = api.patch(f"/api/tickets/{ticket_id}", {"assignee": "Bob@Example.com"})
    assert assigned.status_code == 200 and assigned.json_body["assignee"] == "bob@example.com"


def test_a_split_gets_a_fresh_subject_tag_and_both_tickets_link_to_each_other(api):
    """GIVEN a second question sent as a reply ('Re: [T-a] Printer on fire') WHEN split out THEN
    the new ticket's subject has no [T-a], a reply on it carries its own tag only, and each
    ticket links to the other."""
    first = deliver(api.stack, make_mail(message_id="<q1@customer.org>"))
    second = deliver(
        api.stack,
        make_mail(
            subject=f"Re: [{first.ticket}] Printer on fire - and the scanner?",
            in_reply_to="<q1@customer.org>",
        ),
    )
    assert second.ticket == first.ticket
    split = api.post(f"/api/tickets/{first.ticket}/split", {"message_key": second.ses_message_id}).json_body
    new_id = split["id"]
    assert split["subject"] == "Re: Printer on fire - and the scanner?"
    assert (split["related_ticket"], split["related_reason"]) == (
        first.ticket,
        f"split from {first.ticket} by {ANN}",
    )
    source = api.get(f"/api/tickets/{first.ticket}").json_body["ticket"]
    assert (source["related_ticket"], source["related_reason"]) == (
        new_id,
        f"a message was split into {new_id}",
    )
    sent = sent_mail()
    assert api.post(f"/api/tickets/{new_id}/reply", {"text": "About the scanner:"}).status_code == 201
    mail = message_from_bytes(sent[0]["RawMessage"]["Data"], policy=policy.default)
    assert mail["Subject"] == f"Re: Printer on fire - and the scanner? [{new_id}]"


def test_attachment_links_say_when_they_expire(api):
    """The console renews links before this time; it is when S3 stops honouring the signature."""
    from datetime import UTC, datetime, timedelta
    from urllib.parse import parse_qs, urlsplit

    pdf = b"%PDF-1.4\n" + b"0" * 64
    outcome = deliver(api.stack, make_mail(attachments=(("scan.pdf", "application/pdf", pdf),)))
    [message] = api.get(f"/api/tickets/{outcome.ticket}").json_body["messages"]
    [attachment] = message["attachments"]
    signed = parse_qs(urlsplit(attachment["url"]).query)
    assert int(signed["X-Amz-Expires"][0]) == attachment["url_expires_in"] == 300
    signed_at = datetime.strptime(signed["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expires_at = datetime.fromisoformat(attachment["url_expires_at"])
    assert abs(expires_at - (signed_at + timedelta(seconds=300))) < timedelta(seconds=2)
