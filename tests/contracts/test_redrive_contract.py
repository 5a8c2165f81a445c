"""What the re-drive moves, twice: the fakes and the S3 and SQS adapters on moto.

The quarantine: only `failed` mail is listed, its original key is where it came from (or
incoming/<id> when the record says otherwise), a copy back leaves the quarantined one until
it is discarded. The dead letters: the pair is found by the queue's redrive policy, a letter
sent back reaches the queue whole, and it leaves the dead-letter queue only when deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.services.ports.records import QuarantinedMail
from chalicelib.services.ports.redrive import DeadLetters, Quarantine
from chalicelib.services.ports.tickets import MailStore
from tests.fakes.mail_store import FakeMailStore
from tests.fakes.redrive import FakeDeadLetters, FakeQuarantine

BUCKET = "contract-mail"


@pytest.fixture(params=["fake", "s3"])
def quarantine(request: pytest.FixtureRequest) -> tuple[MailStore, Quarantine]:
    if request.param == "fake":
        store = FakeMailStore(BUCKET)
        return store, FakeQuarantine(store)
    from chalicelib.adapters.s3_mail_store import S3MailStore
    from chalicelib.adapters.s3_quarantine import S3Quarantine

    s3 = request.getfixturevalue("aws").client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return S3MailStore(s3, BUCKET), S3Quarantine(s3, BUCKET)


def test_only_failed_mail_is_listed_with_the_key_it_came_from(quarantine):
    store, failed = quarantine
    for ses_id, reason in (("ses-1", "failed"), ("ses-2", "spam")):
        store.quarantine(BUCKET, store.put_incoming(ses_id, b"raw"), ses_id, reason, "why")
    store.put_attachment("elsewhere/ses-3", b"raw 3", "message/rfc822", "ses-3")
    store.quarantine(BUCKET, "elsewhere/ses-3", "ses-3", "failed", "why")

    listed = failed.failed()

    assert listed == [
        QuarantinedMail("quarantine/failed/ses-1", "ses-1"),
        QuarantinedMail("quarantine/failed/ses-3", "ses-3"),
    ]
    assert [failed.original_key(m) for m in listed] == ["incoming/ses-1", "incoming/ses-3"]


def test_a_copy_back_keeps_the_quarantined_mail_until_it_is_discarded(quarantine):
    store, failed = quarantine
    store.quarantine(BUCKET, store.put_incoming("ses-1", b"raw mail"), "ses-1", "failed", "why")
    [mail] = failed.failed()

    assert failed.copy_back(mail, "incoming/ses-1") is True
    assert store.get_raw(BUCKET, "incoming/ses-1") == b"raw mail"
    assert failed.failed() == [mail]
    failed.discard(mail)
    assert failed.failed() == []
    assert failed.copy_back(mail, "incoming/ses-1") is False


@pytest.fixture(params=["fake", "sqs"])
def dead_letters(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[DeadLetters, Callable[..., None], Callable]]:
    """The letters, a way to put one in the dead-letter queue, and what reached the queue."""
    if request.param == "fake":
        fake = FakeDeadLetters()
        yield fake, fake.put_dead, lambda: [(d.body, d.message_attributes) for d in fake.source]
        return
    from chalicelib.adapters.sqs_redrive import SqsDeadLetters

    sqs = request.getfixturevalue("aws").client("sqs")
    dlq = sqs.create_queue(QueueName="ingest-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    source = sqs.create_queue(QueueName="ingest", Attributes={"RedrivePolicy": policy})["QueueUrl"]

    def put_dead(body: str, attributes: dict[str, Any] | None = None) -> None:
        sqs.send_message(QueueUrl=dlq, MessageBody=body, MessageAttributes=attributes or {})

    def arrived() -> list[tuple[str, dict[str, Any]]]:
        got = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        return [(m["Body"], m.get("MessageAttributes") or {}) for m in got.get("Messages", [])]

    yield SqsDeadLetters.of(sqs, "ingest", wait_seconds=0), put_dead, arrived


def test_a_dead_letter_reaches_its_queue_whole_and_leaves_only_when_deleted(dead_letters):
    letters, put_dead, arrived = dead_letters
    kind = {"kind": {"DataType": "String", "StringValue": "ses"}}
    put_dead('{"n": 1}', kind)
    put_dead('{"n": 2}')
    assert (letters.name, letters.dead_letter_name, letters.waiting()) == ("ingest", "ingest-dlq", 2)

    got = letters.receive()
    sent = letters.send_to_source(got)

    assert sent == {d.message_id for d in got} and len(sent) == 2
    reached = dict(arrived())
    assert sorted(reached) == ['{"n": 1}', '{"n": 2}']
    assert reached['{"n": 1}']["kind"]["StringValue"] == "ses" and not reached['{"n": 2}']
    assert letters.waiting() == 2  # copied, not yet deleted
    assert letters.delete(got) == sent
    assert letters.waiting() == 0
    assert letters.send_to_source([]) == set() and letters.delete([]) == set()
