"""moto's SES as strict as SES about a receipt rule's bucket (inbound/local/moto_ses_receiving.py).

SES refuses a rule with an S3 action it may not write with (InvalidS3Configuration): GIVEN
a bucket without the policy, or with one naming another rule or account, WHEN the rule is
created or updated, THEN it is refused; with the policy provision writes (any rule set of
the account, the stage's rule), it is made, in the stage's own set and in an operator's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from inbound.local import moto_ses_receiving

REGION, ACCOUNT, BUCKET = "eu-west-1", "123456789012", "inbound-test-mail"
RULE = {
    "Name": "inbound-test-receive",
    "Enabled": True,
    "Actions": [{"S3Action": {"BucketName": BUCKET, "ObjectKeyPrefix": "incoming/"}}],
}


def policy(
    source_arn: str, account: str = ACCOUNT, resource: str = f"arn:aws:s3:::{BUCKET}/incoming/*"
) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "ses.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": resource,
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": source_arn},
        },
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def rule_arn(rule_set: str) -> str:
    return f"arn:aws:ses:{REGION}:{ACCOUNT}:receipt-rule-set/{rule_set}:receipt-rule/inbound-test-receive"


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    moto_ses_receiving.install()
    with mock_aws():
        s3, ses = boto3.client("s3", region_name=REGION), boto3.client("ses", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        for name in ("inbound-test", "operators"):
            ses.create_receipt_rule_set(RuleSetName=name)
        yield s3, ses


def refused(call: Any) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "InvalidS3Configuration"


def test_a_bucket_without_a_policy_for_ses_refuses_the_rule(aws):
    _, ses = aws
    refused(lambda: ses.create_receipt_rule(RuleSetName="inbound-test", Rule=RULE))


@pytest.mark.parametrize(
    "document",
    [
        policy(rule_arn("inbound-test")),  # names the stage's own set: the operator's is another
        policy(rule_arn("*"), account="210987654321"),  # another account
        policy(rule_arn("*"), resource=f"arn:aws:s3:::{BUCKET}/archive/*"),  # not the rule's prefix
    ],
)
def test_a_policy_that_does_not_cover_the_rule_refuses_it(aws, document):
    s3, ses = aws
    s3.put_bucket_policy(Bucket=BUCKET, Policy=document)
    refused(lambda: ses.create_receipt_rule(RuleSetName="operators", Rule=RULE))


def test_the_policy_provision_writes_admits_the_rule_in_any_set_and_an_update(aws):
    s3, ses = aws
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy(rule_arn("*")))
    ses.create_receipt_rule(RuleSetName="inbound-test", Rule=RULE)
    ses.create_receipt_rule(RuleSetName="operators", Rule=RULE)

    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy(rule_arn("inbound-test")))
    refused(lambda: ses.update_receipt_rule(RuleSetName="operators", Rule={**RULE, "TlsPolicy": "Require"}))
    ses.update_receipt_rule(RuleSetName="inbound-test", Rule={**RULE, "TlsPolicy": "Require"})
