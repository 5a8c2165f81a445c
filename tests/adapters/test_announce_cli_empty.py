"""`inbound announce create` whose filter finds nobody: one line saying what to do."""

from __future__ import annotations

import boto3

from inbound.cli import main
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail


def _knows_its_url() -> None:
    """The parameter `provision --after-deploy` writes: unsubscribe links point there."""
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(
        Name="/inbound/test/public-url", Value="https://support.example.com", Type="String", Overwrite=True
    )


def test_an_empty_audience_says_how_to_widen_it(stack, capsys):
    _knows_its_url()
    create = ["announce", "create", "--subject", "Outage", "--text", "We are on it.", "--stage", "test"]
    assert main([*create, "--tag", "no-ticket-has-this-tag"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "is empty: widen the filter (--status, --tag, --tickets-mailbox, dates) or pass --list FILE" in err


def test_an_audience_emptied_by_the_trust_policy_names_the_flag(stack, capsys):
    _knows_its_url()
    unproven = make_mail(subject="Unauthenticated asker", sender="unproven@customer.org")
    assert deliver(stack, unproven, dmarc="GRAY", spf="GRAY", dkim="GRAY").outcome == "created"
    capsys.readouterr()  # ingest's own log line, when an earlier test left its logger writing to stderr
    assert main(["announce", "create", "--subject", "Outage", "--text", "Hi", "--stage", "test"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "1 unauthenticated requester was left out: --include-unauthenticated includes them" in err
