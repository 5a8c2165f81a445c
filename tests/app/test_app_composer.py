"""The composer's API: saved replies (admins manage, agents use), the agent's own profile,
the preview, and a markdown reply leaving signed, as safe HTML with a text part."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy

from tests.support.desk_helpers import new_ticket
from tests.support.staff_api import ANN, BOB, sent_mail, token_in_groups


def test_admins_manage_saved_replies_and_agents_use_them_filled_for_a_ticket(api):
    admin, agent = token_in_groups(api, ANN, "admin"), token_in_groups(api, BOB, "agent")
    made = api.post(
        "/api/replies",
        {
            "mailbox": "support",
            "title": "Greeting",
            "body": "Hello {{customer_name|there}}, re {{ticket_id}}.",
        },
        token=admin,
    )
    assert made.status_code == 201, made.json_body
    path = f"/api/replies/support/{made.json_body['id']}"

    for method, where, body in (
        ("POST", "/api/replies", {"mailbox": "support", "title": "x", "body": "y"}),
        ("PUT", path, {"title": "x", "body": "y"}),
        ("DELETE", path, None),
    ):
        answer = api.call(method, where, body, token=agent)
        assert (answer.status_code, answer.json_body["error"]) == (403, "forbidden"), (method, where)

    listed = api.get("/api/replies?mailbox=support", token=agent).json_body
    assert [(r["title"], r["updated_by"]) for r in listed["replies"]] == [("Greeting", ANN)]
    ticket = new_ticket(api.stack, sender="Alice Example <alice@customer.org>")
    filled = api.get(f"/api/replies?ticket={ticket}", token=agent).json_body
    assert filled["mailbox"] == "support"
    assert [r["filled"] for r in filled["replies"]] == [f"Hello Alice Example, re {ticket}."]

    refused = api.call("PUT", path, {"title": "Greeting", "body": "Hi {{name}}"}, token=admin)
    assert refused.status_code == 400 and "unknown placeholder {{name}}" in refused.json_body["reason"]
    assert api.call("PUT", path, {"title": "Hi", "body": "Hi {{agent_name}}"}, token=admin).status_code == 200
    assert api.call("DELETE", path, token=admin).status_code == 204
    gone = api.call("DELETE", path, token=admin)
    assert (gone.status_code, gone.json_body["error"]) == (404, "saved_reply_not_found")
    assert api.get("/api/replies?mailbox=support", token=agent).json_body["replies"] == []
    assert api.get("/api/replies", token=agent).status_code == 400
    assert api.get("/api/replies?mailbox=sales", token=agent).status_code == 400


def test_a_markdown_reply_leaves_signed_from_the_agents_name_with_both_parts(api):
    ticket = new_ticket(api.stack)
    saved = api.call("PUT", "/api/profile", {"display_name": "Ann", "signature": "Ann\nSupport **team**"})
    assert saved.json_body == {"agent": ANN, "display_name": "Ann", "signature": "Ann\nSupport **team**"}
    assert api.get("/api/profile").json_body["signature"] == "Ann\nSupport **team**"
    preview = api.post(
        "/api/composer/preview", {"text": "Hi <b>there</b> [x](javascript:alert(1))"}
    ).json_body
    assert preview["html"] == (
        "<p>Hi &lt;b&gt;there&lt;/b&gt; [x](javascript:alert(1))</p>\n"
        '<div class="signature"><p>Ann<br>\nSupport <strong>team</strong></p></div>'
    )
    assert preview["text"] == "Hi <b>there</b> [x](javascript:alert(1))\n\n-- \nAnn\nSupport *team*\n"
    outbox = sent_mail()

    sent = api.post(f"/api/tickets/{ticket}/reply", {"text": "We **fixed** it.", "format": "markdown"})

    assert sent.status_code == 201, sent.json_body
    [params] = outbox
    mail = message_from_bytes(_raw(params), policy=policy.default)
    assert (
        mail["From"] == "Ann at Support team <support@example.com>"
        and params["Source"] == "support@example.com"
    )
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == (
        "We *fixed* it.\n\n-- \nAnn\nSupport *team*\n"
    )
    assert "<p>We <strong>fixed</strong> it.</p>" in mail.get_body(("html",)).get_content()
    shown = api.get(f"/api/tickets/{ticket}").json_body["messages"][-1]
    assert shown["text"].startswith("We *fixed* it.") and shown["sender_name"] == ANN


def test_a_plain_reply_is_signed_and_a_bad_format_or_name_is_refused(api):
    ticket = new_ticket(api.stack)
    api.call("PUT", "/api/profile", {"signature": "Ann"})
    outbox = sent_mail()

    assert api.post(f"/api/tickets/{ticket}/reply", {"text": "Done."}).status_code == 201

    [params] = outbox
    mail = message_from_bytes(_raw(params), policy=policy.default)
    assert mail["From"] == "Support team <support@example.com>"
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Done.\n\n-- \nAnn\n"
    bad = api.post(f"/api/tickets/{ticket}/reply", {"text": "x", "format": "html"})
    assert bad.status_code == 400 and "format" in bad.json_body["reason"]
    injected = api.call("PUT", "/api/profile", {"display_name": "Ann\r\nBcc: all@example.com"})
    assert injected.status_code == 400
    assert api.call("PUT", "/api/profile", {"display_name": "Ann <x@evil.example>"}).status_code == 400
    assert api.get("/api/profile").json_body["display_name"] == ""


def _raw(params: dict) -> bytes:
    data = params["RawMessage"]["Data"]
    return data if isinstance(data, bytes) else base64.b64decode(data)
