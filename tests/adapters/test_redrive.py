"""Re-drive: what ingest and record_feedback gave up on comes back, once, and nothing is lost.

Mail arrives as SES delivers it (object in incoming/, notification published to the
topic, which feeds the queue); a small stand-in for Lambda's SQS event source works the
queue; a fault injector makes chosen AWS calls fail for chosen keys or addresses.

Over 300 lines on purpose: one small world (the fault injector, the stand-in event source,
the wired services) that every re-drive case runs in, from a retry that succeeds to two re-
drives at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.sqs_redrive import SqsDeadLetters
from chalicelib.services.sweeper import IncomingSweeper
from chalicelib.wiring import build_services
from chalicelib.wiring.ingest import build_redrive
from tests.support.mail_factory import make_mail, received_notification, ses_id

LATER = datetime.now(UTC) + timedelta(hours=3)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8
QUEUES = ("INGEST_QUEUE", "INGEST_DLQ", "FEEDBACK_QUEUE", "FEEDBACK_DLQ")


class Faults:
    """Fails the AWS calls of one session that match a rule: operation name and a needle
    in the call's parameters (a key, an address), a number of times or always.

    Hooked on botocore's `before-parameter-build`, which fires once per API call with the
    caller's own parameters, outside the retry loop: the pipeline sees the failure as it
    would see one after botocore gave up. Only clients made after it was registered see it.
    """

    def __init__(self, session: Any) -> None:
        self.rules: list[list[Any]] = []
        self.injected: list[str] = []
        self.session = session
        session.events.register("before-parameter-build.*.*", self._before)

    def remove(self) -> None:
        """Clients made from the session from now on are left alone."""
        self.session.events.unregister("before-parameter-build.*.*", self._before)

    def fail(self, operation: str, needle: str, times: int | None = None) -> None:
        self.rules.append([operation, needle, times])

    def clear(self) -> None:
        self.rules.clear()

    def _before(self, params: Any, model: Any, **_kwargs: Any) -> None:
        for rule in self.rules:
            operation, needle, left = rule
            if model.name == operation and needle in repr(params) and left != 0:
                rule[2] = None if left is None else left - 1
                self.injected.append(f"{operation} {needle}")
                raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, operation)


@dataclass
class Wired:
    stack: Any
    services: Any
    redrive: Any
    faults: Faults
    sqs: Any
    sns: Any

    def url(self, name: str) -> str:
        return str(self.stack.outputs[f"INBOUND_{name}_URL"])

    def waiting(self, name: str) -> int:
        found = self.sqs.get_queue_attributes(
            QueueUrl=self.url(name),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(found["ApproximateNumberOfMessages"]) + int(found["ApproximateNumberOfMessagesNotVisible"])


def _queue_names(stack: Any) -> list[str]:
    return [stack.outputs[f"INBOUND_{role}_QUEUE_URL"].rsplit("/", 1)[1] for role in ("INGEST", "FEEDBACK")]


@pytest.fixture
def wired(stack, monkeypatch) -> Any:
    """The stack's services, built anew with a fault injector in their clients; empty queues."""
    # moto refuses a second purge within 60 s, as SQS does, unless told otherwise.
    monkeypatch.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
    faults = Faults(stack.session)
    try:
        services = build_services(stack.settings, stack.session)
        redrive = build_redrive(services, stack.session, _queue_names(stack), wait_seconds=0)
        sqs = stack.client("sqs")
        for name in QUEUES:
            sqs.purge_queue(QueueUrl=stack.outputs[f"INBOUND_{name}_URL"])
        yield Wired(stack, services, redrive, faults, sqs, stack.client("sns"))
    finally:
        faults.remove()


def deliver(w: Wired, raw: bytes) -> str:
    """As SES does: the object, then the notification to the topic that feeds the ingest queue."""
    message_id = ses_id()
    w.stack.store.put_incoming(message_id, raw)
    note = received_notification(message_id, w.stack.settings.mail_bucket)
    w.sns.publish(TopicArn=w.stack.outputs["INBOUND_RECEIVED_TOPIC_ARN"], Message=note)
    return message_id


