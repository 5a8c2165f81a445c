"""The sending authorization policy `inbound authorize-sender` attaches: least privilege, and
only what SES documents (its four condition keys, the four sending actions, 4 KB)."""

from __future__ import annotations

import json

import pytest

from inbound.stage.sending_authorization import (
    POLICY_NAME,
    Grant,
    PolicyError,
    actions_of,
    described,
    from_pattern,
    policy_name,
)

ARN = "arn:aws:ses:eu-west-1:444455556666:identity/example.com"


def test_the_default_grant_is_send_raw_email_from_the_domain_only():
    grant = Grant("111122223333", ARN, from_pattern(None, "example.com"), actions_of(None))
    (statement,) = json.loads(grant.document())["Statement"]
    assert statement == {
        "Sid": "InboundDelegate111122223333",
        "Effect": "Allow",
        "Principal": {"AWS": ["111122223333"]},
        "Action": ["ses:SendRawEmail"],
        "Resource": ARN,
        "Condition": {"StringLike": {"ses:FromAddress": "*@example.com"}},
    }


def test_actions_are_named_either_way_once_each_and_only_sending_ones():
    assert actions_of(["SendRawEmail", "ses:sendemail", "ses:SendRawEmail"]) == (
        "ses:SendRawEmail",
        "ses:SendEmail",
    )
    with pytest.raises(PolicyError, match="not a sending action"):
        actions_of(["ses:PutIdentityPolicy"])


@pytest.mark.parametrize("pattern", ["billing*@example.com", "news@mail.example.com"])
def test_from_patterns_stay_inside_the_identity(pattern):
    assert from_pattern(pattern, "example.com") == pattern


@pytest.mark.parametrize("pattern", ["*@elsewhere.org", "*@*.com", "billing", "a@example.com.evil.org"])
def test_from_patterns_outside_the_identity_are_refused(pattern):
    with pytest.raises(PolicyError, match="is not an address of example.com"):
        from_pattern(pattern, "example.com")


def test_the_default_policy_name_is_one_ses_accepts():
    assert POLICY_NAME.match(policy_name("111122223333"))
    assert not POLICY_NAME.match("a" * 65) and not POLICY_NAME.match("has.dots")


def test_a_policy_reads_as_who_may_do_what_on_which_conditions():
    grant = Grant("111122223333", ARN, "billing*@example.com", ("ses:SendRawEmail",))
    assert described("p", grant.document()) == [
        "p: Allow 111122223333 ses:SendRawEmail if ses:FromAddress StringLike billing*@example.com"
    ]
