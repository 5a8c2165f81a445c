"""The `ingest` handler through chalice.test.Client, fed SQS events built from SES samples."""

from __future__ import annotations

import json

import pytest

from chalicelib.services.queue_batch import BatchFailed
from chalicelib.wiring import services
from tests.support.corpus import aws_events, relative, require_corpus
from tests.support.events import sqs_event
from tests.support.mail_factory import make_mail, received_notification


def _ses_receiving_samples():
    found = []
    for path in aws_events():
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue  # the published originals with broken JSON; repaired/ holds their fixes
        text = json.dumps(doc)
        if '"receipt"' in text and '"eventSource": "aws:sqs"' not in text:
            found.append(path)
    return found


def _raw_for(note: dict) -> bytes:
    """The raw message SES would have stored for a sample notification, from its headers."""
    headers = note["mail"].get("headers") or []
    lines = [f"{h['name']}: {h['value']}" for h in headers if h["name"].lower() != "content-type"]
    if not any(h["name"].lower() == "from" for h in headers):
        lines.append(f"From: {note['mail'].get('source', 'sender@example.com')}")
    return ("\r\n".join(lines) + "\r\nContent-Type: text/plain\r\n\r\nSample body.\r\n").encode()


def _notification(doc: dict) -> dict:
    records = doc.get("Records")
    if records and "ses" in records[0]:
        return records[0]["ses"]
    if records and "Sns" in records[0]:
        return json.loads(records[0]["Sns"]["Message"])
    return doc


@pytest.mark.parametrize("sample", _ses_receiving_samples(), ids=relative)
def test_every_ses_receiving_sample_ends_with_one_outcome(app_stack, sample):
    """GIVEN an SES receiving sample (SNS-action with content, S3 or Lambda action) as an SQS record
    WHEN the ingest function runs THEN the delivery is recorded once and incoming/ is empty."""
    require_corpus()
    stack, client = app_stack
    doc = json.loads(sample.read_text())
    note = _notification(doc)
    ses_id = note["mail"]["messageId"]
    action = note["receipt"].get("action", {})
    if "content" not in note:
        bucket = action.get("bucketName") or stack.settings.mail_bucket
        key = action.get("objectKey") or f"incoming/{ses_id}"
        s3 = stack.client("s3")
        if bucket != stack.settings.mail_bucket:
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=_raw_for(note))
    client.lambda_.invoke("ingest", sqs_event([json.dumps(doc)]))
    record = stack.deliveries.get_delivery(ses_id)
    # Every sample passed SES's verdicts (spam FAIL: test_app_observability): a ticket or an auto-reply.
    assert record is not None and record["outcome"] in ("created", "auto_reply"), record
    assert stack.keys("incoming/") == []


def test_sns_envelope_and_raw_delivery_both_make_tickets(app_stack):
    stack, client = app_stack
    bucket = stack.settings.mail_bucket
    stack.store.put_incoming("rawdelivery000001", make_mail(subject="raw"))
    stack.store.put_incoming("snsenvelope000001", make_mail(subject="wrapped"))
    raw = received_notification("rawdelivery000001", bucket)
    wrapped = json.dumps(
        {
            "Type": "Notification",
            "MessageId": "x",
            "Message": received_notification("snsenvelope000001", bucket),
        }
    )
    client.lambda_.invoke("ingest", sqs_event([raw, wrapped]))
    subjects = sorted(
        stack.tickets.get_ticket(stack.deliveries.get_delivery(i)["ticket"]).subject
        for i in ("rawdelivery000001", "snsenvelope000001")
    )
    assert subjects == ["raw", "wrapped"]


def test_a_poison_record_does_not_hold_back_the_good_ones(app_stack, monkeypatch):
    """GIVEN a batch with one unreadable record WHEN partial batch responses are enabled
    THEN only that record is reported failed and the good one became a ticket."""
    stack, client = app_stack
    monkeypatch.setenv("INBOUND_PARTIAL_BATCH_RESPONSES", "true")
    services.cache_clear()
    stack.store.put_incoming("goodrecord0000001", make_mail())
    event = sqs_event(["{not json", received_notification("goodrecord0000001", stack.settings.mail_bucket)])
    response = client.lambda_.invoke("ingest", event)
    assert response.payload == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert stack.deliveries.get_delivery("goodrecord0000001")["outcome"] == "created"


def test_without_partial_batch_support_a_failed_record_fails_the_whole_batch(app_stack):
    """Chalice's mappings lack ReportBatchItemFailures: returning normally would delete the
    poison record with the batch, so the batch fails and SQS redelivers it (idempotently)."""
    stack, client = app_stack
    stack.store.put_incoming("goodrecord0000002", make_mail())
    event = sqs_event(["{not json", received_notification("goodrecord0000002", stack.settings.mail_bucket)])
    with pytest.raises(BatchFailed):
        client.lambda_.invoke("ingest", event)
    assert stack.deliveries.get_delivery("goodrecord0000002")["outcome"] == "created"


def test_health_needs_no_token(app_stack):
    _, client = app_stack
    response = client.http.get("/api/health")
    assert response.status_code == 200 and response.json_body == {"status": "ok"}
