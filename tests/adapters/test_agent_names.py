"""Agent names in DynamoDB (moto): written once per `sub`, never overwritten."""

from __future__ import annotations

from chalicelib.adapters.dynamodb_agents import DynamoDBAgents


def test_a_name_is_recorded_once_and_a_second_writer_gets_the_first_name(stack):
    agents = DynamoDBAgents(stack.client("dynamodb"), stack.settings.tickets_table)
    assert agents.name_of("sub-1") == ""
    assert agents.record("sub-1", "ann@example.com") == "ann@example.com"
    assert agents.record("sub-1", "boss@example.com") == "ann@example.com"
    assert agents.name_of("sub-1") == "ann@example.com" and agents.name_of("sub-2") == ""
