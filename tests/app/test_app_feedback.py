"""The `record_feedback` handler through chalice.test.Client, fed SQS events of SES feedback."""

from __future__ import annotations

import json

import pytest

from chalicelib.services.queue_batch import BatchFailed
from chalicelib.wiring import services
from tests.support.corpus import aws_events, require_corpus
from tests.support.events import sqs_event
from tests.support.ses_feedback import bounce_note, complaint_note

FEEDBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:inbound-test-feedback"


def invoke(client, *bodies: str):
    return client.lambda_.invoke("record_feedback", sqs_event(list(bodies), FEEDBACK_QUEUE_ARN))


def listed(stack) -> dict[str, str]:
    return {e.address: e.reason for e in services().suppression.list()}


def test_identity_notifications_and_configuration_set_events_from_the_ses_guide(app_stack):
    """GIVEN the SES developer guide's feedback samples, raw and in SNS envelopes, in one batch
    WHEN record_feedback runs THEN bounced and complained recipients are suppressed, once."""
    require_corpus()
    stack, client = app_stack
    samples = [
        p.read_text()
        for p in aws_events("ses-developer-guide")
        if p.name.startswith(("event-", "notification-"))
    ]
    wrapped = [
        json.dumps({"Type": "Notification", "MessageId": f"n{n}", "Message": s})
        for n, s in enumerate(samples)
    ]
    for start in range(0, len(samples), 10):
        invoke(client, *samples[start : start + 10])
    for start in range(0, len(wrapped), 10):
        invoke(client, *wrapped[start : start + 10])  # the same events again: nothing changes
    assert listed(stack) == {
        "recipient@example.com": "COMPLAINT",  # bounced, then complained (the later entry wins)
        "jane@example.com": "BOUNCE",
        "richard@example.com": "COMPLAINT",
    }
    days = {d["day"]: d for d in services().suppression.reputation()["days"]}
    assert all(d["bounces"] == 0 for d in days.values()), "the 2016/2017 samples fall outside the 30 days"


def test_a_poison_record_does_not_hold_back_the_good_ones(app_stack, monkeypatch):
    stack, client = app_stack
    monkeypatch.setenv("INBOUND_PARTIAL_BATCH_RESPONSES", "true")
    services.cache_clear()
    event = sqs_event(
        [bounce_note("a@customer.org"), "{not json", complaint_note("b@customer.org")], FEEDBACK_QUEUE_ARN
    )
    response = client.lambda_.invoke("record_feedback", event)
    assert response.payload == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert listed(stack) == {"a@customer.org": "BOUNCE", "b@customer.org": "COMPLAINT"}


def test_without_partial_batch_support_the_batch_fails_and_its_redelivery_is_harmless(app_stack):
    stack, client = app_stack
    with pytest.raises(BatchFailed):
        invoke(client, bounce_note("a@customer.org"), "{not json")
    invoke(client, bounce_note("a@customer.org"))  # SQS redelivers the good record
    assert listed(stack) == {"a@customer.org": "BOUNCE"}
    assert services().suppression.reputation()["days"][0]["bounces"] == 1


def test_a_clean_batch_returns_nothing_to_report(app_stack):
    _, client = app_stack
    assert invoke(client, bounce_note("c@customer.org"), complaint_note("d@customer.org")).payload is None
