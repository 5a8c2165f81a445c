"""Held replies (undo-send) twice: the fake and the DynamoDB adapter on moto. What the
service counts on: a held reply reads back whole, and a move happens only from the state
it names, so the sender's claim and the agent's undo cannot both succeed. The delayed queue
that sends each one (the fake and the SQS adapter): a send is received when its delay ends."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.domain.held_replies import HeldReply, HeldState
from chalicelib.services.ports.held import SendQueue
from tests.fakes.held_replies import FakeHeldReplies, FakeSendQueue
from tests.support.dynamodb_tables import pk_sk_table


@pytest.fixture(params=["fake", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[object]:
    if request.param == "fake":
        yield FakeHeldReplies()
        return
    from chalicelib.adapters.dynamodb_held_replies import DynamoDBHeldReplies

    session = request.getfixturevalue("aws")
    yield DynamoDBHeldReplies(session.client("dynamodb"), pk_sk_table(session.client("dynamodb"), "contract"))


REPLY = HeldReply(
    ticket_id="T-1001",
    hold_id="a" * 32,
    agent="ann@example.com",
    text="On it.",
    html="<p>On it.</p>",
    display_name="Ann",
    uploads=("uploads/T-1001/" + "b" * 32 + "/r.pdf",),
    last_seen="ses-1",
    held_at="2026-12-07T16:00:00.000Z",
    send_at="2026-12-07T16:00:10.000Z",
)


def test_a_held_reply_reads_back_whole(store):
    store.hold(REPLY, 2_000_000_000)
    assert store.get("T-1001", REPLY.hold_id) == REPLY
    assert store.get("T-1001", "c" * 32) is None


def test_the_claim_and_the_undo_cannot_both_succeed(store):
    store.hold(REPLY, 2_000_000_000)

    assert store.move("T-1001", REPLY.hold_id, HeldState.WAITING, HeldState.SENDING)
    assert not store.move("T-1001", REPLY.hold_id, HeldState.WAITING, HeldState.CANCELLED)
    assert store.move("T-1001", REPLY.hold_id, HeldState.SENDING, HeldState.SENT, message_key="out-1")

    got = store.get("T-1001", REPLY.hold_id)
    assert (got.state, got.message_key, got.reason) == (HeldState.SENT, "out-1", "")
    assert not store.move("T-1001", "c" * 32, HeldState.WAITING, HeldState.CANCELLED)


def test_a_refusal_reads_back_with_its_code_and_values(store):
    store.hold(REPLY, 2_000_000_000)
    store.move("T-1001", REPLY.hold_id, HeldState.WAITING, HeldState.SENDING)
    values = (("merged_into", "T-1002"),)
    assert store.move(
        "T-1001",
        REPLY.hold_id,
        HeldState.SENDING,
        HeldState.REFUSED,
        reason="T-1001 was merged into T-1002; work on that ticket",
        reason_code="merged",
        reason_values=values,
    )

    got = store.get("T-1001", REPLY.hold_id)
    assert (got.state, got.reason_code, got.reason_values) == (HeldState.REFUSED, "merged", values)
    assert got.reason.startswith("T-1001 was merged")


def test_a_tickets_held_replies_are_listed_whole_and_only_its_own(store):
    from dataclasses import replace

    second = replace(REPLY, hold_id="c" * 32, text="Second.")
    other = replace(REPLY, ticket_id="T-1002")
    for reply in (REPLY, second, other):
        store.hold(reply, 2_000_000_000)
    store.move("T-1001", second.hold_id, HeldState.WAITING, HeldState.CANCELLED)

    listed = sorted(store.of_ticket("T-1001"), key=lambda h: h.hold_id)
    assert listed == [REPLY, replace(second, state=HeldState.CANCELLED)]
    assert store.of_ticket("T-9") == []


@pytest.fixture(params=["fake", "sqs"])
def queue(request: pytest.FixtureRequest) -> Iterator[tuple[SendQueue, Callable[[], list[dict[str, Any]]]]]:
    """The delayed queue and what a consumer receives from it now."""
    if request.param == "fake":
        fake = FakeSendQueue()
        yield fake, fake.due
        return
    from chalicelib.adapters.sqs_batches import SqsBatches

    sqs = request.getfixturevalue("aws").client("sqs")
    url = sqs.create_queue(QueueName="outbox")["QueueUrl"]

    def due() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    yield SqsBatches(sqs, "outbox"), due


def test_a_send_without_delay_arrives_whole_at_once_and_a_delayed_one_waits(queue):
    """A delay past SQS's 15 minutes is clipped (SQS refuses more); a negative one is none."""
    send_queue, due = queue
    send_queue.enqueue({"ticket": "T-1001", "hold": "a" * 32})
    send_queue.enqueue({"ticket": "T-1002", "hold": "b" * 32}, delay_seconds=60)
    send_queue.enqueue({"ticket": "T-1003", "hold": "c" * 32}, delay_seconds=5_000)
    send_queue.enqueue({"ticket": "T-1004", "hold": "d" * 32}, delay_seconds=-5)

    assert sorted(body["ticket"] for body in due()) == ["T-1001", "T-1004"]
