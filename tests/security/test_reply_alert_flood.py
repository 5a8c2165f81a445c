"""Attack: a customer turns the assignee's reply mail into a mail cannon. Each mail that
joins their ticket (through the reply address they were given) sent the agent a 'Customer
replied' mail: a thousand mails in, a thousand out from our domain, spending the account's
sending quota and burying the agent's inbox.

Answer: after a staff reply, the customer's first answer alerts and more mail before the
agent answers again sends nothing (the ticket was 'customer replied' already); mail on a
ticket the agent has not answered yet is bounded by a ceiling per agent and day.
"""

from __future__ import annotations

from chalicelib.services.assignee_alerts import AssigneeAlerts
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

ANN = "ann@example.com"


def test_a_flood_of_customer_mail_sends_the_agent_one_alert_per_staff_reply():
    svc = mail_out(acknowledge_new_tickets=False)
    svc.alert_preferences.set_reply_mail(ANN, True)
    svc.desk.agents.record("sub-ann", ANN)
    ticket = deliver_via(svc, make_mail(message_id="<q0@customer.org>")).ticket
    svc.desk.desk.update(ticket, ANN, assignee="me")
    svc.outbound.reply(ticket, ANN, "Have you tried water?")
    before = len(svc.sender.sent)

    for n in range(1, 21):
        flood = make_mail(message_id=f"<q{n}@customer.org>", in_reply_to=f"<q{n - 1}@customer.org>")
        assert deliver_via(svc, flood).outcome == "threaded"
    alerts_for_the_flood = [s for s in svc.sender.sent[before:] if s.destinations == (ANN,)]
    svc.outbound.reply(ticket, ANN, "Still on fire?")
    after_reply = len(svc.sender.sent)
    deliver_via(svc, make_mail(message_id="<q99@customer.org>", in_reply_to="<q20@customer.org>"))

    assert len(alerts_for_the_flood) == 1
    assert [s.destinations for s in svc.sender.sent[after_reply:]] == [(ANN,)], "a new answer alerts again"


def test_mail_on_a_ticket_not_yet_answered_alerts_at_most_the_agents_daily_ceiling():
    svc = mail_out(acknowledge_new_tickets=False)
    svc.alert_preferences.set_reply_mail(ANN, True)
    svc.desk.agents.record("sub-ann", ANN)
    ticket = deliver_via(svc, make_mail(message_id="<u0@customer.org>")).ticket
    svc.desk.desk.update(ticket, ANN, assignee="me")
    alerts = AssigneeAlerts(
        svc.settings, svc.outbound.ports, svc.alert_preferences, svc.desk.agents.is_agent, per_day=3
    )
    waiting = svc.desk.tickets.require_ticket(ticket)
    before = len(svc.sender.sent)

    outcomes = [alerts.customer_replied(waiting) for _ in range(5)]

    assert outcomes == ["sent", "sent", "sent", "rate_limited", "rate_limited"]
    assert len(svc.sender.sent) - before == 3
