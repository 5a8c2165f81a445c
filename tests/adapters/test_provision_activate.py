"""`inbound provision --activate` against moto: the command an operator types.

SES applies one receipt rule set per account and Region, the active one, and an account
may already receive through it (another team's rules, another stage). So activating a
stage never replaces the active set: GIVEN another set is active, WHEN provision runs
without --activate, THEN ours waits in the stage's own set and the output says how to
receive; WITH --activate our rule joins the active set after its rules, which stay;
`--delete` removes our rule only. A second stage activated beside the first keeps the
first's rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from inbound.cli import main
from inbound.local import moto_fidelity

REGION = "eu-west-1"
ARGS = ["provision", "--stage", "test", "--domain", "example.com", "--region", REGION]
THEIRS = {"Name": "their-forwarding", "Enabled": True, "Recipients": ["ops.example.org"], "Actions": []}


@pytest.fixture
def ses() -> Iterator[Any]:
    moto_fidelity.install()  # DeleteReceiptRule, which moto lacks
    with mock_aws():
        client = boto3.client("ses", region_name=REGION)
        client.create_receipt_rule_set(RuleSetName="someone-else")
        client.create_receipt_rule(RuleSetName="someone-else", Rule=THEIRS)
        client.set_active_receipt_rule_set(RuleSetName="someone-else")
        yield client


def active(ses: Any) -> tuple[str | None, list[str]]:
    described = ses.describe_active_receipt_rule_set()
    return (described.get("Metadata") or {}).get("Name"), [r["Name"] for r in described.get("Rules") or []]


def test_without_activate_the_rule_waits_in_the_stages_set_and_the_output_says_how_to_receive(ses, capsys):
    assert main(ARGS) == 0

    out = capsys.readouterr().out
    assert active(ses) == ("someone-else", ["their-forwarding"])
    assert [r["Name"] for r in ses.describe_receipt_rule_set(RuleSetName="inbound-test")["Rules"]] == [
        "inbound-test-receive"
    ]
    assert "is not in the active rule set someone-else: SES receives no mail for this stage" in out
    assert f"inbound provision --stage test --domain example.com --region {REGION} --activate" in out


def test_activate_adds_the_rule_after_the_active_sets_rules_and_a_second_run_changes_nothing(ses, capsys):
    assert main([*ARGS, "--activate"]) == 0
    first = capsys.readouterr().out

    assert active(ses) == ("someone-else", ["their-forwarding", "inbound-test-receive"])
    assert "someone-else/inbound-test-receive" in first and "is not in the active rule set" not in first

    assert main([*ARGS, "--activate"]) == 0
    assert active(ses) == ("someone-else", ["their-forwarding", "inbound-test-receive"])
    assert main(ARGS) == 0  # without --activate: the rule stays where it receives
    second = capsys.readouterr().out
    assert active(ses) == ("someone-else", ["their-forwarding", "inbound-test-receive"])
    assert "created" not in second and "is not in the active rule set" not in second


def test_delete_removes_only_the_stages_rule_from_the_active_set(ses, capsys):
    assert main([*ARGS, "--activate"]) == 0
    capsys.readouterr()

    assert main(["provision", "--stage", "test", "--region", REGION, "--delete"]) == 0

    out = capsys.readouterr().out  # what went, line by line, as teardown prints it
    assert "someone-else/inbound-test-receive" in out and " deleted" in out
    assert out.rstrip().endswith("stage test torn down; bucket and tables kept")

    assert active(ses) == ("someone-else", ["their-forwarding"])
    assert "inbound-test" not in [s["Name"] for s in ses.list_receipt_rule_sets()["RuleSets"]]


def test_a_second_stage_activated_beside_the_first_keeps_the_firsts_rule():
    moto_fidelity.install()
    with mock_aws():
        ses = boto3.client("ses", region_name=REGION)
        dev = ["provision", "--stage", "dev", "--domain", "example.com", "--region", REGION, "--activate"]
        prod = ["provision", "--stage", "prod", "--domain", "example.org", "--region", REGION, "--activate"]
        assert main(dev) == 0
        assert active(ses) == ("inbound-dev", ["inbound-dev-receive"])  # none was active: dev's set

        assert main(prod) == 0
        assert active(ses) == ("inbound-dev", ["inbound-dev-receive", "inbound-prod-receive"])

        # dev goes away: its set stays active for prod's rule, without dev's.
        assert main(["provision", "--stage", "dev", "--region", REGION, "--delete"]) == 0
        assert active(ses) == ("inbound-dev", ["inbound-prod-receive"])
        assert main(["provision", "--stage", "prod", "--region", REGION, "--delete"]) == 0
        assert active(ses) == ("inbound-dev", [])  # prod leaves dev's set alone


def test_tls_is_optional_by_default_and_required_on_request(ses):
    """Most mail still may arrive without STARTTLS: requiring it is the operator's choice."""

    def tls() -> str:
        return ses.describe_receipt_rule(RuleSetName="inbound-test", RuleName="inbound-test-receive")["Rule"][
            "TlsPolicy"
        ]

    assert main(ARGS) == 0 and tls() == "Optional"
    assert main([*ARGS, "--tls", "require"]) == 0 and tls() == "Require"


def test_an_operators_rule_that_stops_ahead_of_ours_is_refused_in_one_line(ses, capsys):
    """GIVEN the active set ends with a catch-all rule that stops evaluation (SES runs rules in
    order; Stop ends the set for the recipients it matched), WHEN provision --activate would add
    the stage's rule after it, THEN it refuses in one line naming that rule, and adds nothing;
    once the rule no longer takes the stage's domain, the same command receives."""
    catch_all = {"Name": "catch-all", "Enabled": True, "Actions": [{"StopAction": {"Scope": "RuleSet"}}]}
    ses.create_receipt_rule(RuleSetName="someone-else", Rule=catch_all, After="their-forwarding")

    assert main([*ARGS, "--activate"]) == 1

    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err]
    assert "rule catch-all of the active rule set someone-else stops" in err and "example.com" in err
    assert active(ses) == ("someone-else", ["their-forwarding", "catch-all"])

    ses.update_receipt_rule(RuleSetName="someone-else", Rule={**catch_all, "Recipients": [".example.com"]})
    assert main([*ARGS, "--activate"]) == 0  # subdomains only: example.com's own mail reaches ours
    assert active(ses) == ("someone-else", ["their-forwarding", "catch-all", "inbound-test-receive"])
