"""The CloudFormation side of a stage: what `chalice package --merge-template` merges in.

`merge_template` describes every resource `inbound provision` creates, built from the same
`Names` and the same documents (`documents`: bucket, table, topic and queue settings and
policies, the receipt rule, the pool settings; `alarms.alarm_specs`; `iam_policies`), so the
stack and provision cannot drift apart. Names that
carry the account, Region or partition are made with CloudFormation's pseudo parameters
(`template_names`) and end up in `Fn::Sub`, so one template serves any account.

The SES resources (receipt rule, configuration sets, their event destinations, Firehose) are
in `cfn_ses`, the staff user pool in `cfn_staff_pool`; what the template changes in the function resources Chalice generates is in
`cfn_functions`.

Left out, on purpose:

- The reply-token secret: CloudFormation cannot create SSM SecureString parameters.
  `inbound provision` creates it (never overwriting it); the functions find it by name.
- Activating the receipt rule set: CloudFormation cannot; `inbound provision --activate`.
- The SES domain identity (DKIM, MAIL FROM): it belongs to the account and Region and is
  shared by every stage on the domain, so no stage's stack may own it; `inbound provision`
  creates it and prints the DNS records.
  Its feedback settings go with it: email forwarding off, through the
  `inbound-<stage>-identity-feedback` topic that SES requires for that.

Data stays when the stack goes (DeletionPolicy Retain on the bucket, the tables and the
user pool), as with `inbound provision --delete`.
"""

from __future__ import annotations

from typing import Any

from chalice.utils import to_cfn_resource_name

from inbound.stage import cfn_ses, gateway_responses
from inbound.stage.alarms import alarm_specs
from inbound.stage.cfn_functions import function_resources, role_resources
from inbound.stage.cfn_refs import DELETE, RETAIN, arn, ref, substitute
from inbound.stage.cfn_staff_pool import staff_pool_resources
from inbound.stage.documents import (
    ANNOUNCE_ROLE,
    ENCRYPTION,
    FOURTEEN_DAYS,
    LIFECYCLE_RULES,
    MAX_RECEIVE_COUNT,
    OUTBOX_ROLE,
    PIPES,
    PUBLIC_ACCESS_BLOCK,
    REPLY_FUNCTION_TIMEOUT,
    SEND_FUNCTION_TIMEOUT,
    TTL_ATTRIBUTE,
    bucket_policy,
    console_origin,
    queue_policy,
    table_definition,
    tables,
    topic_policy,
    upload_cors,
    visibility_timeout,
)
from inbound.stage.provision.context import Names

REST_API = "RestAPI"  # the logical id `chalice package` gives the staff API


def template_names(stage: str, domain: str) -> Names:
    """`Names` whose account, Region and partition are CloudFormation pseudo parameters."""
    return Names(stage, domain.lower(), "${AWS::Region}", "${AWS::AccountId}", "${AWS::Partition}")


