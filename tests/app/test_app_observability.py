"""Structured logs and metrics of the functions, read back from what they write.

Outside Lambda the functions write their JSON lines and EMF blobs to stderr (in Lambda to
stdout, where CloudWatch reads them), so the tests read them with capsys.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.domain.outcome import OUTCOMES
from chalicelib.observability import OUTCOME_METRICS
from chalicelib.services.ingest import IngestService
from chalicelib.services.sweeper import IncomingSweeper
from inbound.local.replay import Replayer
from tests.support.events import load_event, sqs_event
from tests.support.mail_factory import make_mail, received_notification
from tests.support.ses_feedback import bounce_note, complaint_note

FEEDBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:inbound-test-feedback"
SCHEDULED = load_event("scheduled-event.json")  # what EventBridge hands a rate(...) schedule


def json_lines(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(log lines, EMF blobs) among what was written."""
    found = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [d for d in found if "_aws" not in d], [d for d in found if "_aws" in d]


def metric_values(blob: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """name -> (unit, values) of one EMF blob, after checking its namespace and dimensions."""
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "inbound"
    # Exactly the dimensions the stage's alarms (inbound/stage/alarms.py) ask for.
    assert [sorted(d) for d in directive["Dimensions"]] == [["service", "stage"]]
    assert (blob["service"], blob["stage"]) == ("inbound", "test")
    return {m["Name"]: (m["Unit"], blob[m["Name"]]) for m in directive["Metrics"]}


def test_each_ingest_record_logs_with_its_own_keys_and_the_batch_emits_its_counts(app_stack, capsys):
    """GIVEN a batch of a new customer mail and a spam-flagged one WHEN ingest runs
    THEN every line of a record names its SES message id, the ticket's lines name the ticket,
    nothing of the first record leaks into the second, and one EMF blob counts both."""
    stack, client = app_stack
    bucket = stack.settings.mail_bucket
    stack.store.put_incoming("observedticket001", make_mail(subject="Printer on fire"))
    stack.store.put_incoming("observedspam00001", make_mail(subject="Cheap watches"))
    event = sqs_event(
        [
            received_notification("observedticket001", bucket),
            received_notification("observedspam00001", bucket, spam="FAIL"),
        ]
    )
    capsys.readouterr()
    client.lambda_.invoke("ingest", event)
    logs, blobs = json_lines(capsys.readouterr().err)

    ticket = stack.deliveries.get_delivery("observedticket001")["ticket"]
    assert ticket and stack.deliveries.get_delivery("observedspam00001")["outcome"] == "quarantined"
    assert logs and all(line["function_name"] == "ingest" for line in logs)
    first, second = (
        [line for line in logs if line.get("sqs_message_id") == record["messageId"]]
        for record in event["Records"]
    )
    assert first and second and len(first) + len(second) == len(logs), "a line outside its record"
    assert {line["ses_message_id"] for line in first} == {"observedticket001"}
    assert {line["ses_message_id"] for line in second} == {"observedspam00001"}
    assert first[-1]["ticket_id"] == ticket and first[-1]["outcome"] == "created"
    assert ticket in first[-1]["message"] and first[-1]["service"] == "inbound"
    assert not [line for line in second if "ticket_id" in line]
    assert second[-1]["outcome"] == "quarantined" and "spam" in second[-1]["message"]

    [blob] = blobs
    metrics = metric_values(blob)
    assert metrics["Ingested"] == ("Count", [2.0])
    assert metrics["Quarantined"] == ("Count", [1.0])
    assert metrics["Created"] == ("Count", [1.0])
    assert "Threaded" not in metrics


def test_every_outcome_has_a_metric():
    assert set(OUTCOME_METRICS) == set(OUTCOMES)


def test_in_lambda_the_lines_and_metrics_go_to_stdout(app_stack, capsys, monkeypatch):
    stack, client = app_stack
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "inbound-test-ingest")
    stack.store.put_incoming("observedlambda001", make_mail())
    capsys.readouterr()
    client.lambda_.invoke(
        "ingest", sqs_event([received_notification("observedlambda001", stack.settings.mail_bucket)])
    )
    written = capsys.readouterr()
    logs, blobs = json_lines(written.out)
    assert [line["outcome"] for line in logs if "outcome" in line] == ["created"]
    assert [metric_values(b)["Ingested"] for b in blobs] == [("Count", [1.0])]
    assert json_lines(written.err) == ([], [])


