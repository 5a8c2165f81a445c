"""SES feedback against moto: its DynamoDB requests, the `inbound suppression` CLI on a stage,
settings. The behaviour on in-memory fakes: tests/services/test_feedback.py."""

from __future__ import annotations

import json
from dataclasses import replace

import boto3
import pytest

from chalicelib.wiring import build_services
from inbound.cli import main
from tests.support.ses_feedback import bounce_note, send_note


@pytest.fixture
def wired(stack):
    """The stack's services on a fresh session whose DynamoDB requests are counted."""
    session = boto3.session.Session(region_name="us-east-1")
    calls: list[str] = []
    session.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return build_services(stack.settings, session), calls


def test_one_event_costs_one_dynamodb_request(wired):
    svc, calls = wired
    svc.feedback.record(bounce_note("a@customer.org"))
    assert calls == ["TransactWriteItems"]
    calls.clear()
    svc.feedback.record(send_note("m-1", "a@customer.org", "b@customer.org", "c@customer.org"))
    assert calls == ["TransactWriteItems"], "one notification's recipients share a transaction"


def test_the_cli_checks_imports_removes_and_reports(stack, tmp_path, capsys):
    """`inbound suppression ... --stage test` on the provisioned tables (moto stands in for AWS)."""
    listing = tmp_path / "list.csv"
    listing.write_text("jane@customer.org,bounce\n")
    assert main(["suppression", "import", str(listing), "--by", "ops", "--stage", "test"]) == 0
    capsys.readouterr()
    assert main(["suppression", "check", "jane@customer.org", "--json", "--stage", "test"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "address": "jane@customer.org",
        "suppressed": True,
        "reason": "BOUNCE",
    }
    assert (
        main(
            ["suppression", "remove", "jane@customer.org", "--by", "ops", "--why", "test", "--stage", "test"]
        )
        == 0
    )
    assert main(["suppression", "check", "jane@customer.org", "--json", "--stage", "test"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["suppressed"] is False
    assert main(["reputation", "--json", "--stage", "test"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["guard"]["state"] == "ok" and len(report["days"]) == 30


def test_settings_replace_keeps_thresholds_configurable(stack):
    svc = build_services(
        replace(stack.settings, soft_bounce_limit=1), boto3.session.Session(region_name="us-east-1")
    )
    svc.feedback.record(bounce_note("x@customer.org", bounce_type="Transient", subtype="MailboxFull"))
    assert svc.suppression.check("x@customer.org")["reason"] == "SOFT_BOUNCE"
