"""The agents' alert choices: the fake and the DynamoDB adapter (moto) answer alike."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb_alert_preferences import DynamoDBAlertPreferences
from chalicelib.services.ports.tickets import AlertPreferences
from tests.fakes.alert_preferences import FakeAlertPreferences


@pytest.fixture(params=["fake", "dynamodb"])
def preferences(request) -> AlertPreferences:
    if request.param == "fake":
        return FakeAlertPreferences()
    stack = request.getfixturevalue("stack")
    return DynamoDBAlertPreferences(stack.client("dynamodb"), stack.settings.tickets_table)


def test_reply_mail_is_off_until_the_agent_turns_it_on_and_each_agent_has_their_own(preferences):
    assert preferences.wants_reply_mail("ann@example.com") is False
    preferences.set_reply_mail("ann@example.com", True)
    assert preferences.wants_reply_mail("ann@example.com") is True
    assert preferences.wants_reply_mail("bob@example.com") is False
    preferences.set_reply_mail("ann@example.com", False)
    assert preferences.wants_reply_mail("ann@example.com") is False
