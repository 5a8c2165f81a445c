"""The agent's reply mail over the API and the app's own wiring: off until the agent turns
it on (GET/PUT /api/alerts, their own only), then a customer's reply on their ticket is
mailed to them through the outbound guard's SES client, and to nobody else."""

from __future__ import annotations

from email import message_from_bytes, policy

from chalicelib.wiring import services
from tests.support.deliver import deliver
from tests.support.desk_helpers import new_ticket
from tests.support.mail_factory import make_mail
from tests.support.staff_api import ANN, sent_mail


def test_an_agent_turns_reply_mail_on_and_gets_a_mail_when_their_customer_writes_again(api):
    assert api.get("/api/alerts").json_body == {"customer_reply_mail": False}
    bad = api.call("PUT", "/api/alerts", {"customer_reply_mail": "yes"})
    assert bad.status_code == 400
    turned = api.call("PUT", "/api/alerts", {"customer_reply_mail": True})
    assert (turned.status_code, turned.json_body) == (200, {"customer_reply_mail": True})
    ticket_id = new_ticket(api.stack, message_id="<first@customer.org>")
    assert api.patch(f"/api/tickets/{ticket_id}", {"assignee": "me"}).status_code == 200
    mail = sent_mail()
    svc = services()
    stack = type(
        "Stack", (), {"store": svc.ingest.ports.store, "settings": svc.settings, "ingest": svc.ingest}
    )
    again = deliver(stack, make_mail(message_id="<again@customer.org>", in_reply_to="<first@customer.org>"))
    assert (again.outcome, again.ticket) == ("threaded", ticket_id)
    [alert] = mail
    assert alert["Destinations"] == [ANN]
    msg = message_from_bytes(alert["RawMessage"]["Data"], policy=policy.default)
    assert msg["Auto-Submitted"] == "auto-generated" and msg["Subject"] == f"Customer replied on {ticket_id}"