def run_lambda(w: Wired, queue: str = "INGEST_QUEUE", rounds: int = 30) -> list[Any]:
    """Lambda's SQS event source: a batch to the function, successes deleted. A failed record
    is made visible again at once (rather than after the visibility timeout), so that SQS's
    retries, and its move to the dead-letter queue after maxReceiveCount, happen here."""
    handle = w.services.ingest.ingest_batch if queue == "INGEST_QUEUE" else w.services.feedback.record_batch
    results: list[Any] = []
    for _ in range(rounds):
        got = w.sqs.receive_message(QueueUrl=w.url(queue), MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return results
        batch = handle((m["MessageId"], m["Body"]) for m in messages)
        results += batch.succeeded
        for m in messages:
            if m["MessageId"] in batch.failed:
                w.sqs.change_message_visibility(
                    QueueUrl=w.url(queue), ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                w.sqs.delete_message(QueueUrl=w.url(queue), ReceiptHandle=m["ReceiptHandle"])
    raise AssertionError(f"{queue} did not drain in {rounds} receives")


def poisoned(w: Wired, raw: bytes) -> str:
    """A mail whose ingest always fails: SQS gives up on its notification (dead-letter queue),
    then the sweeper on its raw mail (quarantine/failed/)."""
    message_id = ses_id()
    w.faults.fail("GetObject", f"incoming/{message_id}")
    w.stack.store.put_incoming(message_id, raw)
    note = received_notification(message_id, w.stack.settings.mail_bucket)
    w.sns.publish(TopicArn=w.stack.outputs["INBOUND_RECEIVED_TOPIC_ARN"], Message=note)
    assert run_lambda(w) == []
    sweeper = IncomingSweeper(w.services.ingest, timedelta(minutes=120), 2)
    assert [sweeper.sweep(now=LATER).quarantined for _ in range(3)] == [[], [], [message_id]]
    return message_id


def messages_of(w: Wired, ses_message_id: str) -> list[Any]:
    """Every stored message of the delivery's ticket (its record names the ticket)."""
    record = w.stack.deliveries.get_delivery(ses_message_id)
    assert record is not None and record.get("ticket"), record
    return [m for m in w.stack.tickets.messages(record["ticket"])]


# -- retries that succeed -------------------------------------------------------------
def test_a_mail_whose_first_two_ingests_fail_becomes_a_ticket_on_the_queues_retries(wired):
    """GIVEN ingest fails twice for one mail WHEN SQS redelivers THEN one ticket, nothing dead-lettered."""
    w = wired
    message_id = ses_id()
    w.faults.fail("GetObject", f"incoming/{message_id}", times=2)
    w.stack.store.put_incoming(message_id, make_mail(subject="Flaky at first"))
    note = received_notification(message_id, w.stack.settings.mail_bucket)
    w.sns.publish(TopicArn=w.stack.outputs["INBOUND_RECEIVED_TOPIC_ARN"], Message=note)

    [outcome] = run_lambda(w)

    assert len(w.faults.injected) == 2
    assert outcome.outcome == "created"
    assert w.stack.tickets.get_ticket(outcome.ticket).subject == "Flaky at first"
    assert w.waiting("INGEST_DLQ") == 0
    assert w.stack.keys("incoming/") == [] and w.stack.keys("quarantine/") == []


def test_a_lost_notification_whose_first_two_sweeps_fail_becomes_a_ticket_on_the_third(wired):
    w = wired
    message_id = ses_id()
    w.faults.fail("GetObject", f"incoming/{message_id}", times=2)
    w.stack.store.put_incoming(message_id, make_mail(subject="No notification"))
    sweeper = IncomingSweeper(w.services.ingest, timedelta(minutes=120), 3)

    reports = [sweeper.sweep(now=LATER) for _ in range(3)]

    assert [r.failed for r in reports] == [[message_id], [message_id], []]
    [outcome] = reports[2].redriven
    assert w.stack.tickets.get_ticket(outcome.ticket).subject == "No notification"
    assert w.stack.keys("incoming/") == [] and w.stack.keys("quarantine/") == []


# -- gave up, then re-driven ------------------------------------------------------------
def test_a_mail_that_always_fails_is_redriven_into_exactly_one_ticket_message_with_its_attachment(wired):
    """GIVEN a mail with an attachment whose ingest always fails (dead-letter queue and
    quarantine/failed/) WHEN the fault is gone and redrive runs THEN one ticket message
    with the attachment, and neither quarantine, incoming/ nor a dead-letter queue holds it."""
    w = wired
    raw = make_mail(subject="Poison until fixed", attachments=(("invoice.pdf", "application/pdf", PDF),))
    message_id = poisoned(w, raw)
    quarantined = f"quarantine/failed/{message_id}"
    assert w.stack.keys("quarantine/") == [quarantined] and w.stack.keys("incoming/") == []
    assert w.waiting("INGEST_DLQ") == 1
    assert w.stack.deliveries.get_delivery(message_id)["quarantine_reason"] == "failed"

    planned = w.redrive.redrive(dry_run=True)
    assert [(m.ses_message_id, m.result) for m in planned.mail] == [(message_id, "pending")]
    assert [(q.queue, q.waiting) for q in planned.queues] == [
        (n, x) for n, x in zip(_queue_names(w.stack), (1, 0), strict=True)
    ]
    assert w.stack.keys("quarantine/") == [quarantined] and w.waiting("INGEST_DLQ") == 1

    w.faults.clear()
    report = w.redrive.redrive()

    [mail] = report.mail
    assert (mail.result, mail.outcome.outcome) == ("redriven", "created")
    assert [(q.moved, q.refused, q.error) for q in report.queues] == [(1, 0, ""), (0, 0, "")]
    assert report.ok
    # The notification moved back to the queue is answered as the duplicate it is.
    [again] = run_lambda(w)
    assert again.outcome == "duplicate" and again.ticket == mail.outcome.ticket
    [message] = messages_of(w, message_id)
    assert message.subject == "Poison until fixed"
    [attachment] = message.attachments
    assert (attachment.filename, attachment.sha256) == ("invoice.pdf", hashlib.sha256(PDF).hexdigest())
    assert w.stack.tickets.get_ticket(mail.outcome.ticket).message_count == 1
    assert w.stack.keys("quarantine/") == [] and w.stack.keys("incoming/") == []
    assert len(w.stack.keys("archive/")) == 1
    assert w.waiting("INGEST_DLQ") == 0 and w.waiting("INGEST_QUEUE") == 0


def test_a_redrive_that_fails_again_puts_the_mail_back_where_it_was(wired):
    w = wired
    message_id = poisoned(w, make_mail(subject="Still broken"))

    report = w.redrive.redrive(queues=False)

    assert [(m.ses_message_id, m.result) for m in report.mail] == [(message_id, "failed")]
    assert not report.ok
    assert w.stack.keys("quarantine/") == [f"quarantine/failed/{message_id}"]
    assert w.stack.keys("incoming/") == []
    assert w.stack.deliveries.get_delivery(message_id)["reason"].startswith("failed: re-drive failed")
    assert w.waiting("INGEST_DLQ") == 1  # --quarantine-only left the queue alone


def test_when_ingest_and_the_put_back_both_fail_the_quarantined_copy_stays_and_a_rerun_recovers(wired):
    """GIVEN a redrive whose ingest fails and whose put-back cannot record the verdict either
    THEN the quarantined copy is still there, and once AWS works again one run recovers it."""
    w = wired
    message_id = poisoned(w, make_mail(subject="Everything fails"))
    w.faults.fail("TransactWriteItems", f"DELIVERY#{message_id}", times=1)

    report = w.redrive.redrive(queues=False)

    assert [m.result for m in report.mail] == ["failed"]
    assert w.stack.keys("quarantine/") == [f"quarantine/failed/{message_id}"]
    w.faults.clear()
    assert [m.result for m in w.redrive.redrive(queues=False).mail] == ["redriven"]
    assert len(messages_of(w, message_id)) == 1
    assert w.stack.keys("quarantine/") == [] and w.stack.keys("incoming/") == []


# -- idempotence -------------------------------------------------------------------------
def test_running_redrive_twice_doubles_nothing(wired):
    w = wired
    message_id = poisoned(w, make_mail(subject="Twice"))
    w.faults.clear()

    first = w.redrive.redrive()
    run_lambda(w)
    second = w.redrive.redrive()
    run_lambda(w)

    assert [m.result for m in first.mail] == ["redriven"] and second.mail == []
    assert [q.moved for q in second.queues] == [0, 0]
    assert len(messages_of(w, message_id)) == 1
    assert w.stack.keys("quarantine/") == [] and w.stack.keys("incoming/") == []


def test_a_crash_after_ingest_leaves_the_copy_and_the_next_run_only_clears_it(wired):
    """GIVEN a redrive whose last step (deleting the quarantined copy) fails, as a crash would
    leave it WHEN redrive runs again THEN the copy is cleared and the ticket keeps one message."""
    w = wired
    message_id = poisoned(w, make_mail(subject="Crash halfway"))
    w.faults.clear()
    w.faults.fail("DeleteObject", f"quarantine/failed/{message_id}", times=1)

    crashed = w.redrive.redrive()
    run_lambda(w)

    assert [m.result for m in crashed.mail] == ["failed"]
    assert w.stack.keys("quarantine/") == [f"quarantine/failed/{message_id}"]
    assert len(messages_of(w, message_id)) == 1

    report = w.redrive.redrive()

    [mail] = report.mail
    assert (mail.result, mail.outcome.outcome) == ("redriven", "duplicate")
    assert len(messages_of(w, message_id)) == 1
    assert w.stack.keys("quarantine/") == [] and w.stack.keys("incoming/") == []


def test_a_copy_the_sweeper_ingested_meanwhile_is_only_cleared(wired):
    """GIVEN a redrive that died after copying the mail back to incoming/, and the sweeper
    then made the ticket WHEN redrive runs again THEN it answers duplicate and clears the copy."""
    w = wired
    message_id = poisoned(w, make_mail(subject="Swept meanwhile"))
    w.faults.clear()
    [item] = w.redrive.quarantine.failed()
    w.services.ingest.ports.deliveries.reset_sweep_attempts(message_id)  # the dead run's first three steps
    assert w.services.ingest.ports.deliveries.clear_failed(message_id)
    assert w.redrive.quarantine.copy_back(item, f"incoming/{item.ses_message_id}")
    [swept] = IncomingSweeper(w.services.ingest, timedelta(minutes=120), 2).sweep(now=LATER).redriven
    assert swept.outcome == "created"

    report = w.redrive.redrive()

    [mail] = report.mail
    assert (mail.result, mail.outcome.outcome, mail.outcome.ticket) == ("redriven", "duplicate", swept.ticket)
    assert len(messages_of(w, message_id)) == 1
    assert w.stack.keys("quarantine/") == [] and w.stack.keys("incoming/") == []


def test_a_committed_ticket_record_is_never_cleared(wired):
    w = wired
    message_id = ses_id()
    w.stack.store.put_incoming(message_id, make_mail(subject="Fine"))
    note = received_notification(message_id, w.stack.settings.mail_bucket)
    w.sns.publish(TopicArn=w.stack.outputs["INBOUND_RECEIVED_TOPIC_ARN"], Message=note)
    [outcome] = run_lambda(w)

    assert w.services.ingest.ports.deliveries.clear_failed(message_id) is False
    assert w.stack.deliveries.get_delivery(message_id)["ticket"] == outcome.ticket


# -- the feedback queue -----------------------------------------------------------------
def _bounce(address: str, feedback_id: str) -> str:
    import json

    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    recipient = {"emailAddress": address, "action": "failed", "status": "5.1.1"}
    return json.dumps(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [recipient],
                "timestamp": at,
                "feedbackId": feedback_id,
            },
            "mail": {"messageId": f"ses-{feedback_id}", "timestamp": at, "destination": [address]},
        }
    )


