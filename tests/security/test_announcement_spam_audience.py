"""Marked as spam, and still on the announcement's audience.

The console's Spam (bulk action) closes a ticket and tags it `spam`; an announcement to the
requesters of tickets took every status, closed included, and no tag out. So the addresses
of spam tickets (a spammer's throwaway, or a stranger whose address the spam forged) got the
company's bulk mail from its own domain: complaints and bounces against the announcements'
configuration set, which pauses at lower thresholds than replies.

GIVEN a customer's ticket and two tickets marked as spam WHEN an admin computes the audience
(any filter, a `spam` tag filter included) THEN only the customer is on it.
"""

from __future__ import annotations

from chalicelib.services.announcement_audience import AudienceFilter
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out


def test_requesters_of_tickets_marked_as_spam_are_no_audience():
    svc = mail_out(acknowledge_new_tickets=False)
    customer = deliver_via(svc, make_mail(sender="customer@x.org", subject="My order"))
    for n, sender in enumerate(["cheap-pills@spam.test", "forged-victim@elsewhere.test"]):
        spam = deliver_via(svc, make_mail(sender=sender, subject=f"Buy now {n}"))
        svc.desk.desk.update(spam.ticket, "agent@example.com", status="closed", tags=["spam"])

    assert [(r.address, r.ticket) for r in svc.announcements.audience(AudienceFilter())] == [
        ("customer@x.org", customer.ticket)
    ]
    assert svc.announcements.audience(AudienceFilter(statuses=("closed",))) == []
    assert svc.announcements.audience(AudienceFilter(tag="spam")) == []
