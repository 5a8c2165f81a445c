"""Attack: anyone can open a ticket in someone else's name. Mallory sends one mail with
`From: victim@elsewhere.test`, which SES cannot authenticate; it is filed (nothing is lost),
and the victim is now "a requester". An announcement to the requesters of tickets then sent
the company's bulk mail, from its own domain, to an address that never wrote to us:
backscatter, complaints and bounces against the announcements' configuration set.

Answer: the audience from tickets leaves out requesters whose matching tickets all came from
mail the sender-trust policy did not authenticate, and the preview says how many and why.
An admin who knows better includes them on purpose (`include_unauthenticated`, the CLI's
`--include-unauthenticated`, the console's checkbox). Tickets filed before the verdict was
kept count as before.
"""

from __future__ import annotations

from chalicelib.services.announcement_audience import AudienceFilter
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

FORGED = {"dmarc": "GRAY", "spf": "FAIL", "dkim": "FAIL", "source": "mallory@evil.test"}


def test_requesters_whose_mail_was_not_authenticated_are_left_out_and_counted():
    svc = mail_out(acknowledge_new_tickets=False)
    customer = deliver_via(svc, make_mail(sender="customer@x.org", subject="My order"))
    deliver_via(svc, make_mail(sender="victim@elsewhere.test", subject="Unsubscribe me"), **FORGED)
    # A customer without DMARC who once also wrote authenticated mail is proven by it.
    deliver_via(svc, make_mail(sender="both@y.org", subject="one"), **{**FORGED, "source": "both@y.org"})
    both = deliver_via(svc, make_mail(sender="both@y.org", subject="two"))

    recipients, left_out = svc.announcements.audience_of(AudienceFilter())

    assert [(r.address, r.ticket) for r in recipients] == [
        ("both@y.org", both.ticket),
        ("customer@x.org", customer.ticket),
    ]
    assert left_out == 1
    draft = svc.announcements.draft("support", "News", "Hello {name}", recipients, unauthenticated=left_out)
    assert draft.as_dict()["left_out_unauthenticated"] == 1
    everyone, none_left = svc.announcements.audience_of(AudienceFilter(unauthenticated=True))
    assert [r.address for r in everyone] == ["both@y.org", "customer@x.org", "victim@elsewhere.test"]
    assert none_left == 0
    assert "unauthenticated requesters included" in AudienceFilter(unauthenticated=True).describe()


def test_a_later_authenticated_mail_of_the_requester_on_the_ticket_proves_them():
    """The customer's first mail failed authentication (a forwarder broke its DKIM, say); a
    later one on the same ticket passes. The ticket's requester is authenticated from then on:
    only by mail of the requester's own address, not of a participant's."""
    svc = mail_out(acknowledge_new_tickets=False)
    first = make_mail(sender="late@z.org", subject="Help", message_id="<l1@z.org>")
    ticket = str(deliver_via(svc, first, **{**FORGED, "source": "late@z.org"}).ticket)
    svc.desk.desk.add_participant(ticket, "ann@example.com", "colleague@z.org")
    reply = {"subject": "Re: Help", "in_reply_to": "<l1@z.org>", "references": "<l1@z.org>"}

    colleague = deliver_via(svc, make_mail(sender="colleague@z.org", message_id="<c1@z.org>", **reply))
    assert (colleague.outcome, colleague.ticket) == ("threaded", ticket)
    assert svc.announcements.audience_of(AudienceFilter()) == ([], 1)

    requester = deliver_via(svc, make_mail(sender="late@z.org", message_id="<l2@z.org>", **reply))
    assert (requester.outcome, requester.ticket) == ("threaded", ticket)
    recipients, left_out = svc.announcements.audience_of(AudienceFilter())
    assert ([(r.address, r.ticket) for r in recipients], left_out) == ([("late@z.org", ticket)], 0)