def test_a_dead_lettered_bounce_is_moved_back_and_counted_once_even_when_moved_twice(wired):
    """GIVEN a bounce record_feedback could not store (dead-letter queue) WHEN it is re-driven
    by a run that dies before deleting it, and again THEN the address is suppressed, once."""
    w = wired
    address = "gone@customer.org"
    w.faults.fail("TransactWriteItems", address)
    topic = w.stack.outputs["INBOUND_FEEDBACK_TOPIC_ARN"]
    w.sns.publish(TopicArn=topic, Message=_bounce(address, "fb-redrive"))
    assert run_lambda(w, "FEEDBACK_QUEUE") == []
    assert w.waiting("FEEDBACK_DLQ") == 1
    assert w.services.suppression.check(address)["suppressed"] is False
    w.faults.clear()

    # The first run's delete is lost: the copy is in the queue, the original still dead-lettered.
    w.faults.fail("DeleteMessageBatch", "feedback-dlq", times=1)
    sqs = w.stack.client("sqs")
    quick = SqsDeadLetters.of(sqs, _queue_names(w.stack)[1], wait_seconds=0, visibility_seconds=1)
    w.redrive.queues = [quick]
    crashed = w.redrive.redrive(mail=False)
    assert [(q.moved, bool(q.error)) for q in crashed.queues] == [(1, True)]
    [applied] = run_lambda(w, "FEEDBACK_QUEUE")
    assert applied.applied == 1
    assert w.services.suppression.check(address)["reason"] == "BOUNCE"

    moved = 0
    deadline = time.monotonic() + 30
    while not moved and time.monotonic() < deadline:  # the lost delete's message reappears
        moved = w.redrive.redrive(mail=False).queues[0].moved
    assert moved == 1
    [again] = run_lambda(w, "FEEDBACK_QUEUE")

    assert again.applied == 0
    assert w.services.suppression.reputation()["days"][0]["bounces"] == 1
    assert w.waiting("FEEDBACK_DLQ") == 0 and w.waiting("FEEDBACK_QUEUE") == 0


