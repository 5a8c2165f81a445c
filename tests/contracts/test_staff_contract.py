"""Agent names and presence: the in-memory fakes and the DynamoDB adapters (moto) agree."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb_admin_guard import DynamoDBAdminGuard
from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
from chalicelib.adapters.dynamodb_presence import DynamoDBPresence
from chalicelib.services.ports.records import AgentStanding, Presence
from tests.fakes.staff import FakeAdminGuard, FakeAgents, FakePresence


@pytest.fixture(params=["fake", "dynamodb"])
def agents(request):
    if request.param == "fake":
        return FakeAgents()
    stack = request.getfixturevalue("stack")
    return DynamoDBAgents(stack.client("dynamodb"), stack.settings.tickets_table)


@pytest.fixture(params=["fake", "dynamodb"])
def guard(request):
    if request.param == "fake":
        return FakeAdminGuard()
    stack = request.getfixturevalue("stack")
    return DynamoDBAdminGuard(stack.client("dynamodb"), stack.settings.tickets_table)


@pytest.fixture(params=["fake", "dynamodb"])
def presence(request):
    if request.param == "fake":
        return FakePresence()
    stack = request.getfixturevalue("stack")
    return DynamoDBPresence(stack.client("dynamodb"), stack.settings.tickets_table)


def test_a_name_is_written_once_and_makes_its_holder_an_agent(agents):
    assert agents.name_of("sub-1") == "" and not agents.is_agent("ann@example.com")

    assert agents.record("sub-1", "ann@example.com") == "ann@example.com"
    assert agents.record("sub-1", "someone-else@example.com") == "ann@example.com"
    agents.enlist("sub-2", "bob@example.com")

    assert agents.name_of("sub-1") == "ann@example.com"
    assert agents.is_agent("ann@example.com") and agents.is_agent("bob@example.com")
    assert not agents.is_agent("someone-else@example.com")
    assert agents.roster() == ["ann@example.com", "bob@example.com"]


def test_a_disabled_agent_leaves_the_roster_and_is_no_assignee_until_enabled(agents):
    agents.record("sub-1", "ann@example.com")
    agents.record("sub-2", "bob@example.com")

    agents.set_disabled("bob@example.com", True)
    agents.enlist("sub-2", "bob@example.com")  # a token still valid, read by a fresh container
    agents.set_disabled("nobody@example.com", True)  # never signed in: nothing to mark

    assert agents.roster() == ["ann@example.com"]
    assert not agents.is_agent("bob@example.com") and not agents.is_agent("nobody@example.com")
    assert agents.is_disabled("bob@example.com"), "what mail an agent sends asks (outbound.require_staff)"
    assert not agents.is_disabled("ann@example.com") and not agents.is_disabled("nobody@example.com")
    agents.set_disabled("bob@example.com", False)
    assert agents.roster() == ["ann@example.com", "bob@example.com"] and agents.is_agent("bob@example.com")
    assert not agents.is_disabled("bob@example.com")


def test_the_directory_records_a_role_an_admin_gave_and_tells_it_with_the_disabled_mark(agents):
    """What the API asks before an admin's change (services/staff_identities.confirm_admin)."""
    agents.record("sub-1", "ann@example.com")
    assert agents.standing("ann@example.com") == AgentStanding(enabled=True, role="")
    assert agents.standing("nobody@example.com") == AgentStanding(enabled=False, role="")

    agents.set_role("ann@example.com", "agent")
    agents.set_role("nobody@example.com", "admin")  # never signed in: nothing to record
    assert agents.standing("ann@example.com") == AgentStanding(enabled=True, role="agent")
    assert agents.standing("nobody@example.com") == AgentStanding(enabled=False, role="")
    agents.set_disabled("ann@example.com", True)
    agents.enlist("sub-1", "ann@example.com")  # a fresh container reading a valid token keeps both
    assert agents.standing("ann@example.com") == AgentStanding(enabled=False, role="agent")
    agents.set_role("ann@example.com", "admin")
    agents.set_disabled("ann@example.com", False)
    assert agents.standing("ann@example.com") == AgentStanding(enabled=True, role="admin")


def test_presence_lapses_at_its_expiry_and_ends_on_leaving(presence):
    presence.touch("T-1001", "bob@example.com", True, "2026-12-07T10:00:00.000Z", 1_800_000_045)
    presence.touch("T-1001", "ann@example.com", False, "2026-12-07T10:00:01.000Z", 1_800_000_030)
    presence.touch("T-1002", "carol@example.com", False, "2026-12-07T10:00:02.000Z", 1_800_000_045)

    assert presence.present("T-1001", 1_800_000_000) == [
        Presence("ann@example.com", False, "2026-12-07T10:00:01.000Z"),
        Presence("bob@example.com", True, "2026-12-07T10:00:00.000Z"),
    ]
    assert presence.present("T-1001", 1_800_000_030) == [
        Presence("bob@example.com", True, "2026-12-07T10:00:00.000Z")
    ]
    presence.leave("T-1001", "bob@example.com")
    assert presence.present("T-1001", 1_800_000_000) == [
        Presence("ann@example.com", False, "2026-12-07T10:00:01.000Z")
    ]


def test_the_staff_guard_has_one_holder_until_released_or_its_lease_ends(guard):
    assert guard.acquire("a", now=1000, lease=60)
    assert not guard.acquire("b", now=1001, lease=60), "held"
    guard.release("b")  # not b's to release
    assert not guard.acquire("b", now=1060, lease=60), "still a's at its last second"
    assert guard.acquire("b", now=1061, lease=60), "a died: the lease ended"
    guard.release("a")  # a, back late, cannot take it from b
    assert not guard.acquire("c", now=1062, lease=60)
    guard.release("b")
    assert guard.acquire("c", now=1062, lease=60)
    guard.release("c")


def test_a_touch_says_what_it_replaced_a_leave_whether_there_was_one_and_signals_count(presence):
    assert (
        presence.touch("T-1003", "bob@example.com", False, "2026-12-07T10:00:00.000Z", 1_800_000_045) is None
    )
    assert presence.touch("T-1003", "bob@example.com", True, "2026-12-07T10:00:15.000Z", 1_800_000_060) == (
        False,
        1_800_000_045,
    )
    assert presence.leave("T-1003", "bob@example.com") is True
    assert presence.leave("T-1003", "bob@example.com") is False
    assert [presence.signal("T-1003"), presence.signal("T-1003"), presence.signal("T-1004")] == [1, 2, 1]
