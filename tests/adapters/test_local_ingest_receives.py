"""A start re-drives incoming/ with the receive counts the last run's notifications had
(inbound/local/sqs_snapshot.py, recovery.py).

GIVEN moto's server in this process, provisioned as `inbound up` does, two mails received
by the emulated SES (raw under incoming/, a notification each on the ingest queue) whose
notifications were received twice without being deleted (their handler failed), WHEN a
snapshot is taken, the queue emptied (what a kill -9 leaves) and the snapshot restored,
THEN the start's re-drive gives each new notification the count it had: the next receive
is its third. WHEN one of them had used up the queue's 5 receives, THEN the start puts
that mail in quarantine/failed/ with the reason instead of trying it a sixth time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inbound.local import moto_changes, sqs_snapshot
from inbound.local.embedded import REGION, moto_server, stack_at
from inbound.local.recovery import redrive_incoming
from inbound.local.ses_received import Envelope
from inbound.local.smtp import SesReceiver
from inbound.local.state import LocalState

STAGE = "ingrcv"
PREFIX = f"inbound-{STAGE}-"
MOST = 5  # the ingest queue's maxReceiveCount (inbound/stage/documents.py)


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    with moto_server() as endpoint:
        yield stack_at(endpoint, stage=STAGE)


def _receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,  # visible again at once, as after a handler that failed
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )
    return list(got.get("Messages", []))


def test_re_driven_notifications_keep_their_receive_counts_and_an_exhausted_one_is_quarantined(
    stack: Any, tmp_path: Path
) -> None:
    moto_changes.install()
    clients = {name: stack.client(name) for name in ("s3", "dynamodb", "ssm", "sqs", "sts", "ses", "sns")}
    sqs, account = clients["sqs"], clients["sts"].get_caller_identity()["Account"]
    url = stack.outputs["INBOUND_INGEST_QUEUE_URL"]
    receiver = SesReceiver(clients)
    envelope = Envelope("ann@customer.org", ("support@example.com",))
    first, second = (
        receiver.receive(
            envelope, f"Subject: Order {n}\r\nMessage-ID: <o{n}@customer.org>\r\n\r\nLate.\r\n".encode()
        )
        for n in (1, 2)
    )
    for _ in range(2):
        _receive_all(sqs, url)
    LocalState(tmp_path / "data", clients, STAGE, account, REGION).save()
    for message in _receive_all(sqs, url):  # the kill: the queue's memory is gone
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    restored = LocalState(tmp_path / "data", clients, STAGE, account, REGION)
    restored.restore()
    assert {i: c["receives"] for i, c in restored.ingest_receives.items()} == {first: 2, second: 2}
    receives = {**restored.ingest_receives, first: {**restored.ingest_receives[first], "receives": MOST}}
    redriven, quarantined = redrive_incoming(stack, receiver, receives, MOST)
    sqs_snapshot.keep_ingest_receives(account, REGION, PREFIX, receives)

    assert (redriven, quarantined) == (1, 1)
    again = _receive_all(sqs, url)
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in again] == ["3"]
    assert second in again[0]["Body"]
    keys = stack.keys("")
    assert f"quarantine/failed/{first}" in keys and f"incoming/{first}" not in keys
    record = stack.deliveries.get_delivery(first)
    assert record["outcome"] == "quarantined" and "failed 5 times" in record["reason"]
