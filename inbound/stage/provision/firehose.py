"""`inbound provision --firehose`: every SES event of both configuration sets into the mail
bucket through Kinesis Data Firehose: the stream, its two roles and an event destination on
each set, as inbound/stage/firehose_documents.py describes them (the template declares the
same with `inbound package --firehose`).

Without `--firehose` a later run leaves all of it as it is; `--delete` removes it.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.firehose_documents import (
    EVENTS_PREFIX,
    POLICY_NAME,
    destination_name,
    role_names,
    roles,
    s3_destination,
    stream_name,
)
from inbound.stage.provision.context import Context, error_code
from inbound.stage.provision.deleting import IAM_GONE, RESOURCE_GONE, delete_resource
from inbound.stage.provision.event_destinations import ensure_event_destination
from inbound.stage.provision.report import CREATED, UNCHANGED
from inbound.stage.ses_documents import announcement_configuration_set, event_types


def _ensure_role(ctx: Context, name: str, trust: dict[str, Any], policy: dict[str, Any]) -> str:
    iam = ctx.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
        created = False
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        created = True
    changes = []
    if not created and _policy(role.get("AssumeRolePolicyDocument")) != trust:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        changes.append("trust policy")
    try:
        current = _policy(iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"])
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        current = None
    if current != policy:
        iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))
        changes += [] if created or current is None else ["permissions"]
    ctx.report.record("iam-role", name, created=created, changes=changes)
    return str(role["Arn"])


def _policy(document: Any) -> Any:
    """IAM answers a policy document URL-encoded JSON (botocore decodes it) or a dict."""
    return json.loads(document) if isinstance(document, str) else document


def ensure_firehose(ctx: Context) -> None:
    n, firehose = ctx.names, ctx.client("firehose")
    documents = roles(n)
    delivery, ses = role_names(n)
    delivery_arn = _ensure_role(ctx, delivery, *documents[delivery])
    ses_arn = _ensure_role(ctx, ses, *documents[ses])
    name = stream_name(n)
    try:
        stream_arn = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"][
            "DeliveryStreamARN"
        ]
        ctx.report.add("firehose-delivery-stream", name, UNCHANGED)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        # A role just made may not be assumable for some seconds (IAM is eventually consistent).
        stream_arn = ctx.retry(
            lambda: firehose.create_delivery_stream(
                DeliveryStreamName=name,
                DeliveryStreamType="DirectPut",
                ExtendedS3DestinationConfiguration=s3_destination(n, delivery_arn),
            )["DeliveryStreamARN"],
            frozenset({"InvalidArgumentException"}),
        )
        ctx.report.add("firehose-delivery-stream", name, CREATED, f"into s3://{n.bucket}/{EVENTS_PREFIX}")
    for set_name in (n.configuration_set, announcement_configuration_set(n)):
        wanted = {
            "Enabled": True,
            "MatchingEventTypes": event_types(n, set_name),
            "KinesisFirehoseDestination": {"IamRoleArn": ses_arn, "DeliveryStreamArn": stream_arn},
        }
        ensure_event_destination(ctx, set_name, destination_name(n), wanted)


def delete_firehose(ctx: Context) -> None:
    """After the configuration sets (and so their destinations) are gone."""
    firehose, iam, stream = ctx.client("firehose"), ctx.client("iam"), stream_name(ctx.names)
    delete_resource(
        ctx.report,
        "firehose-delivery-stream",
        stream,
        read=lambda: firehose.describe_delivery_stream(DeliveryStreamName=stream),
        delete=lambda _: firehose.delete_delivery_stream(DeliveryStreamName=stream),
        gone=RESOURCE_GONE,
    )

    def delete_role(found: dict[str, Any]) -> None:
        name = found["Role"]["RoleName"]
        try:
            iam.delete_role_policy(RoleName=name, PolicyName=POLICY_NAME)  # IAM deletes no role with one
        except ClientError as exc:
            if error_code(exc) not in IAM_GONE:
                raise
        iam.delete_role(RoleName=name)

    for role in role_names(ctx.names):
        delete_resource(
            ctx.report,
            "iam-role",
            role,
            read=partial(iam.get_role, RoleName=role),
            delete=delete_role,
            gone=IAM_GONE,
        )