def _storage(names: Names) -> dict[str, Any]:
    lifecycle = []
    for rule in LIFECYCLE_RULES:
        cfn_rule: dict[str, Any] = {"Id": rule["ID"], "Status": rule["Status"]}
        if rule["Filter"].get("Prefix"):
            cfn_rule["Prefix"] = rule["Filter"]["Prefix"]
        if "Transitions" in rule:
            cfn_rule["Transitions"] = [
                {"TransitionInDays": t["Days"], "StorageClass": t["StorageClass"]}
                for t in rule["Transitions"]
            ]
        if "Expiration" in rule:
            cfn_rule["ExpirationInDays"] = rule["Expiration"]["Days"]
        if "AbortIncompleteMultipartUpload" in rule:
            cfn_rule["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        lifecycle.append(cfn_rule)
    encryption = [
        {
            "ServerSideEncryptionByDefault": r["ApplyServerSideEncryptionByDefault"],
            "BucketKeyEnabled": r["BucketKeyEnabled"],
        }
        for r in ENCRYPTION["Rules"]
    ]
    # The console's origin is the stage's API, a resource of this very stack: CloudFormation
    # resolves `${RestAPI}` in an Fn::Sub, which orders the bucket after the API. So no
    # function may Ref the bucket (the API refers to its function: a cycle); they get its name.
    origin = console_origin(f"${{{REST_API}}}", "${AWS::Region}", "${AWS::URLSuffix}")
    cors = [
        {
            "Id": r["ID"],
            "AllowedOrigins": r["AllowedOrigins"],
            "AllowedMethods": r["AllowedMethods"],
            "AllowedHeaders": r["AllowedHeaders"],
            "MaxAge": r["MaxAgeSeconds"],
        }
        for r in upload_cors(origin)["CORSRules"]
    ]
    resources: dict[str, Any] = {
        "MailBucket": {
            "Type": "AWS::S3::Bucket",
            **RETAIN,
            "Properties": {
                "BucketName": names.bucket,
                "PublicAccessBlockConfiguration": dict(PUBLIC_ACCESS_BLOCK),
                "BucketEncryption": {"ServerSideEncryptionConfiguration": encryption},
                "LifecycleConfiguration": {"Rules": lifecycle},
                "CorsConfiguration": {"CorsRules": cors},
            },
        },
        "MailBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": ref("MailBucket"), "PolicyDocument": bucket_policy(names)},
        },
    }
    logical_ids = {names.tickets_table: "TicketsTable", names.suppression_table: "SuppressionTable"}
    for table, indexes in tables(names).items():
        properties: dict[str, Any] = {
            **table_definition(table, indexes),
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
        }
        resources[logical_ids[table]] = {"Type": "AWS::DynamoDB::Table", **RETAIN, "Properties": properties}
    return resources


def _worker_queue(names: Names, role: str, timeout: int) -> dict[str, Any]:
    """A function's queue and its dead-letter queue (provision's messaging.ensure_worker_queue)."""
    queue, dlq = f"{to_cfn_resource_name(role)}Queue", f"{to_cfn_resource_name(role)}DeadLetterQueue"
    return {
        dlq: {
            "Type": "AWS::SQS::Queue",
            **DELETE,
            "Properties": {
                "QueueName": names.queue(f"{role}-dlq"),
                "MessageRetentionPeriod": FOURTEEN_DAYS,
                "SqsManagedSseEnabled": True,
            },
        },
        queue: {
            "Type": "AWS::SQS::Queue",
            **DELETE,
            "Properties": {
                "QueueName": names.queue(role),
                "MessageRetentionPeriod": FOURTEEN_DAYS,
                "VisibilityTimeout": visibility_timeout(timeout),
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": arn(dlq), "maxReceiveCount": MAX_RECEIVE_COUNT},
            },
        },
    }


def _messaging(names: Names, timeouts: dict[str, int]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for role in ("received", "feedback", "events"):
        topic = f"{to_cfn_resource_name(role)}Topic"
        resources[topic] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": names.topic(role)}}
        if role in PIPES.values():
            resources[f"{topic}Policy"] = {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {"Topics": [ref(topic)], "PolicyDocument": topic_policy(names, role)},
            }
    for role, topic_role in PIPES.items():
        queue = f"{to_cfn_resource_name(role)}Queue"
        resources.update(_worker_queue(names, role, timeouts[role]))
        resources[f"{queue}Policy"] = {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"Queues": [ref(queue)], "PolicyDocument": queue_policy(names, role, topic_role)},
        }
        resources[f"{to_cfn_resource_name(topic_role)}To{queue}Subscription"] = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": ref(f"{to_cfn_resource_name(topic_role)}Topic"),
                "Protocol": "sqs",
                "Endpoint": arn(queue),
                "RawMessageDelivery": True,
            },
        }
    return resources


