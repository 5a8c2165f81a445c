"""Announcements against moto: the audience from the queue's index, the guard, exactly once."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from email import message_from_bytes, policy

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.domain import announcements as ann
from chalicelib.domain.feedback import SuppressionEntry
from chalicelib.services.announcement_sending import AnnouncementSender
from chalicelib.services.announcements import AudienceFilter
from chalicelib.wiring import build_services
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail


class VirtualClock:
    """A monotonic clock whose sleep moves time on instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def wire(stack):
    """Services on the stack; SendRawEmail requests captured with the moment (virtual) they left."""
    settings = replace(stack.settings, ses_sandbox="false", public_url="https://support.example.com/api")
    session = boto3.session.Session(region_name="us-east-1")
    svc = build_services(settings, session)
    clock, queued, sent = VirtualClock(), [], []
    svc.announcements.parts = replace(
        svc.announcements.parts, enqueue=lambda body, delay: queued.append(body)
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

    svc.outbound.parts.sender.client.meta.events.register("before-call.ses.SendRawEmail", capture)
    sender: AnnouncementSender = svc.announcement_sender
    sender.parts = replace(
        sender.parts,
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


def test_an_uploaded_list_takes_names_and_reports_bad_lines(wire):
    svc, *_ = wire
    recipients, invalid = svc.announcements.audience_from_list(
        ["Dana <Dana@D.org>", "eve@e.org,Eve E", "# comment", "not an address", "eve@e.org"]
    )
    assert [(r.address, r.name) for r in recipients] == [("dana@d.org", "Dana"), ("eve@e.org", "Eve E")]
    assert invalid == ["not an address"]


def test_the_preview_fills_placeholders_and_carries_one_click_unsubscribe(stack, wire):
    """GIVEN a draft WHEN previewed THEN the sample mail is personal, escaped in HTML, and has
    RFC 8058's headers with a token that verifies for that address only."""
    svc, *_ = wire
    recipient = ann.Recipient("dana@d.org", name="<b>Dana</b>", ticket="T-7")
    draft = svc.announcements.draft(
        "support",
        "Outage for {name}",
        "Hello {name}, about {ticket} ({email}).",
        [recipient],
        html="<p>Hello {name}<script>alert(1)</script></p>",
    )
    mail = message_from_bytes(draft.sample, policy=policy.default)
    assert mail["Subject"] == "Outage for <b>Dana</b>"
    assert "Hello <b>Dana</b>, about T-7 (dana@d.org)." in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "&lt;b&gt;Dana&lt;/b&gt;" in html and "<script>" not in html
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [u.strip(" <>") for u in mail["List-Unsubscribe"].split(",")]
    assert https.startswith("https://support.example.com/api/u/") and mailto.startswith("mailto:support@")
    token = https.rsplit("/u/", 1)[1].partition("?")[0]
    assert ann.verify_unsubscribe(token, (stack.secret(),)) == "dana@d.org"
    assert mail["X-Inbound-Announcement"] == draft.announcement.id
    assert svc.announcements.parts.store.get(draft.announcement.id) is None  # a preview writes nothing


def _announce(svc, addresses):
    recipients = [ann.Recipient(a) for a in addresses]
    draft = svc.announcements.draft("support", "News", "Hello {name}", recipients)
    return svc.announcements.create(draft)


def test_a_send_goes_through_the_guard_once_per_recipient_at_the_rate(stack, wire):
    """GIVEN 8 recipients, one suppressed and one opted out WHEN the batch runs twice (a redelivery)
    THEN the other 6 get one mail each, with the announcements' configuration set, at most 4 a
    second of the (virtual) clock, and the two are refused with their reasons."""
    svc, sent, queued, clock = wire
    addresses = [f"r{n}@example.net" for n in range(8)]
    svc.outbound.parts.suppression_list.put(
        SuppressionEntry("r1@example.net", "BOUNCE", "2026-12-01T00:00:00.000Z")
    )
    svc.announcements.parts.store.opt_out("r2@example.net", "2026-12-01T00:00:00.000Z", "test")
    announcement = _announce(svc, addresses)
    assert svc.announcements.start(announcement.id) == 8
    [batch] = queued
    first = svc.announcement_sender.send_batch(batch)
    again = svc.announcement_sender.send_batch(batch)
    assert sorted(first.sent) == [a for a in addresses if a not in ("r1@example.net", "r2@example.net")]
    assert again.sent == [] and sorted(again.skipped) == addresses
    assert sorted(a for s in sent for a in s["to"]) == sorted(first.sent)
    assert {s["set"] for s in sent} == {stack.settings.announcement_configuration_set}
    moments = [s["at"] for s in sent]
    assert all(b - a >= 1 / 2 for a, b in zip(moments, moments[1:], strict=False))  # 4/s over 2 invocations
    _, recipients = svc.announcements.status(announcement.id)
    states = {r.address: (r.state, r.reason.partition(":")[0]) for r in recipients}
    assert states["r1@example.net"] == ("refused", "suppressed")
    assert states["r2@example.net"] == ("refused", "unsubscribed")
    assert all(states[a] == ("sent", "") for a in first.sent)


def test_what_the_daily_quota_cannot_hold_is_queued_again_for_later(stack, wire):
    svc, sent, queued, _ = wire
    svc.announcement_sender.parts = replace(
        svc.announcement_sender.parts,
        quota=lambda: ann.SendQuota(max_24_hour=100, max_rate=10, sent_last_24_hours=77),
    )
    announcement = _announce(svc, [f"q{n}@example.net" for n in range(6)])
    svc.announcements.start(announcement.id)
    outcome = svc.announcement_sender.send_batch(queued[0])
    assert len(outcome.sent) == 3  # 80 % of 100 for announcements, 77 used
    assert queued[-1] == {"announcement": announcement.id, "recipients": outcome.deferred, "delay": 900}
    assert len(outcome.deferred) == 3 and len(sent) == 3


def test_a_crash_between_ses_and_the_write_sends_no_second_mail(stack, wire):
    """GIVEN SES accepted a mail and the write that records it fails (the process 'dies')
    WHEN SQS redelivers the batch THEN nobody gets a second mail; SES's Send event settles it."""
    svc, sent, queued, _ = wire
    announcement = _announce(svc, ["x@example.net", "y@example.net"])
    svc.announcements.start(announcement.id)
    db = svc.announcements.parts.store._db
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
    assert svc.announcements.parts.store.recipient(announcement.id, "x@example.net").state == "sending"
    assert svc.announcements.record_event(announcement.id, "x@example.net", ann.RecipientState.SENT)
    assert svc.announcements.parts.store.recipient(announcement.id, "x@example.net").state == "sent"


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

    svc.outbound.parts.sender.client.meta.events.register("before-call.ses.SendRawEmail", throttle)
    with pytest.raises(ClientError):
        svc.announcement_sender.send_batch(queued[0])
    assert svc.announcements.parts.store.recipient(announcement.id, "t@example.net").state == "pending"
    assert svc.announcement_sender.send_batch(queued[0]).sent == ["t@example.net"]


def test_a_one_click_unsubscribe_opts_out_of_announcements_only(stack, wire):
    svc, sent, queued, _ = wire
    announcement = _announce(svc, ["u@example.net"])
    svc.announcements.start(announcement.id)
    svc.announcement_sender.send_batch(queued[0])
    token = ann.unsubscribe_token(stack.secret(), "u@example.net")
    assert svc.announcements.unsubscribe(token + "x", announcement.id) is None
    assert svc.announcements.unsubscribe(token, announcement.id) == "u@example.net"
    assert svc.announcements.parts.store.opted_out(["u@example.net"]) == {"u@example.net"}
    assert svc.announcements.parts.store.recipient(announcement.id, "u@example.net").state == "unsubscribed"
    assert svc.suppression.check("u@example.net")["suppressed"] is False  # replies still reach them


def test_announcements_pause_first(stack, wire):
    """GIVEN transactional mail at a warning WHEN an announcement batch runs THEN it refuses with
    'reputation' (staff replies would still go)."""
    svc, sent, queued, _ = wire
    from chalicelib.domain.reputation import GuardState

    warned = GuardState("paused", 0.03, 0.0, 500, 1, "transactional mail: bounces 3%")
    svc.announcement_sender.parts = replace(svc.announcement_sender.parts, guard_state=lambda: warned)
    announcement = _announce(svc, ["p@example.net"])
    svc.announcements.start(announcement.id)
    outcome = svc.announcement_sender.send_batch(queued[0])
    assert outcome.refused["p@example.net"].startswith("reputation") and sent == []


def test_the_queue_message_is_json_the_handler_reads(wire):
    svc, _, queued, _ = wire
    announcement = _announce(svc, [f"j{n}@example.net" for n in range(120)])
    svc.announcements.start(announcement.id)
    assert [len(b["recipients"]) for b in queued] == [50, 50, 20]
    assert json.loads(json.dumps(queued[0]))["announcement"] == announcement.id
