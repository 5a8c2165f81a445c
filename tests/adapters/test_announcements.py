"""Announcements against moto: the audience from the queue's index, and exactly once when SES
throttles or the process dies between SES and the write (faults through botocore hooks). The
rest on fakes: tests/services/test_announcements.py."""

from __future__ import annotations

import base64
from dataclasses import replace

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.domain import announcements as ann
from chalicelib.services.announcement_audience import AudienceFilter
from chalicelib.services.announcement_sending import AnnouncementSender
from chalicelib.wiring import build_services
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import VirtualClock


@pytest.fixture
def wire(stack):
    """Services on the stack; SendRawEmail requests captured with the moment (virtual) they left."""
    settings = replace(stack.settings, ses_sandbox="false", public_url="https://support.example.com/api")
    session = boto3.session.Session(region_name="us-east-1")
    svc = build_services(settings, session)
    clock, queued, sent = VirtualClock(), [], []
    svc.announcements.ports = replace(
        svc.announcements.ports, enqueue=lambda body, delay: queued.append(body)
    )

    def capture(params, **_):
        body = params["body"]
        sent.append(
            {
                "to": [v for k, v in sorted(body.items()) if k.startswith("Destinations.member.")],
                "set": body.get("ConfigurationSetName"),
                "raw": base64.b64decode(body["RawMessage.Data"]),
                "at": clock.now,
            }
        )

    svc.outbound.ports.sender.client.meta.events.register("before-call.ses.SendRawEmail", capture)
    sender: AnnouncementSender = svc.announcement_sender
    sender.ports = replace(
        sender.ports,
        monotonic=clock,
        sleep=clock.sleep,
        enqueue=lambda body, delay: queued.append({**body, "delay": delay}),
        quota=lambda: ann.SendQuota(max_24_hour=50_000, max_rate=4.0, sent_last_24_hours=0),
    )
    return svc, sent, queued, clock


def _tickets(stack, senders):
    return [deliver(stack, make_mail(sender=s, subject=f"help {n}")).ticket for n, s in enumerate(senders)]


def test_the_audience_is_the_requesters_of_matching_tickets_once_each(stack, wire):
    """GIVEN tickets of three requesters (one with two tickets, one tagged) WHEN choosing an audience
    THEN each requester is one recipient with their newest ticket, and the tag narrows it."""
    svc, *_ = wire
    first, second, third, again = _tickets(
        stack, ["Ann <ann@a.org>", "bob@b.org", "carol@c.org", "Ann <ann@a.org>"]
    )
    svc.desk.update(third, "agent", tags=["outage"])
    svc.desk.update(second, "agent", status="closed")
    everyone = svc.announcements.audience(AudienceFilter(mailbox="support"))
    assert [(r.address, r.ticket) for r in everyone] == [
        ("ann@a.org", again),
        ("bob@b.org", second),
        ("carol@c.org", third),
    ]
    assert svc.announcements.audience(AudienceFilter(mailbox="billing")) == []
    closed = svc.announcements.audience(AudienceFilter(statuses=("closed",)))
    assert [(r.address, r.ticket) for r in closed] == [("bob@b.org", second)]
    tagged = svc.announcements.audience(AudienceFilter(tag="outage"))
    assert [r.address for r in tagged] == ["carol@c.org"]
    later = svc.announcements.audience(AudienceFilter(created_from="2999-01-01"))
    assert later == [] and first != again


def _announce(svc, addresses):
    recipients = [ann.Recipient(a) for a in addresses]
    draft = svc.announcements.draft("support", "News", "Hello {name}", recipients)
    return svc.announcements.create(draft)


def test_a_crash_between_ses_and_the_write_sends_no_second_mail(stack, wire):
    """GIVEN SES accepted a mail and the write that records it fails (the process 'dies')
    WHEN SQS redelivers the batch THEN nobody gets a second mail; SES's Send event settles it."""
    svc, sent, queued, _ = wire
    announcement = _announce(svc, ["x@example.net", "y@example.net"])
    svc.announcements.start(announcement.id)
    db = svc.announcements.ports.store._db
    broken = {"left": 1}

    def die_after_ses(params, **_):
        values = params.get("ExpressionAttributeValues", {})
        if values.get(":s") == {"S": "sent"} and broken["left"]:
            broken["left"] -= 1
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "UpdateItem")

    db.meta.events.register("before-parameter-build.dynamodb.UpdateItem", die_after_ses)
    with pytest.raises(ClientError):
        svc.announcement_sender.send_batch(queued[0])
    redelivered = svc.announcement_sender.send_batch(queued[0])
    assert sorted(a for s in sent for a in s["to"]) == ["x@example.net", "y@example.net"]
    assert redelivered.sent == ["y@example.net"] and redelivered.skipped == ["x@example.net"]
    assert svc.announcements.ports.store.recipient(announcement.id, "x@example.net").state == "sending"
    assert svc.announcements.record_event(announcement.id, "x@example.net", ann.RecipientState.SENT)
    assert svc.announcements.ports.store.recipient(announcement.id, "x@example.net").state == "sent"


def test_ses_throttling_puts_the_recipient_back_for_the_retry(stack, wire):
    svc, sent, queued, _ = wire
    announcement = _announce(svc, ["t@example.net"])
    svc.announcements.start(announcement.id)
    throttled = {"left": 1}

    def throttle(**_):
        if throttled["left"]:
            throttled["left"] -= 1
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "x"
            )

    svc.outbound.ports.sender.client.meta.events.register("before-call.ses.SendRawEmail", throttle)
    with pytest.raises(ClientError):
        svc.announcement_sender.send_batch(queued[0])
    assert svc.announcements.ports.store.recipient(announcement.id, "t@example.net").state == "pending"
    assert svc.announcement_sender.send_batch(queued[0]).sent == ["t@example.net"]
