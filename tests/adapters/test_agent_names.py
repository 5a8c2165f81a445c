"""Agent names in DynamoDB (moto): written once per `sub`, never overwritten."""

from __future__ import annotations

from chalicelib.adapters.dynamodb_agents import DynamoDBAgents


def test_a_name_is_recorded_once_and_a_second_writer_gets_the_first_name(stack):
    agents = DynamoDBAgents(stack.client("dynamodb"), stack.settings.tickets_table)
    assert agents.name_of("sub-1") == ""
    assert agents.record("sub-1", "ann@example.com") == "ann@example.com"
    assert agents.record("sub-1", "boss@example.com") == "ann@example.com"
    assert agents.name_of("sub-1") == "ann@example.com" and agents.name_of("sub-2") == ""


def test_the_staff_directory_knows_recorded_and_enlisted_agents_only(stack):
    agents = DynamoDBAgents(stack.client("dynamodb"), stack.settings.tickets_table)
    agents.record("sub-1", "ann@example.com")
    assert agents.is_agent("ann@example.com") and not agents.is_agent("bbo@example.com")
    assert not agents.is_agent("old@example.com")
    agents.enlist("sub-2", "old@example.com")  # named before the directory existed
    assert agents.is_agent("old@example.com")
    assert agents.record("sub-1", "boss@example.com") == "ann@example.com"
    assert not agents.is_agent("boss@example.com"), "a refused rename enters nobody"


def test_the_roster_lists_recorded_and_enlisted_agents_once_each_and_not_refused_names(stack):
    agents = DynamoDBAgents(stack.client("dynamodb"), stack.settings.tickets_table)
    agents.record("sub-1", "ann@example.com")
    agents.enlist("sub-2", "old@example.com")
    agents.enlist("sub-2", "old@example.com")  # every container enlists again
    agents.record("sub-1", "boss@example.com")
    assert agents.roster() == ["ann@example.com", "old@example.com"]
