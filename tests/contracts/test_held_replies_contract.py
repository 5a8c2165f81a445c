"""Held replies (undo-send) twice: the fake and the DynamoDB adapter on moto. What the
service counts on: a held reply reads back whole, and a move happens only from the state
it names, so the sender's claim and the agent's undo cannot both succeed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.domain.held_replies import HeldReply, HeldState
from tests.fakes.held_replies import FakeHeldReplies
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
