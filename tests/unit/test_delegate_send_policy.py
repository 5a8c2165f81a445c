"""Sending authorization, inbound as the delegate: with INBOUND_SENDING_IDENTITY_ARN the stage's
sends name another account's identity (SourceArn, FromArn, ReturnPathArn), and each sending
function's generated policy must allow SendRawEmail on that identity, from the stage's
mailboxes only. Checked with the recorded-calls test's evaluator (tests/support/iam_policy.py)."""

from __future__ import annotations

import pytest

from inbound.stage.iam_policies import policy_documents
from inbound.stage.provision.context import Names
from tests.support.iam_policy import Policy, needs

REGION, ACCOUNT = "eu-west-1", "111122223333"
OWNER_IDENTITY = "arn:aws:ses:eu-west-1:444455556666:identity/example.com"
SUPPORT = "support@example.com"
NAMES = Names("dev", "example.com", REGION, ACCOUNT)
SENDERS = {
    "ingest": NAMES.configuration_set,
    "sweep_incoming": NAMES.configuration_set,
    "api_handler": NAMES.configuration_set,
    "send_announcement": f"{NAMES.configuration_set}-announcements",
}


def delegated_send(source: str, configuration_set: str) -> dict:
    return {
        "Source": source,
        "Destinations": ["gina@customer.org"],
        "RawMessage": {"Data": b"..."},
        "ConfigurationSetName": configuration_set,
        "SourceArn": OWNER_IDENTITY,
        "FromArn": OWNER_IDENTITY,
        "ReturnPathArn": OWNER_IDENTITY,
    }


@pytest.mark.parametrize("function", sorted(SENDERS))
def test_a_delegate_stage_may_send_as_the_owners_identity_from_its_mailboxes(function):
    documents = policy_documents(NAMES, [SUPPORT], sending_identity_arn=OWNER_IDENTITY)
    policy = Policy(documents[function])
    send = needs("ses", "SendRawEmail", delegated_send(SUPPORT, SENDERS[function]), REGION, ACCOUNT)
    assert all(policy.allows(n) for n in send)
    forged = needs(
        "ses", "SendRawEmail", delegated_send(f"ceo@{NAMES.domain}", SENDERS[function]), REGION, ACCOUNT
    )
    assert [n.resource for n in forged if not policy.allows(n)] == [OWNER_IDENTITY]


def test_without_a_sending_identity_no_other_accounts_identity_is_granted():
    documents = policy_documents(NAMES, [SUPPORT])
    policy = Policy(documents["ingest"])
    send = needs("ses", "SendRawEmail", delegated_send(SUPPORT, NAMES.configuration_set), REGION, ACCOUNT)
    assert [n.resource for n in send if not policy.allows(n)] == [OWNER_IDENTITY]
