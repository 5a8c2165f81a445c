"""What the merged template changes in the function resources `chalice package` generates.

Chalice merges dictionaries key by key, so only the keys named here change: both SQS
event sources get `FunctionResponseTypes: [ReportBatchItemFailures]`, and their functions the switch
`INBOUND_PARTIAL_BATCH_RESPONSES=true` that makes the app answer with the failed records
only (see chalicelib/services/queue_batch.py); every function gets the names of the
stack's resources in its environment, as `inbound provision --write-config` would write
them, and the name `chalice deploy` gives it (its role's policy names its log group);
each function's role gets its policy from `inbound.stage.iam_policies` for the stack's account
and Region (in place of the `.chalice/policy-*.json` file Chalice copied in, which
`inbound provision --write-config` writes for one account).

The logical ids are Chalice's own (1.34), so these keys land on its resources; the
resources they refer to (`MailBucket`, `IngestQueue`, ...) are `cfn_template`'s.
"""

from __future__ import annotations

from typing import Any

from chalice.utils import to_cfn_resource_name

from inbound.stage.cfn_refs import ref
from inbound.stage.documents import ANNOUNCE_ROLE, OUTBOX_ROLE
from inbound.stage.iam_policies import policy_documents
from inbound.stage.provision.context import Names

# The Lambda functions app.py declares (Chalice names their resources after them), and the
# two that read a queue, with the queue role each reads.
FUNCTIONS = ("ingest", "record_feedback", "sweep_incoming", "api_handler", "send_announcement", "send_reply")
SQS_FUNCTIONS = {"ingest": "ingest", "record_feedback": "feedback"}
# send_announcement reads one message per invocation (no partial batch responses needed).
ANNOUNCE_FUNCTION = "send_announcement"
REPLY_FUNCTION = "send_reply"  # one held reply per invocation, likewise


def function_logical_id(function: str) -> str:
    """The logical id `chalice package` gives a function: `record_feedback` -> `RecordFeedback`."""
    return "APIHandler" if function == "api_handler" else to_cfn_resource_name(function)


def function_name(names: Names, function: str) -> str:
    """The name `chalice deploy` gives a function (the API handler's is app and stage only).
    The stack names its functions the same: each role's policy (.chalice/policy-<stage>-
    <function>.json) grants the logs of `/aws/lambda/<that name>` only."""
    return names.prefix if function == "api_handler" else f"{names.prefix}-{function}"


def sqs_event_logical_id(function: str) -> str:
    """Chalice 1.34 names a function's SQS event source `<function>-sqs-event-source`."""
    return to_cfn_resource_name(f"{function}-sqs-event-source")


def function_environment(names: Names) -> dict[str, Any]:
    """What the functions read to find the stack's resources (see chalicelib/settings.py)."""
    return {
        "INBOUND_MAIL_BUCKET": names.bucket,  # not a Ref: the bucket's CORS rule names the API
        "INBOUND_TICKETS_TABLE": ref("TicketsTable"),
        "INBOUND_SUPPRESSION_TABLE": ref("SuppressionTable"),
        "INBOUND_CONFIGURATION_SET": ref("ConfigurationSet"),
        "INBOUND_EVENTS_TOPIC_ARN": ref("EventsTopic"),
        "INBOUND_USER_POOL_ID": ref("StaffUserPool"),
        "INBOUND_USER_POOL_CLIENT_ID": ref("StaffUserPoolClient"),
        "INBOUND_INGEST_QUEUE": names.queue("ingest"),
        "INBOUND_FEEDBACK_QUEUE": names.queue("feedback"),
        "INBOUND_ANNOUNCE_QUEUE": names.queue(ANNOUNCE_ROLE),
        "INBOUND_OUTBOX_QUEUE": names.queue(OUTBOX_ROLE),
        "INBOUND_ANNOUNCEMENT_CONFIGURATION_SET": ref("AnnouncementConfigurationSet"),
        "INBOUND_REPLY_SECRET_PARAMETER": names.reply_secret_parameter,
    }


def function_resources(names: Names) -> dict[str, Any]:
    """The keys merged into Chalice's AWS::Serverless::Function resources."""
    resources: dict[str, Any] = {}
    for function in FUNCTIONS:
        variables = function_environment(names)
        properties: dict[str, Any] = {
            "FunctionName": function_name(names, function),
            "Environment": {"Variables": variables},
        }
        resource: dict[str, Any] = {"Properties": properties}
        role = SQS_FUNCTIONS.get(function)
        if role:
            variables["INBOUND_PARTIAL_BATCH_RESPONSES"] = "true"
            event = {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}
            properties["Events"] = {sqs_event_logical_id(function): event}
            # Chalice points the event source at the queue by name, not by reference:
            # without this the mapping could be created before its queue.
            resource["DependsOn"] = [f"{to_cfn_resource_name(role)}Queue"]
        elif function == ANNOUNCE_FUNCTION:
            resource["DependsOn"] = ["AnnounceQueue"]
        elif function == REPLY_FUNCTION:
            resource["DependsOn"] = ["OutboxQueue"]
        resources[function_logical_id(function)] = resource
        # With log_retention_in_days Chalice adds `<Function>LogGroup` named by
        # `${<Function>}`, but for the API handler it writes `${ApiHandler}` while the
        # function is `APIHandler`: name each group by the function's fixed name instead.
        log_group = f"{to_cfn_resource_name(function)}LogGroup"
        resources[log_group] = {
            "Properties": {"LogGroupName": f"/aws/lambda/{function_name(names, function)}"}
        }
    return resources


def role_logical_id(function: str) -> str:
    """Chalice names a function's role resource `<function>_role`: `IngestRole`."""
    return to_cfn_resource_name(f"{function}_role")


def role_resources(names: Names, mailboxes: list[str]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for function, document in policy_documents(names, mailboxes).items():
        role = role_logical_id(function)
        policy = {"PolicyName": f"{role}Policy", "PolicyDocument": document}
        resources[role] = {"Properties": {"Policies": [policy]}}
    return resources
