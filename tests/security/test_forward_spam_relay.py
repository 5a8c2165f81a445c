"""Attack: a hostile agent (or a stolen agent token) uses forward as a spam relay: forward is
the one way an agent sends to any address, so a script posts it to a list of strangers, one
address a request, each mail from our domain with a customer's thread in it. Nothing
counted forwards: the only stop was SES pausing the whole account for the complaints.

Answer: forwards are counted per agent and day (FORWARDS_PER_AGENT_PER_DAY); past it a
forward is refused with the reason (rate_limited), nothing is sent and nothing recorded.
"""

from __future__ import annotations

import pytest

from chalicelib.errors import SendRefused
from chalicelib.services.ticket_forwarding import TicketForwarding
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

AGENT, COLLEAGUE = "mallory@example.com", "ann@example.com"


def test_an_agent_forwards_at_most_the_daily_cap_and_a_colleague_is_not_held_back():
    svc = mail_out(acknowledge_new_tickets=False)
    ticket = deliver_via(svc, make_mail()).ticket
    forwarding = TicketForwarding(svc.settings, svc.outbound, svc.desk.store, per_agent_per_day=3)

    for n in range(3):
        forwarding.forward(ticket, AGENT, f"stranger{n}@elsewhere.test")
    with pytest.raises(SendRefused) as refused:
        forwarding.forward(ticket, AGENT, "stranger3@elsewhere.test")
    forwarding.forward(ticket, COLLEAGUE, "engineering@elsewhere.test")

    assert refused.value.reason == "rate_limited" and "3 forwards today" in str(refused.value)
    assert [s.destinations for s in svc.sender.sent] == [
        ("stranger0@elsewhere.test",),
        ("stranger1@elsewhere.test",),
        ("stranger2@elsewhere.test",),
        ("engineering@elsewhere.test",),
    ]
    recorded = [m.body.text for m in svc.desk.tickets.messages(ticket) if m.kind == "event"]
    assert not any("stranger3" in line for line in recorded)