def _alarms(names: Names) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "AlarmsTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": names.topic("alarms")}}
    }
    for spec in alarm_specs(names):
        logical_id = to_cfn_resource_name(spec.name.removeprefix(f"{names.prefix}-")) + "Alarm"
        resources[logical_id] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": spec.properties(ref("AlarmsTopic")),
        }
    return resources


def merge_template(
    names: Names,
    *,
    mailboxes: list[str],
    ingest_function_timeout: int,
    feedback_function_timeout: int,
    announce_function_timeout: int = SEND_FUNCTION_TIMEOUT,
    reply_function_timeout: int = REPLY_FUNCTION_TIMEOUT,
    firehose: bool = False,
    api_stage: str = "api",
) -> dict[str, Any]:
    """The template to merge into `chalice package`'s for the stage `names` describes.

    `names` comes from `template_names`; `mailboxes` are the receipt rule's addresses; the
    function timeouts (from .chalice/config.json) set the queues' visibility timeouts;
    `firehose` adds what `inbound provision --firehose` makes; `api_stage` is the API
    Gateway stage `chalice package` names (api_gateway_stage), the last part of the API's URL.
    """
    public_url = f"https://${{{REST_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{api_stage}"
    timeouts = {"ingest": ingest_function_timeout, "feedback": feedback_function_timeout}
    resources: dict[str, Any] = {
        **_storage(names),
        **_messaging(names, timeouts),
        # The announcements' queue of recipient batches (no topic feeds it) and undo-send's
        # queue of delayed sends (provision/announcements.py, provision/outbox.py).
        **_worker_queue(names, ANNOUNCE_ROLE, announce_function_timeout),
        **cfn_ses.announcement_sending(names),
        **_worker_queue(names, OUTBOX_ROLE, reply_function_timeout),
        **cfn_ses.receiving_and_sending(names, mailboxes),
        **staff_pool_resources(names),
        **_alarms(names),
        **(cfn_ses.firehose(names) if firehose else {}),
        # The base of links in mail, read by name (chalicelib/adapters/ssm_public_url.py): as a
        # function's variable it would be a cycle (the API names the API handler).
        "PublicUrlParameter": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": names.public_url_parameter, "Type": "String", "Value": public_url},
        },
        # Chalice merges key by key: this adds to the DefinitionBody `chalice package` writes.
        REST_API: {"Properties": {"DefinitionBody": gateway_responses.rest_api_definition()}},
    }
    outputs = {
        "MailBucketName": ("the mail bucket", ref("MailBucket")),
        "UserPoolId": ("INBOUND_USER_POOL_ID: `inbound staff add --user-pool-id`", ref("StaffUserPool")),
        "UserPoolClientId": (
            "INBOUND_USER_POOL_CLIENT_ID: `inbound login --client-id`",
            ref("StaffUserPoolClient"),
        ),
        "AlarmsTopicArn": ("subscribe the on-call address to it", ref("AlarmsTopic")),
        "ReceiptRuleSetName": ("not active until `inbound provision --activate`", ref("ReceiptRuleSet")),
        "ReplySecretParameter": (
            "SSM SecureString the stack does not create: run `inbound provision`",
            names.reply_secret_parameter,
        ),
    }
    return {
        "Description": (
            f"inbound stage {names.stage}: mail bucket, tables, topics, queues, SES receipt rule "
            "and configuration set, staff user pool, alarms and the Lambda functions. After "
            f"creating the stack run `inbound provision --stage {names.stage} --domain {names.domain} "
            "--activate`: it creates the reply-token secret and the SES domain identity, and "
            "activates the receipt rule set, which CloudFormation cannot do."
        ),
        "Resources": substitute(
            {**resources, **function_resources(names), **role_resources(names, mailboxes)}
        ),
        "Outputs": substitute(
            {
                key: {"Description": description, "Value": value}
                for key, (description, value) in outputs.items()
            }
        ),
    }
