"""Which rule of an active receipt rule set keeps SES from ever running the stage's rule.

SES runs a set's rules in order and a Stop action ends the set for the recipients its rule
matched (SES Developer Guide, "Stop action"). A rule's recipients: an address matches
itself; a domain every address of it, not its subdomains; `.domain` every subdomain,
not the domain; none at all, every recipient of every verified domain.
"""

from __future__ import annotations

from typing import Any

from inbound.stage.provision.receiving import stopped_before

OURS = {"Name": "inbound-prod-receive", "Enabled": True, "Actions": [{"S3Action": {}}]}
RECIPIENTS = ["billing@help.example.com", "help.example.com", "support@help.example.com"]
STOP = [{"StopAction": {"Scope": "RuleSet"}}]


def rule(name: str, recipients: list[str] | None = None, enabled: bool = True, actions: Any = STOP) -> dict:
    return {
        "Name": name,
        "Enabled": enabled,
        "Actions": actions,
        **({"Recipients": recipients} if recipients else {}),
    }


def test_a_catch_all_stop_ahead_of_ours_takes_everything():
    assert stopped_before([rule("all"), OURS], OURS["Name"], RECIPIENTS) == ("all", RECIPIENTS)


def test_rules_after_ours_disabled_ones_and_those_without_stop_never_take_our_mail():
    rules = [
        rule("off", enabled=False),
        rule("store-only", actions=[{"S3Action": {"BucketName": "theirs"}}]),
        OURS,
        rule("after"),
    ]
    assert stopped_before(rules, OURS["Name"], RECIPIENTS) is None


def test_a_rule_not_yet_in_the_set_is_added_last_so_every_rule_is_ahead():
    assert stopped_before([rule("all")], OURS["Name"], RECIPIENTS) == ("all", RECIPIENTS)


def test_recipients_match_as_ses_matches_them():
    def taken(entries: list[str]) -> list[str] | None:
        found = stopped_before([rule("theirs", entries), OURS], OURS["Name"], RECIPIENTS)
        return found[1] if found else None

    assert taken(["help.example.com"]) == RECIPIENTS
    assert taken(["HELP.Example.com"]) == RECIPIENTS
    assert taken([".example.com"]) == RECIPIENTS  # help.example.com is a subdomain of example.com
    assert taken([".help.example.com"]) is None  # only its subdomains
    assert taken(["example.com"]) is None  # not its subdomains
    assert taken(["support@help.example.com"]) == ["help.example.com", "support@help.example.com"]
    assert taken(["ops@other.example.org", "other.example.org"]) is None
