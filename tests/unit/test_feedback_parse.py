"""Reading SES feedback (both shapes, raw or in an SNS envelope) into per-recipient actions."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.feedback import parse
from chalicelib.errors import BadNotification
from tests.support.corpus import aws_events, relative, require_corpus
from tests.support.ses_feedback import engagement_note

# Every SES sending-feedback sample in the corpus, and what it must turn into:
# (kind, action, counter, recipient) per event, in order.
EXPECTED = {
    "event-publishing-retrieving-sns-examples--01-event-publishing-retrieving-sns-bounce.json": [
        ("bounce", "suppress", "bounces", "recipient@example.com")
    ],
    "event-publishing-retrieving-sns-examples--02-event-publishing-retrieving-sns-complaint.json": [
        ("complaint", "suppress", "complaints", "recipient@example.com")
    ],
    "event-publishing-retrieving-sns-examples--03-event-publishing-retrieving-sns-delivery.json": [
        ("delivery", "count", "deliveries", "recipient@example.com")
    ],
    "event-publishing-retrieving-sns-examples--04-event-publishing-retrieving-sns-send.json": [
        ("send", "count", "sends", "recipient@example.com")
    ],
    "event-publishing-retrieving-sns-examples--05-event-publishing-retrieving-sns-reject.json": [
        ("reject", "count", "rejects", "sender@example.com")
    ],
    "event-publishing-retrieving-sns-examples--06-event-publishing-retrieving-sns-open.json": [],
    "event-publishing-retrieving-sns-examples--07-event-publishing-retrieving-sns-click.json": [],
    "event-publishing-retrieving-sns-examples--08-event-publishing-retrieving-sns-failure.json": [],
    "event-publishing-retrieving-sns-examples--09-event-publishing-retrieving-sns-delayed-delivery.json": [
        ("delay", "soft", "soft_bounces", "recipient@example.com")
    ],
    "event-publishing-retrieving-sns-examples--10-event-publishing-retrieving-sns-subscription.json": [],
    "notification-examples--01-notification-examples-bounce-with-dsn.json": [
        ("bounce", "suppress", "bounces", "jane@example.com")
    ],
    "notification-examples--02-notification-examples-bounce-no-dsn.json": [
        ("bounce", "suppress", "bounces", "jane@example.com"),
        ("bounce", "suppress", "bounces", "richard@example.com"),
    ],
    "notification-examples--03-notification-examples-complaint-with-feedback.json": [
        ("complaint", "suppress", "complaints", "richard@example.com")
    ],
    "notification-examples--04-notification-examples-complaint-no-feedback.json": [
        ("complaint", "suppress", "complaints", "richard@example.com")
    ],
    "notification-examples--05-notification-examples-delivery.json": [
        ("delivery", "count", "deliveries", "jane@example.com")
    ],
}


def _json_samples():
    """Corpus events that are valid JSON; broken originals are skipped (repaired/ holds their fixes)."""
    found = []
    for path in aws_events():
        try:
            json.loads(path.read_text())
        except json.JSONDecodeError:
            continue
        found.append(path)
    return found


def _actions(body) -> list[tuple[str, str, str, str]]:
    return [(e.kind, e.action, e.counter, e.recipient) for e in parse(body)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_ses_feedback_sample_becomes_the_right_actions(name):
    require_corpus()
    [path] = [p for p in aws_events("ses-developer-guide") if p.name == name]
    text = path.read_text()
    assert _actions(text) == EXPECTED[name]
    envelope = json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": text})
    assert _actions(envelope) == EXPECTED[name], "SNS envelope and raw delivery read the same"


@pytest.mark.parametrize("path", _json_samples(), ids=relative)
def test_any_other_aws_event_on_the_feedback_queue_is_ignored_or_refused_never_crashes(path):
    """GIVEN any recorded AWS event WHEN it lands on the feedback queue THEN it parses to
    feedback events, to nothing (not feedback), or raises BadNotification (to the DLQ)."""
    require_corpus()
    try:
        events = parse(path.read_text())
    except BadNotification:
        return
    if path.name not in EXPECTED:
        assert events == [], "only SES sending feedback produces events"


def _bounce(bounce_type: str, subtype: str, *recipients: dict, shape: str = "notificationType") -> str:
    return json.dumps(
        {
            shape: "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": subtype,
                "bouncedRecipients": list(recipients),
                "timestamp": "2026-11-27T10:00:00.000Z",
                "feedbackId": "fb-1",
                "someFieldSesAddsLater": {"x": 1},
            },
            "mail": {
                "messageId": "ses-1",
                "timestamp": "2026-11-27T09:59:00.000Z",
                "destination": ["a@x.org"],
            },
        }
    )


@pytest.mark.parametrize(
    "bounce_type, subtype, action, counter",
    [
        ("Permanent", "General", "suppress", "bounces"),
        ("Permanent", "NoEmail", "suppress", "bounces"),
        ("Permanent", "Suppressed", "suppress", "bounces"),
        ("Permanent", "OnAccountSuppressionList", "account_suppressed", "account_suppressed"),
        ("Transient", "MailboxFull", "soft", "soft_bounces"),
        ("Undetermined", "Undetermined", "soft", "soft_bounces"),
        # SES files out-of-office auto-replies as Transient/General and leaves them out of its rate
        ("Transient", "General", "record", "ignored_bounces"),
        ("Transient", "MessageTooLarge", "record", "ignored_bounces"),
        ("Transient", "ContentRejected", "record", "ignored_bounces"),
        ("Transient", "AttachmentRejected", "record", "ignored_bounces"),
    ],
)
def test_bounce_types_map_to_what_they_say_about_the_address(bounce_type, subtype, action, counter):
    [event] = parse(
        _bounce(bounce_type, subtype, {"emailAddress": "Jane <JANE@Example.com>", "status": "5.1.1"})
    )
    assert (event.action, event.counter, event.recipient) == (action, counter, "jane@example.com")
    assert (
        event.feedback_id == "fb-1"
        and event.at == "2026-11-27T10:00:00.000Z"
        and event.ses_message_id == "ses-1"
    )


def test_a_recipient_a_permanent_bounce_lists_as_delayed_is_only_soft():
    events = parse(
        _bounce(
            "Permanent",
            "General",
            {
                "emailAddress": "a@x.org",
                "action": "failed",
                "status": "5.0.0",
                "diagnosticCode": "smtp; 550 unknown",
            },
            {"emailAddress": "b@x.org", "action": "delayed", "status": "4.0.0"},
        )
    )
    assert [(e.recipient, e.action) for e in events] == [("a@x.org", "suppress"), ("b@x.org", "soft")]
    assert events[0].diagnostic == "smtp; 550 unknown" and events[0].status == "5.0.0"


def test_both_shapes_of_one_bounce_share_the_key_that_makes_it_count_once():
    identity = parse(_bounce("Permanent", "General", {"emailAddress": "a@x.org"}))
    published = parse(_bounce("Permanent", "General", {"emailAddress": "a@x.org"}, shape="eventType"))
    assert identity[0].key == published[0].key == "bounce#fb-1#a@x.org"


def _complaint(**fields) -> str:
    complaint = {
        "complainedRecipients": [{"emailAddress": "a@x.org"}, {"emailAddress": "b@x.org"}],
        "feedbackId": "c-1",
    }
    return json.dumps(
        {"notificationType": "Complaint", "complaint": {**complaint, **fields}, "mail": {"messageId": "m"}}
    )


def test_complaints_suppress_every_complained_recipient_unless_the_report_says_otherwise():
    assert [(e.recipient, e.action) for e in parse(_complaint())] == [
        ("a@x.org", "suppress"),
        ("b@x.org", "suppress"),
    ]
    assert {e.action for e in parse(_complaint(complaintSubType="OnAccountSuppressionList"))} == {
        "account_suppressed"
    }
    assert {e.action for e in parse(_complaint(complaintFeedbackType="not-spam"))} == {"record"}


@pytest.mark.parametrize(
    "delay_type, action",
    [
        ("MailboxFull", "soft"),
        ("RecipientServerError", "soft"),
        ("InternalFailure", "record"),
        ("IPFailure", "record"),
    ],
)
def test_only_delays_on_the_recipients_side_count_toward_suppression(delay_type, action):
    note = {
        "eventType": "DeliveryDelay",
        "mail": {"messageId": "m-2", "destination": ["a@x.org"]},
        "deliveryDelay": {
            "delayType": delay_type,
            "timestamp": "t",
            "delayedRecipients": [{"emailAddress": "a@x.org"}],
        },
    }
    assert [e.action for e in parse(json.dumps(note))] == [action]


def test_sends_count_every_destination_once():
    note = {
        "eventType": "Send",
        "mail": {"messageId": "m-3", "destination": ["a@x.org", "B@x.org", "a@x.org"]},
        "send": {},
    }
    assert [(e.recipient, e.key) for e in parse(json.dumps(note))] == [
        ("a@x.org", "send#m-3#a@x.org"),
        ("b@x.org", "send#m-3#b@x.org"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        json.dumps({"notificationType": "Bounce", "mail": {"messageId": "m"}}),
        json.dumps(
            {"notificationType": "Bounce", "mail": {"messageId": "m"}, "bounce": {"bouncedRecipients": []}}
        ),
        json.dumps(
            {"notificationType": "Bounce", "bounce": {"bouncedRecipients": [{"emailAddress": "a@x.org"}]}}
        ),
        json.dumps(
            {
                "notificationType": "Complaint",
                "mail": {},
                "complaint": {"complainedRecipients": [{"emailAddress": "nope"}]},
            }
        ),
        json.dumps({"eventType": "Send", "mail": {"destination": ["a@x.org"]}}),
        json.dumps({"hello": "world"}),
    ],
)
def test_malformed_feedback_is_refused_so_it_lands_in_the_dead_letter_queue(body):
    with pytest.raises(BadNotification):
        parse(body)


def test_types_that_say_nothing_about_deliverability_are_ignored():
    for kind in ("Open", "Click", "Rendering Failure", "Subscription", "Received", "SomethingNew"):
        assert parse(json.dumps({"eventType": kind, "mail": {"messageId": "m"}})) == []
    # Opens and clicks of any mail but an announcement's say nothing we record.
    assert parse(engagement_note("Open", "m-1", "a@x.org")) == []


def test_an_announcements_open_and_click_are_one_event_each_keyed_on_their_moment():
    opened = parse(engagement_note("Open", "m-1", "A@x.org", "A-1", at="2026-12-01T10:00:00.000Z"))
    again = parse(engagement_note("Open", "m-1", "a@x.org", "A-1", at="2026-12-01T10:05:00.000Z"))
    [clicked] = parse(engagement_note("Click", "m-1", "a@x.org", "A-1", link="https://x.org/status"))

    assert [(e.kind, e.recipient, e.announcement, e.counter) for e in opened] == [
        ("open", "a@x.org", "A-1", "")
    ]
    assert opened[0].key != again[0].key  # a second open is a second event
    assert (clicked.kind, clicked.diagnostic) == ("click", "https://x.org/status")
    assert parse(json.dumps({"Type": "SubscriptionConfirmation", "Message": "confirm"})) == []


def test_a_message_delayed_several_times_counts_as_one_soft_failure_per_recipient():
    def delay(at: str) -> str:
        return json.dumps(
            {
                "eventType": "DeliveryDelay",
                "mail": {"messageId": "m-4"},
                "deliveryDelay": {
                    "delayType": "MailboxFull",
                    "timestamp": at,
                    "delayedRecipients": [{"emailAddress": "a@x.org"}],
                },
            }
        )

    [first], [second] = parse(delay("2026-11-27T10:00:00Z")), parse(delay("2026-11-27T12:00:00Z"))
    assert first.key == second.key == "delay#m-4#a@x.org" and first.at != second.at
