"""The "customer replied" marker and the change counters an open console polls, on fakes
(the adapter's transaction items: tests/adapters/test_change_counters.py)."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.services.change_feed import ChangeFeed
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

AGENT = "agent-7"


def test_a_customer_answer_after_a_staff_reply_marks_the_ticket_and_counts_for_its_agent():
    svc = mail_out(acknowledge_new_tickets=False)
    feed = ChangeFeed(svc.desk.tickets, ["support", "billing"])
    first = deliver_via(svc, make_mail(message_id="<q1@customer.org>"))
    tickets = svc.desk.tickets
    assert not tickets.require_ticket(first.ticket).customer_replied  # nobody answered yet

    before = feed.read(AGENT)
    tickets.tickets[first.ticket] = replace(
        tickets.require_ticket(first.ticket), assignee=AGENT, status="solved"
    )
    reply = svc.outbound.reply(first.ticket, AGENT, "Have you tried water?")
    assert not tickets.require_ticket(first.ticket).customer_replied
    deliver_via(
        svc, make_mail(subject="Re: Printer on fire", references=reply.message_id, message_id="<q2@c.org>")
    )

    ticket = tickets.require_ticket(first.ticket)
    assert ticket.customer_replied and ticket.status == "open"
    after = feed.read(AGENT)
    support = after.mailboxes[0]
    assert (before.mailboxes[0].tickets, before.mailboxes[0].changes) == (1, 1)
    # the new ticket, the staff reply (a colleague's open console re-reads), the reply's
    # reopening of the solved ticket (the desk's status change) and the customer's answer
    assert (support.scope, support.tickets, support.changes, support.ticket) == (
        "support",
        1,
        4,
        first.ticket,
    )
    assert after.mailboxes[1].changes == 0 and (after.mine.replies, after.mine.ticket) == (1, first.ticket)
    assert feed.read("someone-else").mine.replies == 0

    svc.outbound.reply(first.ticket, AGENT, "Then call the fire brigade.")
    assert not tickets.require_ticket(first.ticket).customer_replied
