"""Teardown's one step: delete a resource, find it already gone, or keep it; report which.

Every resource is read before it is deleted, so that a dry run (provision/dry_run.py),
whose writes never reach AWS, still tells what would go from what is not there. AWS says
"not there" with an error code of its own per service; the codes below are the ones
botocore's service models (botocore/data/<service>/*/service-2.json) list for the reads
and deletes teardown makes, and tests/unit/test_deleting.py holds them to those models.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from inbound.stage.provision.report import ABSENT, DELETED, KEPT, ProvisionReport

T = TypeVar("T")

# SES v1 (query protocol): DescribeConfigurationSet, DeleteConfigurationSet.
SES_CONFIGURATION_SET_GONE = frozenset({"ConfigurationSetDoesNotExist"})
# SES v1: DescribeReceiptRuleSet (DeleteReceiptRuleSet of a missing set succeeds).
SES_RULE_SET_GONE = frozenset({"RuleSetDoesNotExist"})
# SES v2: every Get* and Delete*.
SESV2_GONE = frozenset({"NotFoundException"})
# SNS: GetTopicAttributes, DeleteTopic (NotFoundException, whose code is NotFound).
SNS_GONE = frozenset({"NotFound"})
# SQS speaks JSON but answers with its query-protocol code (the model's awsQueryCompatible
# trait: botocore takes the code from the x-amzn-query-error header); the JSON shape's
# name is what an endpoint without that header (moto) answers.
SQS_GONE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
# S3 HeadBucket: a HEAD response has no body, so botocore names the error by its status.
S3_GONE = frozenset({"404", "NoSuchBucket", "NotFound"})
# DynamoDB DescribeTable/DeleteTable, Firehose, Cognito: one name for every service.
RESOURCE_GONE = frozenset({"ResourceNotFoundException"})
# SSM GetParameter, DeleteParameter.
SSM_GONE = frozenset({"ParameterNotFound"})
# IAM GetRole, DeleteRole, DeleteRolePolicy (NoSuchEntityException, code NoSuchEntity).
IAM_GONE = frozenset({"NoSuchEntity"})


def delete_resource(
    report: ProvisionReport,
    resource: str,
    name: str,
    *,
    read: Callable[[], T | None],
    delete: Callable[[T], object],
    gone: Collection[str],
    keep: str = "",
) -> None:
    """Delete one resource and add its entry to `report`.

    `read` finds the resource (None, or an error with a code in `gone`: "absent"). Found,
    it is "kept" when `keep` gives a reason; else `delete` takes what `read` found and the
    entry is "deleted", its detail what `delete` returned if that is text (what went with
    it), never an AWS response. A `gone` code from `delete` means it went between the two
    calls: "absent" too. Any other error propagates, as the one line the CLI makes of it.
    """
    try:
        found = read()
        if found is None:
            report.add(resource, name, ABSENT)
        elif keep:
            report.add(resource, name, KEPT, keep)
        else:
            said = delete(found)
            report.add(resource, name, DELETED, said if isinstance(said, str) else "")
    except ClientError as exc:
        if error_code(exc) not in gone:
            raise
        report.add(resource, name, ABSENT)
