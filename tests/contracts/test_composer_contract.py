"""Saved replies and agent profiles: the in-memory fakes and the DynamoDB adapters (moto)
answer the same calls the same way (order, conditional create and edit, delete)."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb_agent_profiles import DynamoDBAgentProfiles
from chalicelib.adapters.dynamodb_saved_replies import DynamoDBSavedReplies
from chalicelib.domain.saved_replies import AgentProfile, SavedReply
from tests.fakes.composer import FakeAgentProfiles, FakeSavedReplies


@pytest.fixture(params=["fake", "dynamodb"])
def replies(request):
    if request.param == "fake":
        return FakeSavedReplies()
    stack = request.getfixturevalue("stack")
    return DynamoDBSavedReplies(stack.client("dynamodb"), stack.settings.tickets_table)


@pytest.fixture(params=["fake", "dynamodb"])
def profiles(request):
    if request.param == "fake":
        return FakeAgentProfiles()
    stack = request.getfixturevalue("stack")
    return DynamoDBAgentProfiles(stack.client("dynamodb"), stack.settings.tickets_table)


def _reply(reply_id: str, title: str, mailbox: str = "support") -> SavedReply:
    return SavedReply(
        mailbox, reply_id, title, f"body of {title}", "2026-12-07T10:00:00.000Z", "ann@example.com"
    )


def test_a_mailboxs_replies_are_listed_by_title_and_kept_apart_from_other_mailboxes(replies):
    for reply in (
        _reply("b1", "refund"),
        _reply("a2", "Greeting"),
        _reply("c3", "greeting"),
        _reply("z", "x", "billing"),
    ):
        assert replies.put(reply, new=True)

    assert [(r.id, r.title) for r in replies.list("support")] == [
        ("a2", "Greeting"),
        ("c3", "greeting"),
        ("b1", "refund"),
    ]
    assert replies.list("billing") == [_reply("z", "x", "billing")]
    assert replies.list("sales") == []
    assert replies.get("support", "b1") == _reply("b1", "refund")
    assert replies.get("billing", "b1") is None


def test_create_never_overwrites_and_edit_never_resurrects(replies):
    assert replies.put(_reply("r1", "first"), new=True)
    assert not replies.put(_reply("r1", "second"), new=True)
    assert replies.get("support", "r1").title == "first"

    assert replies.put(_reply("r1", "edited"), new=False)
    assert replies.delete("support", "r1")
    assert not replies.delete("support", "r1")
    assert not replies.put(_reply("r1", "edited again"), new=False)
    assert replies.list("support") == []


def test_an_agents_profile_is_their_own(profiles):
    assert profiles.get("ann@example.com") is None
    profiles.put(AgentProfile("ann@example.com", "Ann", "Ann\nSupport"))
    profiles.put(AgentProfile("bob@example.com", "", ""))
    profiles.put(AgentProfile("ann@example.com", "Ann Lee", "Ann Lee\nSupport"))

    assert profiles.get("ann@example.com") == AgentProfile("ann@example.com", "Ann Lee", "Ann Lee\nSupport")
    assert profiles.get("bob@example.com") == AgentProfile("bob@example.com", "", "")
