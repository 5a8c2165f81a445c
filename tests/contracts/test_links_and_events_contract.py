"""Download links and ticket events twice: the fakes and the S3 and SNS adapters on moto.

Links: a link fetches the file; only a safe image or PDF shows inline, anything risky or
of another type downloads. Events: each reads back with its kind, ticket and detail, in the
order published (through an SQS queue subscribed to the topic, as an integration reads)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from chalicelib.domain.ticket_events import EventKind
from chalicelib.domain.tickets import StoredAttachment
from chalicelib.services.ports.tickets import DownloadLinks, Events
from tests.fakes.desk import FAKE_LINK_BASE, FakeEvents, FakeLinks

BUCKET = "contract-mail"


def _attachment(name: str, sniffed: str, risky: bool = False) -> StoredAttachment:
    return StoredAttachment(
        index=0,
        filename=name,
        safe_name=name,
        key=f"attachments/T-1001/m1/0-{name}",
        declared_type=sniffed,
        sniffed_type=sniffed,
        size=4,
        sha256="0" * 64,
        risky=risky,
    )


@pytest.fixture(params=["fake", "s3"])
def links(request: pytest.FixtureRequest) -> tuple[DownloadLinks, Callable[[str, bytes], None], Callable]:
    """The links, a way to store a file, and a way to follow a link to its bytes."""
    if request.param == "fake":
        files: dict[str, bytes] = {}
        return FakeLinks(), files.__setitem__, lambda url: files[url.removeprefix(FAKE_LINK_BASE)]
    from chalicelib.adapters.s3_download_links import S3DownloadLinks

    s3 = request.getfixturevalue("aws").client("s3")
    s3.create_bucket(Bucket=BUCKET)

    def put(key: str, body: bytes) -> None:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def follow(url: str) -> bytes:
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.content

    return S3DownloadLinks(s3, BUCKET), put, follow


@pytest.mark.parametrize(
    ("attachment", "disposition"),
    [
        (_attachment("photo.png", "image/png"), "inline"),
        (_attachment("invoice.pdf", "application/pdf"), "inline"),
        (_attachment("page.html", "text/html"), "attachment"),
        (_attachment("photo.png", "image/png", risky=True), "attachment"),
    ],
)
def test_a_link_fetches_the_file_and_only_a_safe_image_or_pdf_shows_inline(links, attachment, disposition):
    made, put, follow = links
    put(attachment.key, b"data")

    url, shown = made.link(attachment)

    assert shown == disposition
    assert follow(url) == b"data"


@pytest.fixture(params=["fake", "sns"])
def events(request: pytest.FixtureRequest) -> tuple[Events, Callable[[], list[tuple[str, str, Any]]]]:
    """The events port and what an integration reads from it: (kind, ticket, detail)."""
    if request.param == "fake":
        fake = FakeEvents()
        return fake, lambda: list(fake.published)
    from chalicelib.adapters.sns_events import SnsEvents

    session = request.getfixturevalue("aws")
    sns, sqs = session.client("sns"), session.client("sqs")
    topic = sns.create_topic(Name="ticket-events")["TopicArn"]
    queue = sqs.create_queue(QueueName="integration")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})

    def read() -> list[tuple[str, str, Any]]:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        bodies = [json.loads(m["Body"]) for m in got]
        return [(b["kind"], b["ticket"], b["detail"]) for b in bodies]

    return SnsEvents(sns, topic), read


def test_an_event_reads_back_with_its_kind_ticket_and_detail_in_order(events):
    port, read = events

    assert port.publish_event(EventKind.CREATED, "T-1001", {"mailbox": "support", "messages": 1}) is True
    assert port.publish_event(EventKind.ASSIGNED, "T-1001") is True

    assert read() == [
        ("ticket.created", "T-1001", {"mailbox": "support", "messages": 1}),
        ("ticket.assigned", "T-1001", {}),
    ]
