"""The local stack's snapshot keeps the stage's SQS messages (inbound/local/sqs_snapshot.py).

GIVEN moto's server in this process, provisioned as `inbound up` does, with a message
waiting on the feedback queue (with message attributes), one in flight on the
announcements' queue, one delayed on the outbox queue (a reply held for undo-send) and a
notification on the ingest queue, WHEN a snapshot is taken, the queues are emptied (what a
kill -9 leaves of moto's memory) and the snapshot restored, THEN the waiting and the
in-flight message are back and visible, the delayed one is back and still delayed, and the
ingest notification is not (a start rebuilds it from incoming/). A restored message keeps
its receive count, so the redrive policy still moves a poison message to its dead-letter
queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inbound.local import moto_changes
from inbound.local.embedded import REGION, moto_server, stack_at
from inbound.local.state import LocalState

STAGE = "snapq"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def endpoint_stack(endpoint: str) -> Any:
    return stack_at(endpoint, stage=STAGE)


def _url(sqs: Any, role: str, stage: str = STAGE) -> str:
    return str(sqs.get_queue_url(QueueName=f"inbound-{stage}-{role}")["QueueUrl"])


def _counts(sqs: Any, url: str) -> tuple[int, int, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(got[names[0]]), int(got[names[1]]), int(got[names[2]])


def test_a_snapshot_keeps_waiting_in_flight_and_delayed_messages(endpoint_stack: Any, tmp_path: Path) -> None:
    moto_changes.install()
    clients = {name: endpoint_stack.client(name) for name in ("s3", "dynamodb", "ssm", "sqs", "sts")}
    sqs, account = clients["sqs"], clients["sts"].get_caller_identity()["Account"]
    feedback, announce, outbox, ingest = (_url(sqs, r) for r in ("feedback", "announce", "outbox", "ingest"))
    attributes = {"kind": {"DataType": "String", "StringValue": "bounce"}}
    sqs.send_message(QueueUrl=feedback, MessageBody='{"eventType": "Bounce"}', MessageAttributes=attributes)
    sqs.send_message(QueueUrl=announce, MessageBody='{"batch": 1}')
    assert sqs.receive_message(QueueUrl=announce, VisibilityTimeout=600)["Messages"]  # in flight
    sqs.send_message(QueueUrl=outbox, MessageBody='{"hold": "h1"}', DelaySeconds=600)
    sqs.send_message(QueueUrl=ingest, MessageBody='{"notification": "rebuilt at start"}')

    LocalState(tmp_path / "data", clients, STAGE, account, REGION).save()
    for url in (feedback, announce, outbox, ingest):
        sqs.purge_queue(QueueUrl=url)
    restored = LocalState(tmp_path / "data", clients, STAGE, account, REGION).restore()

    assert restored["messages"] == 3
    got = sqs.receive_message(QueueUrl=feedback, MessageAttributeNames=["All"])["Messages"]
    assert [(m["Body"], m["MessageAttributes"]["kind"]["StringValue"]) for m in got] == [
        ('{"eventType": "Bounce"}', "bounce")
    ]
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=announce)["Messages"]] == ['{"batch": 1}']
    assert _counts(sqs, outbox) == (0, 0, 1), "the held reply waits out the rest of its undo window"
    assert _counts(sqs, ingest) == (0, 0, 0)


def test_a_restored_message_keeps_its_receive_count_so_the_dead_letter_queue_still_takes_it(
    endpoint: str, tmp_path: Path
) -> None:
    """GIVEN a feedback event whose handler failed on all 5 receives the redrive policy allows
    (its sixth receive would move it to the dead-letter queue), WHEN a snapshot is taken and
    restored after a kill -9, THEN the next receive moves it to the dead-letter queue, with
    the count and times it had, instead of handing it to the handler a sixth time."""
    moto_changes.install()
    stage = "snapdlq"  # queues of its own: nothing another test left on them
    stack = stack_at(endpoint, stage=stage)
    clients = {name: stack.client(name) for name in ("s3", "dynamodb", "ssm", "sqs", "sts")}
    sqs, account = clients["sqs"], clients["sts"].get_caller_identity()["Account"]
    feedback, dlq = _url(sqs, "feedback", stage), _url(sqs, "feedback-dlq", stage)
    sqs.send_message(QueueUrl=feedback, MessageBody='{"eventType": "Poison"}')
    names = ["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SentTimestamp"]
    for _ in range(5):  # a visibility timeout of 0: visible again at once, as after a crash
        got = sqs.receive_message(QueueUrl=feedback, VisibilityTimeout=0, MessageSystemAttributeNames=names)[
            "Messages"
        ]
    before = got[0]["Attributes"]
    assert before["ApproximateReceiveCount"] == "5"

    LocalState(tmp_path / "data", clients, stage, account, REGION).save()
    sqs.delete_message(QueueUrl=feedback, ReceiptHandle=got[0]["ReceiptHandle"])  # what a kill -9 leaves
    LocalState(tmp_path / "data", clients, stage, account, REGION).restore()

    assert sqs.receive_message(QueueUrl=feedback, VisibilityTimeout=0).get("Messages", []) == []
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=names)["Messages"]
    assert [m["Body"] for m in moved] == ['{"eventType": "Poison"}']
    after = moved[0]["Attributes"]
    assert after["ApproximateFirstReceiveTimestamp"] == before["ApproximateFirstReceiveTimestamp"]
    assert after["SentTimestamp"] == before["SentTimestamp"]