def test_mail_replayed_outside_a_function_leaves_stdout_to_the_command(app_stack, capsys):
    """`inbound process --json` prints outcomes on stdout: the pipeline's own lines must not
    go there, nor carry keys of a record, even after a function ran in the same process."""
    stack, client = app_stack
    stack.store.put_incoming("observedbefore001", make_mail())
    client.lambda_.invoke(
        "ingest", sqs_event([received_notification("observedbefore001", stack.settings.mail_bucket)])
    )
    capsys.readouterr()
    outcome = Replayer(stack.ingest, stack.store).process_bytes(make_mail(subject="Replayed"))
    written = capsys.readouterr()
    assert outcome.outcome == "created"
    assert written.out == ""
    logs, blobs = json_lines(written.err)
    assert blobs == [] and not [line for line in logs if "ses_message_id" in line or "sqs_message_id" in line]


def test_each_feedback_record_logs_its_message_type_and_recipients(app_stack, capsys):
    """GIVEN a bounce for one recipient and a complaint from two WHEN record_feedback runs
    THEN each record's lines carry its SES message id, kind and recipient count, and the
    invocation counts three feedback events and three suppressed addresses."""
    _, client = app_stack
    event = sqs_event(
        [
            bounce_note("gone@customer.org", feedback_id="fb-obs"),
            complaint_note("angry@customer.org", "cross@customer.org", feedback_id="c-obs"),
        ],
        FEEDBACK_QUEUE_ARN,
    )
    capsys.readouterr()
    client.lambda_.invoke("record_feedback", event)
    logs, blobs = json_lines(capsys.readouterr().err)

    bounce, complaint = (
        [line for line in logs if line.get("sqs_message_id") == record["messageId"]]
        for record in event["Records"]
    )
    assert bounce and complaint and len(bounce) + len(complaint) == len(logs)
    keys = ("ses_message_id", "notification_type", "recipients")
    assert {tuple(line[k] for k in keys) for line in bounce} == {("ses-fb-obs", "bounce", 1)}
    assert {tuple(line[k] for k in keys) for line in complaint} == {("ses-c-obs", "complaint", 2)}
    assert all(line["function_name"] == "record_feedback" for line in logs)
    [blob] = blobs
    metrics = metric_values(blob)
    assert metrics["FeedbackEvents"] == ("Count", [3.0])
    assert metrics["Suppressed"] == ("Count", [3.0])


def test_each_sweep_emits_the_age_of_the_oldest_mail_left_in_incoming(app_stack, capsys):
    """GIVEN an empty incoming/ WHEN the sweeper runs THEN OldestIncomingAgeSeconds is 0;
    GIVEN a mail too young to re-drive THEN it is left and its age is what is emitted."""
    stack, client = app_stack
    capsys.readouterr()
    client.lambda_.invoke("sweep_incoming", SCHEDULED)
    logs, blobs = json_lines(capsys.readouterr().err)
    assert [metric_values(b)["OldestIncomingAgeSeconds"] for b in blobs] == [("Seconds", [0.0])]
    [summary] = [line for line in logs if "swept" in line]
    assert (summary["swept"], summary["too_young"], summary["function_name"]) == (0, 0, "sweep_incoming")

    stack.store.put_incoming("observedyoung0001", make_mail())
    client.lambda_.invoke("sweep_incoming", SCHEDULED)
    logs, blobs = json_lines(capsys.readouterr().err)
    [(unit, [age])] = [metric_values(b)["OldestIncomingAgeSeconds"] for b in blobs]
    assert unit == "Seconds" and 0 <= age < stack.settings.sweep_after_minutes * 60
    [summary] = [line for line in logs if "swept" in line]
    assert (summary["swept"], summary["too_young"], summary["oldest_incoming_age_seconds"]) == (0, 1, age)
    assert stack.keys("incoming/") == ["incoming/observedyoung0001"]


def test_the_oldest_age_counts_only_mail_the_sweep_leaves_behind(stack):
    """Ages against the object's own LastModified: a young mail is left (its age), a
    re-driven one is gone (0), one that fails is left (its age)."""
    stack.store.put_incoming("observedaged00001", make_mail())
    [(_, written)] = stack.store.list_incoming()
    sweeper = IncomingSweeper(stack.ingest, timedelta(minutes=120), 3)
    assert sweeper.sweep(now=written + timedelta(minutes=30)).oldest_incoming_age_seconds == 1800.0

    def broken(raw: bytes) -> Any:
        raise RuntimeError("parser bug")

    failing = IncomingSweeper(
        IngestService(stack.settings, replace(stack.ingest.ports, read_mail=broken)),
        timedelta(minutes=120),
        3,
    )
    report = failing.sweep(now=written + timedelta(hours=3))
    assert report.failed == ["observedaged00001"] and report.oldest_incoming_age_seconds == 10800.0
    report = sweeper.sweep(now=written + timedelta(hours=3))
    assert [o.outcome for o in report.redriven] == ["created"] and report.oldest_incoming_age_seconds == 0.0
