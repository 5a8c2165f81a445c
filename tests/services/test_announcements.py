"""Announcements on fakes: the audience, the preview, the guard once per recipient at the
rate, the quota, opting out, the pause. SES throttling and a crash between SES and the write
(faults through botocore hooks) stay in tests/adapters/test_announcements.py."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes, policy

from chalicelib.domain import announcements as ann
from chalicelib.domain.suppression import SuppressionEntry
from chalicelib.domain.warmup import IpWarmup, WarmupPlan
from chalicelib.services.announcement_audience import AudienceFilter
from tests.fakes.stack import SECRET
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out
from tests.support.ses_feedback import bounce_note, engagement_note, send_note

AT = "2026-12-01T00:00:00.000Z"


def _announce(svc, addresses):
    recipients = [ann.Recipient(a) for a in addresses]
    draft = svc.announcements.draft("support", "News", "Hello {name}", recipients)
    return svc.announcements.create(draft)


def test_the_audience_is_the_requesters_of_matching_tickets_once_each():
    svc = mail_out(acknowledge_new_tickets=False)
    for n, sender in enumerate(["a@x.org", "b@x.org", "a@x.org"]):
        deliver_via(svc, make_mail(sender=sender, subject=f"help {n}"))
        svc.desk.clock = svc.desk.clock.replace(second=n + 1)

    everyone = svc.announcements.audience(AudienceFilter())

    assert [(r.address, r.ticket) for r in everyone] == [("a@x.org", "T-1003"), ("b@x.org", "T-1002")]
    assert svc.announcements.audience(AudienceFilter(mailbox="billing")) == []


def test_a_ticket_from_one_of_our_own_addresses_adds_no_recipient():
    """An announcement to our own mailbox would come back in as mail (suspended, or a ticket)."""
    svc = mail_out(acknowledge_new_tickets=False)
    for sender in ["a@x.org", "support@example.com", "Eng@Example.com"]:
        deliver_via(svc, make_mail(sender=sender, subject=f"from {sender}"))

    assert [r.address for r in svc.announcements.audience(AudienceFilter())] == ["a@x.org"]


def test_an_uploaded_list_takes_names_and_reports_bad_lines():
    svc = mail_out()
    recipients, invalid = svc.announcements.audience_from_list(
        ["Dana <Dana@D.org>", "eve@e.org,Eve E", "# comment", "not an address", "eve@e.org"]
    )
    assert [(r.address, r.name) for r in recipients] == [("dana@d.org", "Dana"), ("eve@e.org", "Eve E")]
    assert invalid == ["not an address"]


def test_the_preview_fills_placeholders_and_carries_one_click_unsubscribe():
    """GIVEN a draft WHEN previewed THEN the sample mail is personal, escaped in HTML, and has
    RFC 8058's headers with a token that verifies for that address only."""
    svc = mail_out()
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
    found = ann.read_unsubscribe(token, (SECRET,))
    assert found is not None and found.address == "dana@d.org"
    assert mail["X-Inbound-Announcement"] == draft.announcement.id
    assert svc.announcement_store.get(draft.announcement.id) is None  # a preview writes nothing


def test_a_send_goes_through_the_guard_once_per_recipient_at_the_rate():
    """GIVEN 8 recipients, one suppressed and one opted out WHEN the batch runs twice (a redelivery)
    THEN the other 6 get one mail each, at most 4 a second of the (virtual) clock, and the two are
    refused with their reasons."""
    svc = mail_out()
    addresses = [f"r{n}@example.net" for n in range(8)]
    svc.table.suppression_list.put(SuppressionEntry("r1@example.net", "BOUNCE", AT))
    svc.announcement_store.opt_out("r2@example.net", AT, "test")
    announcement = _announce(svc, addresses)
    assert svc.announcements.start(announcement.id) == 8
    [batch] = svc.queued

    first = svc.announcement_sender.send_batch(batch)
    again = svc.announcement_sender.send_batch(batch)

    assert sorted(first.sent) == [a for a in addresses if a not in ("r1@example.net", "r2@example.net")]
    assert again.sent == [] and sorted(again.skipped) == addresses
    assert sorted(svc.announcement_ses.recipients()) == sorted(first.sent) and svc.sender.sent == []
    waits = svc.pacing.sleeps
    assert waits and all(w <= 1 / 2 for w in waits) and svc.pacing.now - 1000.0 >= (len(first.sent) - 1) / 2
    _, recipients = svc.announcements.status(announcement.id)
    states = {r.address: (r.state, r.reason.partition(":")[0]) for r in recipients}
    assert states["r1@example.net"] == ("refused", "suppressed")
    assert states["r2@example.net"] == ("refused", "unsubscribed")
    assert all(states[a] == ("sent", "") for a in first.sent)


