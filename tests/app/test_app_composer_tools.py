"""The composer's sending tools through the staff API: reply attachments (the upload form, the
browser's POST to S3, the reply that names the upload and the mail SES is handed) and
forwards (the mail to a third party, the line in the thread)."""

from __future__ import annotations

from email import message_from_bytes, policy

import requests

from chalicelib.wiring import services
from tests.support.desk_helpers import new_ticket
from tests.support.staff_api import bob_token, sent_mail

PDF = b"%PDF-1.4\n" + b"refund " * 300 + b"\n%%EOF\n"


def offer(api, ticket_id, name="refund.pdf", content_type="application/pdf", size=0):
    body = {"filename": name, "content_type": content_type, "size": size or len(PDF)}
    return api.post(f"/api/tickets/{ticket_id}/uploads", body)


def test_a_reply_sends_the_uploaded_pdf_as_an_attachment(api):
    ticket_id = new_ticket(api.stack)
    form = offer(api, ticket_id)
    assert form.status_code == 201, form.json_body
    assert form.json_body["key"].startswith(f"uploads/{ticket_id}/") and form.json_body["key"].endswith(
        "/refund.pdf"
    )
    posted = requests.post(
        form.json_body["url"], data=form.json_body["fields"], files={"file": ("refund.pdf", PDF)}, timeout=10
    )
    assert posted.status_code == 204
    sent = sent_mail()

    reply = api.post(
        f"/api/tickets/{ticket_id}/reply", {"text": "Attached.", "uploads": [form.json_body["key"]]}
    )

    assert reply.status_code == 201, reply.json_body
    mail = message_from_bytes(sent[0]["RawMessage"]["Data"], policy=policy.default)
    [part] = list(mail.iter_attachments())
    assert (part.get_filename(), part.get_content_type(), part.get_content()) == (
        "refund.pdf",
        "application/pdf",
        PDF,
    )
    shown = api.get(f"/api/tickets/{ticket_id}").json_body["messages"][-1]
    assert [a["filename"] for a in shown["attachments"]] == ["refund.pdf"]


def test_executables_and_unknown_uploads_are_refused_with_the_reason(api):
    ticket_id = new_ticket(api.stack)
    refused = offer(api, ticket_id, "tool.exe", "application/octet-stream")
    assert refused.status_code == 400 and "run or render" in refused.json_body["reason"]
    too_big = offer(api, ticket_id, size=26 * 1024 * 1024)
    assert too_big.status_code == 400 and "bytes each" in too_big.json_body["reason"]
    missing = api.post(
        f"/api/tickets/{ticket_id}/reply", {"text": "x", "uploads": [f"uploads/{ticket_id}/{'0' * 32}/a.pdf"]}
    )
    assert missing.status_code == 400 and "was not uploaded" in missing.json_body["reason"]
    assert offer(api, "T-999999").status_code == 404


def test_a_forward_sends_the_ticket_to_another_address_and_shows_in_the_thread(api):
    ticket_id = new_ticket(api.stack)
    sent = sent_mail()
    assert (
        api.call("PUT", "/api/profile", {"display_name": "Ann", "signature": "Ann\nSupport"}).status_code
        == 200
    )

    answer = api.post(f"/api/tickets/{ticket_id}/forward", {"to": "engineering@partner.test", "note": "Bug?"})

    assert answer.status_code == 201, answer.json_body
    assert sent[0]["Destinations"] == ["engineering@partner.test"]
    mail = message_from_bytes(sent[0]["RawMessage"]["Data"], policy=policy.default)
    assert mail["From"] == "Ann at Support team <support@example.com>"  # as the agent's replies are
    assert "Bug?\n\n-- \nAnn\nSupport\n" in mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    events = [m for m in api.get(f"/api/tickets/{ticket_id}").json_body["messages"] if m["kind"] == "event"]
    assert events[-1]["text"] == "forwarded the ticket to engineering@partner.test: “Bug?”"
    assert api.post(f"/api/tickets/{ticket_id}/forward", {"to": "not an address"}).status_code == 400
    unknown = api.post(f"/api/tickets/{ticket_id}/forward", {"to": "a@b.example", "message_key": "nope"})
    assert unknown.status_code == 404


def test_a_reply_held_for_undo_is_queued_and_an_undo_cancels_it_for_certain(api):
    ticket_id = new_ticket(api.stack)
    last = api.get(f"/api/tickets/{ticket_id}").json_body["messages"][-1]["key"]
    sent = sent_mail()

    form = offer(api, ticket_id).json_body
    requests.post(form["url"], data=form["fields"], files={"file": ("refund.pdf", PDF)}, timeout=10)
    reply = {"text": "Oops.", "undo": True, "last_seen": last, "uploads": [form["key"]]}
    held = api.post(f"/api/tickets/{ticket_id}/reply", reply)

    assert held.status_code == 202 and held.json_body["state"] == "waiting", held.json_body
    queued = (
        api.stack.client("sqs")
        .receive_message(QueueUrl=api.stack.outputs["INBOUND_OUTBOX_QUEUE_URL"], WaitTimeSeconds=0)
        .get("Messages", [])
    )
    assert queued == []  # delayed: not visible before its window has passed
    path = f"/api/tickets/{ticket_id}/held/{held.json_body['held']}"
    waiting = api.get(f"/api/tickets/{ticket_id}/held/waiting").json_body["held"]  # a page loaded again
    assert [(h["held"], h["state"], h["text"], h["files"]) for h in waiting] == [
        (held.json_body["held"], "waiting", "Oops.", [{"key": form["key"], "name": "refund.pdf"}])
    ]
    assert api.get(f"/api/tickets/{ticket_id}/held/waiting", token=bob_token(api)).json_body == {"held": []}
    follow_up = api.post(f"/api/tickets/{ticket_id}/reply", {"text": "Me too", "last_seen": last})
    assert follow_up.status_code == 201  # the same agent may follow up; a colleague gets 409 (services tests)
    undone = api.call("DELETE", path)
    assert (undone.status_code, undone.json_body["state"]) == (200, "cancelled")
    assert api.get(path).json_body["state"] == "cancelled"
    assert api.get(f"/api/tickets/{ticket_id}/held/waiting").json_body == {"held": []}
    assert services().held_replies.send_due(ticket_id, held.json_body["held"]) is None
    assert [m["Destinations"] for m in sent] == [["alice@customer.org"]]  # "Me too" only
    assert api.call("DELETE", path).status_code == 409
