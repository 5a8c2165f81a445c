"""`inbound verify` against `inbound up`: every step passes on a working stack, and each
step broken on purpose fails with its own line and fix (the others keep passing).

The local stack stands in for the account: its emulated SES sends, delivers mail for its
domain to its SMTP listener (as the MX would) and runs the mailbox simulator; its DNS is
the zone file it wrote (`dns-zone.json`), so no query leaves the machine. Each broken
step is repaired before the next test.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse

from chalicelib.wiring import build_services
from inbound.cli import main
from inbound.cli.target import LOCAL_CREDENTIALS, resolve
from inbound.stage.dns_check import ZONE_FILE, ZoneFile
from inbound.stage.verify import Step, Verifier
from tests.support.local_up import LocalStackRun

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0  # each round trip; the local stack takes a second or two
# A step broken on purpose waits out its whole timeout before it fails: 8 s, still four
# times what the round trip takes when nothing is broken (the first test, with TIMEOUT).
BROKEN_TIMEOUT = 8.0


def verifier(local_stack: LocalStackRun, session: Any = None, timeout: float = TIMEOUT) -> Verifier:
    target = resolve(argparse.Namespace(data_dir=str(local_stack.data_dir), stage=None, endpoint_url=None))
    zone = ZoneFile(Path(local_stack.data_dir) / ZONE_FILE)
    return Verifier(target, session or target.session(), zone, timeout=timeout, poll=0.5)


def by_step(steps: list[Step]) -> dict[str, Step]:
    return {s.step: s for s in steps}


def test_every_step_passes_against_inbound_up_and_json_says_so(local_stack, capsys):
    code = main(["verify", "--data-dir", str(local_stack.data_dir), "--json", "--timeout", str(TIMEOUT)])
    result = json.loads(capsys.readouterr().out)
    assert [(s["step"], s["ok"]) for s in result["steps"]] == [
        ("sending", True),
        ("dns", True),
        ("receiving", True),
        ("links", True),
        ("mail", True),
        ("bounce", True),
    ], result
    assert (code, result["ok"], result["stage"]) == (0, True, "local")
    mail = by_step([Step(**s) for s in result["steps"]])["mail"]
    assert "-> ticket T-" in mail.detail and "(closed)" in mail.detail

    # The text form: one line per step.
    assert main(["verify", "--data-dir", str(local_stack.data_dir), "--timeout", str(TIMEOUT)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == [
        "PASS sending",
        "PASS dns",
        "PASS receiving",
        "PASS links",
        "PASS mail",
        "PASS bounce",
    ]


def paused_account(core: Any) -> None:
    """SES answers GetAccount for an account whose sending it paused (a botocore hook)."""

    def answer(model: Any, **_: Any) -> Any:
        if model.name == "GetAccount":
            account = {
                "SendingEnabled": False,
                "EnforcementStatus": "SHUTDOWN",
                "ProductionAccessEnabled": True,
            }
            return AWSResponse("", 200, {}, None), account
        return None

    core.register("before-call.sesv2", answer)


def test_paused_sending_fails_the_sending_step_with_the_fix(local_stack):
    core = botocore.session.get_session()
    paused_account(core)
    session = boto3.session.Session(botocore_session=core, region_name="us-east-1", **LOCAL_CREDENTIALS)
    step = verifier(local_stack, session).sending()
    assert not step.ok and "sending disabled (enforcement SHUTDOWN)" in step.detail
    assert "put-account-sending-attributes" in step.fix


@pytest.fixture
def zone(local_stack) -> Iterator[Path]:
    path = Path(local_stack.data_dir) / ZONE_FILE
    kept = path.read_text()
    yield path
    path.write_text(kept)


def test_a_missing_mx_record_fails_the_dns_step_naming_the_record_to_publish(local_stack, zone):
    records = json.loads(zone.read_text())
    zone.write_text(
        json.dumps([r for r in records if not (r["type"] == "MX" and r["name"] == "example.com")])
    )
    step = verifier(local_stack).dns()
    assert not step.ok and step.detail.endswith("MX example.com")
    assert "example.com MX 10 inbound-smtp.us-east-1.amazonaws.com" in step.fix


@pytest.fixture
def ses(local_stack) -> Any:
    return local_stack.current.client("ses")


def test_no_active_rule_fails_the_receiving_step_and_the_mail_step(local_stack, ses):
    active = ses.describe_active_receipt_rule_set()["Metadata"]["Name"]
    ses.set_active_receipt_rule_set()  # nothing active: SES receives nothing
    try:
        check = verifier(local_stack, timeout=BROKEN_TIMEOUT)
        receiving = check.receiving()
        assert not receiving.ok and "no receipt rule set is active" in receiving.detail
        assert receiving.fix.endswith("--activate")
        mail = check.mail()
        assert not mail.ok and "no ticket for the test mail to support@example.com" in mail.detail
        assert "MX record" in mail.fix
    finally:
        ses.set_active_receipt_rule_set(RuleSetName=active)


def test_a_rule_that_stops_ahead_of_ours_fails_the_receiving_step_naming_it(local_stack, ses):
    """SES runs the active set's rules in order, and a Stop action ends the set for the
    recipients its rule matched: our rule, after it, never runs."""
    name = ses.describe_active_receipt_rule_set()["Metadata"]["Name"]
    stop = {"Name": "ops-catch-all", "Enabled": True, "Actions": [{"StopAction": {"Scope": "RuleSet"}}]}
    ses.create_receipt_rule(RuleSetName=name, Rule=stop)  # no After: SES puts it first
    try:
        step = verifier(local_stack).receiving()
        assert not step.ok and step.detail.startswith("ops-catch-all, ahead of inbound-")
        assert "support@example.com" in step.detail and "order it after" in step.fix
    finally:
        ses.delete_receipt_rule(RuleSetName=name, RuleName="ops-catch-all")
    assert verifier(local_stack).receiving().ok


def _unsubscribe(local_stack: LocalStackRun, topic_role: str) -> tuple[Any, str, str]:
    sns = local_stack.current.client("sns")
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f"-{topic_role}")
    )
    (sub,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    return sns, topic, sub["Endpoint"]


def _resubscribe(sns: Any, topic: str, queue_arn: str) -> None:
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )


def test_received_mail_that_never_reaches_ingest_fails_only_the_mail_step(local_stack):
    sns, topic, queue = _unsubscribe(local_stack, "received")  # SES stores it; nobody is told
    try:
        check = verifier(local_stack, timeout=BROKEN_TIMEOUT)
        assert check.receiving().ok
        step = check.mail()
        assert not step.ok and "ingest queue" in step.fix
    finally:
        _resubscribe(sns, topic, queue)


def test_feedback_that_never_reaches_record_feedback_fails_the_bounce_step(local_stack):
    sns, topic, queue = _unsubscribe(local_stack, "feedback")
    try:
        step = verifier(local_stack, timeout=BROKEN_TIMEOUT).bounce()
        assert not step.ok and "is not on the suppression list" in step.detail
        assert "event destination" in step.fix and "record_feedback" in step.fix
    finally:
        _resubscribe(sns, topic, queue)


def test_a_refused_aws_call_fails_its_step_and_the_run_goes_on(local_stack):
    """Credentials without ses:DescribeActiveReceiptRuleSet: that step fails saying so, the
    others still run (a botocore hook answers AccessDenied)."""
    from botocore.exceptions import ClientError

    def refuse(model: Any, **_: Any) -> None:
        if model.name == "DescribeActiveReceiptRuleSet":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, model.name)

    core = botocore.session.get_session()
    core.register("before-call.ses", refuse)
    session = boto3.session.Session(botocore_session=core, region_name="us-east-1", **LOCAL_CREDENTIALS)
    steps = by_step(verifier(local_stack, session).run(only=("sending", "dns", "receiving")))
    assert list(steps) == ["sending", "dns", "receiving"] and not steps["receiving"].ok
    assert steps["receiving"].detail == "AWS refused DescribeActiveReceiptRuleSet (AccessDenied)"
    assert steps["sending"].ok and steps["dns"].ok


def test_a_stage_that_does_not_know_its_url_fails_the_links_step_with_the_fix(local_stack):
    """As a deployed stage's functions would see it before provision wrote its URL."""
    check = verifier(local_stack)
    check.services = build_services(replace(check.settings, public_url="", deployed=True), check.session)
    [step] = check.run(only=("links",))
    assert not step.ok and "does not know its URL" in step.detail
    assert step.fix.startswith("inbound provision --stage local") and "--after-deploy" in step.fix
    [step] = verifier(local_stack).run(only=("links",))
    assert step.ok and step.detail.startswith("links in mail point at http://127.0.0.1:")