def test_a_dead_letter_whose_copy_the_queue_refuses_stays_dead_lettered(wired):
    w = wired
    note = received_notification(ses_id(), w.stack.settings.mail_bucket)
    w.sqs.send_message(QueueUrl=w.url("INGEST_DLQ"), MessageBody=note)
    w.faults.fail("SendMessageBatch", "ingest", times=1)

    report = w.redrive.redrive(mail=False)

    [ingest, _feedback] = report.queues
    assert (ingest.moved, bool(ingest.error)) == (0, True) and not report.ok
    assert w.waiting("INGEST_DLQ") == 1 and w.waiting("INGEST_QUEUE") == 0


# -- concurrency (moto's server: real HTTP, real threads) -----------------------------------
def test_two_redrives_and_the_sweeper_at_once_double_nothing():
    """GIVEN five quarantined mails WHEN two redrives and a sweeper run at the same time
    THEN each mail is exactly one ticket message and nothing is left behind."""
    from inbound.local.embedded import moto_server, stack_at

    with moto_server() as endpoint:
        stack = stack_at(endpoint, stage="redrive")
        ids = []
        for n in range(5):
            message_id = ses_id()
            stack.store.put_incoming(message_id, make_mail(subject=f"Parallel {n}"))
            stack.ingest.quarantine_failed(stack.store.bucket, f"incoming/{message_id}", message_id, "test")
            ids.append(message_id)
        redrives = [build_redrive(stack.services, stack.session, _queue_names(stack), 0) for _ in range(2)]
        sweeper = IncomingSweeper(stack.ingest, timedelta(minutes=120), 3)
        errors: list[BaseException] = []
        barrier = threading.Barrier(3)

        def work(run: Any) -> None:
            barrier.wait()
            try:
                run()
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        jobs = [lambda r=r: r.redrive() for r in redrives]
        jobs.append(lambda: [sweeper.sweep(now=LATER) for _ in range(3)])
        threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert errors == []
        for message_id in ids:
            record = stack.deliveries.get_delivery(message_id)
            assert record["outcome"] == "created", record
            assert len(stack.tickets.messages(record["ticket"])) == 1
        assert stack.keys("quarantine/") == [] and stack.keys("incoming/") == []
        assert len(stack.keys("archive/")) == 5


def test_the_command_without_a_stage_or_a_running_local_stack_says_what_to_do(tmp_path, capsys):
    from inbound.cli import main

    assert main(["redrive", "--data-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"inbound redrive: no inbound stack is running in {tmp_path} — start it with `make run` "
        "(or `inbound up`), or pass --data-dir, --stage or --endpoint-url\n"
    )
