"""Teardown's one step (inbound/stage/provision/deleting.py): each outcome, and the codes
that mean "already gone" as botocore's service models name them.

GIVEN an account held in a dict (read looks a resource up, delete takes it out), WHEN the
step runs, THEN the report says deleted, absent or kept, and the account says the same;
an error AWS answers with any other code reaches the operator as the CLI's one line.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from inbound.cli.failures import explain
from inbound.stage.provision.deleting import (
    IAM_GONE,
    RESOURCE_GONE,
    S3_GONE,
    SES_CONFIGURATION_SET_GONE,
    SES_RULE_SET_GONE,
    SESV2_GONE,
    SNS_GONE,
    SQS_GONE,
    SSM_GONE,
    delete_resource,
)
from inbound.stage.provision.report import ProvisionReport, ReportEntry

NAME = "inbound-test-feedback"


def refusal(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "as AWS says it"}}, operation)


class Account:
    """Topics by name; `refuse` makes the next read or delete fail with that error."""

    def __init__(self, *names: str) -> None:
        self.topics = {name: {"Name": name} for name in names}
        self.refuse: dict[str, ClientError] = {}

    def read(self, name: str) -> dict[str, str] | None:
        if "read" in self.refuse:
            raise self.refuse.pop("read")
        return self.topics.get(name)

    def delete(self, found: dict[str, str]) -> dict[str, Any]:
        if "delete" in self.refuse:
            raise self.refuse.pop("delete")
        del self.topics[found["Name"]]
        return {"ResponseMetadata": {"HTTPStatusCode": 200}}  # what boto3 hands back


def step(account: Account, keep: str = "", delete: Any = None) -> list[ReportEntry]:
    report = ProvisionReport("test", "eu-west-1", "123456789012")
    delete_resource(
        report,
        "sns-topic",
        NAME,
        read=lambda: account.read(NAME),
        delete=delete or account.delete,
        gone=SNS_GONE,
        keep=keep,
    )
    return report.entries


def test_a_resource_found_is_deleted_and_an_aws_response_is_no_detail():
    account = Account(NAME, "inbound-test-events")
    assert step(account) == [ReportEntry("sns-topic", NAME, "deleted", "")]
    assert list(account.topics) == ["inbound-test-events"]


def test_the_text_a_delete_returns_is_the_entrys_detail():
    account = Account(NAME)
    entries = step(account, delete=lambda found: account.delete(found) and "3 messages on it")
    assert entries == [ReportEntry("sns-topic", NAME, "deleted", "3 messages on it")]


def test_not_found_by_the_read_is_already_gone():
    assert step(Account()) == [ReportEntry("sns-topic", NAME, "absent")]


@pytest.mark.parametrize("call", ["read", "delete"])
def test_a_not_found_code_from_either_call_is_already_gone(call):
    account = Account(NAME)
    account.refuse[call] = refusal("NotFound", "GetTopicAttributes")
    assert step(account) == [ReportEntry("sns-topic", NAME, "absent")]


def test_a_kept_resource_stays_with_its_reason():
    account = Account(NAME)
    entries = step(account, keep="the mail (--delete-data deletes it)")
    assert entries == [ReportEntry("sns-topic", NAME, "kept", "the mail (--delete-data deletes it)")]
    assert list(account.topics) == [NAME]


@pytest.mark.parametrize("call", ["read", "delete"])
def test_any_other_code_propagates_as_the_clis_one_line(call):
    account = Account(NAME)
    account.refuse[call] = refusal("AccessDenied", "DeleteTopic")
    with pytest.raises(ClientError) as raised:
        step(account)
    line = explain(raised.value, "teardown")
    assert line == (
        "DeleteTopic refused (AccessDenied: as AWS says it) — your AWS identity may not do this: "
        "use one that may (see DEPLOY.md for the policies)"
    )
    assert list(account.topics) == [NAME]


# Each set of codes, the calls teardown makes that answer them, and the codes a model does
# not list with a reason: SQS keeps its query-protocol code (awsQueryCompatible: botocore
# reads it from a response header), a HEAD response has no body (botocore names the error
# by its status) and an older S3 answer.
GONE_CODES = [
    (SES_CONFIGURATION_SET_GONE, "ses", ["DescribeConfigurationSet", "DeleteConfigurationSet"]),
    (SES_RULE_SET_GONE, "ses", ["DescribeReceiptRuleSet"]),
    (SESV2_GONE, "sesv2", ["GetConfigurationSet", "GetDedicatedIpPool", "DeleteDedicatedIpPool"]),
    (SNS_GONE, "sns", ["GetTopicAttributes", "DeleteTopic"]),
    (SQS_GONE, "sqs", ["GetQueueUrl", "GetQueueAttributes", "DeleteQueue"]),
    (S3_GONE, "s3", ["HeadBucket"]),
    (RESOURCE_GONE, "dynamodb", ["DescribeTable", "DeleteTable"]),
    (RESOURCE_GONE, "firehose", ["DescribeDeliveryStream", "DeleteDeliveryStream"]),
    (RESOURCE_GONE, "cognito-idp", ["DeleteUserPool"]),
    (SSM_GONE, "ssm", ["GetParameter", "DeleteParameter"]),
    (IAM_GONE, "iam", ["GetRole", "DeleteRole", "DeleteRolePolicy"]),
]
UNMODELLED = {
    "sqs": {"AWS.SimpleQueueService.NonExistentQueue"},
    "s3": {"404", "NotFound"},
}


@pytest.mark.parametrize(("codes", "service", "operations"), GONE_CODES, ids=[g[1] for g in GONE_CODES])
def test_the_gone_codes_are_the_ones_botocores_models_name(codes, service, operations):
    model = botocore.session.get_session().get_service_model(service)
    for operation in operations:
        modelled = {shape.error_code for shape in model.operation_model(operation).error_shapes}
        assert codes & modelled, f"{service} {operation} names none of {sorted(codes)}: {sorted(modelled)}"
        assert codes - modelled <= UNMODELLED.get(service, set()), f"{service} {operation}"
    if service == "sqs":
        assert "awsQueryCompatible" in model.metadata
    if service == "s3":
        assert model.operation_model("HeadBucket").http["method"] == "HEAD"