def test_what_the_daily_quota_cannot_hold_is_queued_again_for_later():
    svc = mail_out()
    svc.quota = ann.SendQuota(max_24_hour=100, max_rate=10, sent_last_24_hours=77)
    announcement = _announce(svc, [f"q{n}@example.net" for n in range(6)])
    svc.announcements.start(announcement.id)

    outcome = svc.announcement_sender.send_batch(svc.queued[0])

    assert len(outcome.sent) == 3  # 80 % of 100 for announcements, 77 used
    assert svc.queued[-1] == {"announcement": announcement.id, "recipients": outcome.deferred, "delay": 900}
    assert len(outcome.deferred) == 3 and len(svc.announcement_ses.sent) == 3


def test_the_warm_up_plan_holds_back_what_exceeds_the_days_cap_until_the_next_day():
    """GIVEN a standard dedicated pool of one IP at 0% warm-up (50 mails a day) and 46
    announcement mails already sent today WHEN a batch of 7 runs THEN 4 go out, 3 are queued
    again unclaimed; the re-queued batch sends nothing more that day, and all 3 the next
    day, each recipient exactly once."""
    svc = mail_out()
    svc.warmup = WarmupPlan("bulk", (IpWarmup("198.51.100.1", "IN_PROGRESS", 0),))
    today = svc.desk.clock.date().isoformat()
    svc.table.counters.add(today, {"announce_sends": 46})
    addresses = [f"w{n}@example.net" for n in range(7)]
    announcement = _announce(svc, addresses)
    svc.announcements.start(announcement.id)

    first = svc.announcement_sender.send_batch(svc.queued[0])

    assert first.sent == addresses[:4] and first.deferred == addresses[4:]
    assert svc.queued[-1] == {"announcement": announcement.id, "recipients": addresses[4:], "delay": 900}
    _, recipients = svc.announcements.status(announcement.id)
    assert {r.address: r.state for r in recipients if r.address in first.deferred} == dict.fromkeys(
        addresses[4:], "pending"
    )
    svc.table.counters.add(today, {"announce_sends": 4})  # SES's Send events for the 4
    later = svc.announcement_sender.send_batch(svc.queued[-1])
    assert later.sent == [] and later.deferred == addresses[4:]

    svc.desk.clock += timedelta(days=1)
    next_day = svc.announcement_sender.send_batch(svc.queued[-1])
    assert next_day.sent == addresses[4:] and next_day.deferred == []
    assert sorted(svc.announcement_ses.recipients()) == addresses  # once each


def test_an_ip_done_warming_up_no_longer_caps_the_day():
    svc = mail_out()
    svc.warmup = WarmupPlan("bulk", (IpWarmup("198.51.100.1", "DONE", 100),))
    svc.table.counters.add(svc.desk.clock.date().isoformat(), {"announce_sends": 10_000})
    announcement = _announce(svc, ["d@example.net"])
    svc.announcements.start(announcement.id)
    assert svc.announcement_sender.send_batch(svc.queued[0]).sent == ["d@example.net"]


def test_a_send_ses_did_not_take_puts_the_recipient_back_for_the_retry():
    svc = mail_out()
    announcement = _announce(svc, ["t@example.net"])
    svc.announcements.start(announcement.id)
    svc.announcement_ses.failures.append(ConnectionError("SES unreachable"))

    try:
        svc.announcement_sender.send_batch(svc.queued[0])
    except ConnectionError:
        pass
    else:
        raise AssertionError("the batch must fail so SQS redelivers it")

    assert svc.announcement_store.recipient(announcement.id, "t@example.net").state == "pending"
    assert svc.announcement_sender.send_batch(svc.queued[0]).sent == ["t@example.net"]


def test_a_one_click_unsubscribe_opts_out_of_announcements_only():
    svc = mail_out()
    announcement = _announce(svc, ["u@example.net"])
    svc.announcements.start(announcement.id)
    svc.announcement_sender.send_batch(svc.queued[0])
    token = ann.unsubscribe_token(SECRET, "u@example.net", announcement.id)

    assert svc.announcements.unsubscribe(token + "x") is None
    assert svc.announcements.unsubscribe(token) == "u@example.net"

    assert svc.announcement_store.opted_out(["u@example.net"]) == {"u@example.net"}
    assert svc.announcement_store.recipient(announcement.id, "u@example.net").state == "unsubscribed"
    assert svc.suppression.check("u@example.net")["suppressed"] is False  # replies still reach them


def test_a_link_sent_before_announcements_were_signed_opts_out_counted_against_none():
    """GIVEN a token of the older form (the address alone; its link's `?a=` was never signed)
    WHEN clicked THEN the address is opted out, and no announcement's report counts it."""
    svc = mail_out()
    announcement = _announce(svc, ["u@example.net"])
    svc.announcements.start(announcement.id)
    svc.announcement_sender.send_batch(svc.queued[0])

    assert svc.announcements.unsubscribe(ann.unsubscribe_token(SECRET, "u@example.net")) == "u@example.net"

    assert svc.announcement_store.opted_out(["u@example.net"]) == {"u@example.net"}
    assert svc.announcement_store.recipient(announcement.id, "u@example.net").state == "sent"


