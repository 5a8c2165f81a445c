"""Attack (or accident): an agent who turned reply mail on is disabled or removed (they left
the company) while tickets are still in their name. Every customer answer on those tickets
went on being mailed to their address: the ticket id and the console link, from our
domain, to someone no longer on the staff, for as long as the tickets stayed theirs.

Answer: an alert goes only to an agent on the staff and not disabled (the same check the
desk makes before assigning); the customer's mail is filed as ever.
"""

from __future__ import annotations

from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

ANN = "ann@example.com"


def test_a_disabled_agent_is_mailed_nothing_and_the_customers_mail_is_filed():
    svc = mail_out(acknowledge_new_tickets=False)
    svc.desk.agents.record("sub-ann", ANN)
    svc.alert_preferences.set_reply_mail(ANN, True)
    ticket = deliver_via(svc, make_mail(message_id="<d1@customer.org>")).ticket
    svc.desk.desk.update(ticket, ANN, assignee="me")
    svc.outbound.reply(ticket, ANN, "We are on it.")
    svc.desk.agents.set_disabled(ANN, True)  # what `inbound staff disable` and the Staff screen do
    before = len(svc.sender.sent)

    again = deliver_via(svc, make_mail(message_id="<d2@customer.org>", in_reply_to="<d1@customer.org>"))

    assert (again.outcome, again.ticket) == ("threaded", ticket)
    assert svc.sender.sent[before:] == [], "nothing went to the disabled agent"
