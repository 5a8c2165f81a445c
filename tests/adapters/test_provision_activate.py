"""`inbound provision --activate` against moto: the command an operator types.

SES allows one active receipt rule set per account and Region, so provision leaves the
active one alone unless told: GIVEN another team's rule set is active, WHEN provision runs
without --activate, THEN ours exists but receives nothing, and the output says so and how
to change it; WITH --activate ours replaces theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from inbound.cli import main

REGION = "eu-west-1"
ARGS = ["provision", "--stage", "test", "--domain", "example.com", "--region", REGION]


@pytest.fixture
def ses() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("ses", region_name=REGION)
        client.create_receipt_rule_set(RuleSetName="someone-else")
        client.set_active_receipt_rule_set(RuleSetName="someone-else")
        yield client


def active_rule_set(ses: Any) -> str | None:
    return (ses.describe_active_receipt_rule_set().get("Metadata") or {}).get("Name")


def test_without_activate_the_rule_set_is_created_inactive_and_the_output_says_how_to_activate(ses, capsys):
    assert main(ARGS) == 0

    out = capsys.readouterr().out
    assert active_rule_set(ses) == "someone-else"
    assert (
        ses.describe_receipt_rule_set(RuleSetName="inbound-test")["Rules"][0]["Name"]
        == "inbound-test-receive"
    )
    assert "Receipt rule set inbound-test is not active: SES receives no mail for this stage" in out
    assert f"inbound provision --stage test --domain example.com --region {REGION} --activate" in out


def test_activate_replaces_the_active_rule_set_and_a_later_run_keeps_it(ses, capsys):
    assert main([*ARGS, "--activate"]) == 0
    first = capsys.readouterr().out

    assert active_rule_set(ses) == "inbound-test"
    assert "replaced active rule set someone-else" in first
    assert "is not active" not in first

    assert main(ARGS) == 0  # without --activate: nothing to say, nothing deactivated
    second = capsys.readouterr().out
    assert active_rule_set(ses) == "inbound-test"
    assert "is not active" not in second