def test_ses_events_move_recipients_and_a_bounce_suppresses_them_for_replies_too():
    svc = mail_out()
    announcement = _announce(svc, ["v@example.net", "w@example.net"])
    svc.announcements.start(announcement.id)
    svc.announcement_sender.send_batch(svc.queued[0])
    svc.feedback.on_announcement_events = svc.announcements.record_events
    header = {"X-Inbound-Announcement": announcement.id}

    svc.feedback.record(
        _tagged(bounce_note("v@example.net"), header, svc.settings.announcement_configuration_set)
    )

    states = {r.address: r.state for r in svc.announcements.status(announcement.id)[1]}
    assert states == {"v@example.net": "bounced", "w@example.net": "sent"}
    assert svc.suppression.check("v@example.net")["reason"] == "BOUNCE"
    day = svc.desk.clock.date().isoformat()
    [counted] = svc.table.counters.day_counts(day, day)
    assert (counted["announce_bounces"], counted["bounces"]) == (1, 0)  # apart from transactional mail


def test_opens_and_clicks_are_recorded_per_recipient_once_each_under_redelivery():
    """GIVEN a sent announcement WHEN SES's Open and Click events arrive, one of them twice
    (SNS redelivery) THEN each recipient counts each event once, the report counts who
    opened and who clicked, and no ledger, counter or suppression entry is written."""
    svc = mail_out()
    announcement = _announce(svc, ["o@example.net", "c@example.net", "n@example.net"])
    svc.announcements.start(announcement.id)
    svc.announcement_sender.send_batch(svc.queued[0])
    svc.feedback.on_announcement_events = svc.announcements.record_events
    counted_before = svc.table.counters.day_counts("2000-01-01", "2100-01-01")
    notes = [
        engagement_note("Open", "m-o", "o@example.net", announcement.id, at="2026-12-01T10:00:00.000Z"),
        engagement_note("Open", "m-o", "o@example.net", announcement.id, at="2026-12-01T11:00:00.000Z"),
        engagement_note("Open", "m-c", "c@example.net", announcement.id),
        engagement_note("Click", "m-c", "c@example.net", announcement.id),
    ]

    for note in [*notes, notes[0], notes[3]]:  # the first open and the click delivered twice
        svc.feedback.record(note)

    summary, recipients = svc.announcements.status(announcement.id)
    assert summary.state == "done" and svc.announcement_store.get(announcement.id).state == "done"
    marks = {r.address: (r.opens, r.clicks, r.state) for r in recipients}
    assert marks == {
        "o@example.net": (2, 0, "sent"),
        "c@example.net": (1, 1, "sent"),
        "n@example.net": (0, 0, "sent"),
    }
    assert (summary.opened, summary.clicked) == (2, 1)
    assert summary.as_dict()["opened"] == 2
    assert svc.table.counters.day_counts("2000-01-01", "2100-01-01") == counted_before
    assert svc.suppression.check("c@example.net")["suppressed"] is False


def test_an_announcements_html_unsubscribe_link_is_not_click_tracked():
    svc = mail_out()
    recipients = [ann.Recipient("h@example.net")]
    draft = svc.announcements.draft(
        "support",
        "News",
        "Hi",
        recipients,
        html='<p>See <a href="https://status.example.com/">status</a></p>',
    )
    html = message_from_bytes(draft.sample, policy=policy.default).get_body(("html",)).get_content()
    assert '<a ses:no-track href="http' in html and '<a href="https://status.example.com/"' in html


def test_announcements_pause_first():
    """GIVEN transactional mail at a warning WHEN an announcement batch runs THEN it refuses with
    'reputation' (staff replies would still go)."""
    svc = mail_out()
    for n in range(4):
        svc.feedback.record(
            send_note(f"w{n}", *[f"w{n}-{k}@customer.org" for k in range(50)], at=svc.desk.clock)
        )
    svc.feedback.record(bounce_note(*[f"w0-{k}@customer.org" for k in range(6)], at=svc.desk.clock))
    announcement = _announce(svc, ["p@example.net"])
    svc.announcements.start(announcement.id)

    outcome = svc.announcement_sender.send_batch(svc.queued[0])

    assert outcome.refused["p@example.net"].startswith("reputation") and svc.announcement_ses.sent == []
    warned = svc.outbound.check("p@example.net", automatic=False)
    assert warned.allowed and "bounces 3.00%" in warned.warning


def test_the_queue_message_is_json_the_handler_reads():
    svc = mail_out()
    announcement = _announce(svc, [f"j{n}@example.net" for n in range(120)])
    svc.announcements.start(announcement.id)
    assert [len(b["recipients"]) for b in svc.queued] == [50, 50, 20]
    assert json.loads(json.dumps(svc.queued[0]))["announcement"] == announcement.id


def _tagged(note: str, headers: dict[str, str], configuration_set: str) -> str:
    """An SES event of announcement mail: its configuration set and the header naming it."""
    event = json.loads(note)
    event["eventType"] = event.pop("notificationType", event.get("eventType"))
    event["mail"]["tags"] = {"ses:configuration-set": [configuration_set]}
    event["mail"]["headers"] = [{"name": k, "value": v} for k, v in headers.items()]
    return json.dumps(event)
