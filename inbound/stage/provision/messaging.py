"""SNS topics, SQS queues with dead-letter queues, and the topic->queue subscriptions.

SES publishes to two topics: `received` (the receipt rule's S3 action notification) and
`feedback` (configuration-set events). Each feeds one queue that a Lambda reads; the
third topic, `events`, carries ticket events for integrations and has no queue here.

Subscriptions use raw message delivery: the queue body is the SES notification JSON
itself rather than an SNS envelope around it (smaller, one json.loads). The app accepts
both shapes, so flipping this later breaks nothing.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from inbound.stage.documents import (
    FOURTEEN_DAYS,
    MAX_RECEIVE_COUNT,
    PIPES,
    queue_policy,
    topic_policy,
    visibility_timeout,
)
from inbound.stage.provision.context import Context, canonical, error_code, policy_json
from inbound.stage.provision.deleting import SNS_GONE, SQS_GONE, delete_resource

_QUEUE_RECENTLY_DELETED = frozenset({"AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"})


def ensure_topic(ctx: Context, role: str) -> str:
    sns, arn = ctx.client("sns"), ctx.names.topic_arn(role)
    try:
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        created = False
    except ClientError as exc:
        if error_code(exc) != "NotFound":
            raise
        # create_topic is idempotent for a name, so a concurrent run is harmless here.
        arn = sns.create_topic(Name=ctx.names.topic(role))["TopicArn"]
        attributes, created = {}, True
    changes = []
    if role in ("received", "feedback"):
        wanted = topic_policy(ctx.names, role)
        if canonical(attributes.get("Policy", "{}")) != canonical(wanted):
            sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy_json(wanted))
            changes.append("topic policy")
    ctx.report.record("sns-topic", ctx.names.topic(role), created=created, changes=changes)
    return str(arn)


def _queue_url(sqs: Any, name: str) -> str | None:
    try:
        return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except ClientError as exc:
        if error_code(exc) in SQS_GONE:
            return None
        raise


def _normal_queue_attributes(attributes: dict[str, str], keys: list[str]) -> dict[str, Any]:
    """The `keys` of a queue's attributes in a comparable form (JSON documents parsed)."""
    out: dict[str, Any] = {}
    for key in keys:
        value = attributes.get(key)
        if key == "Policy":
            out[key] = canonical(value or "{}")
        elif key == "RedrivePolicy":
            redrive = json.loads(value or "{}")
            if "maxReceiveCount" in redrive:
                redrive["maxReceiveCount"] = int(redrive["maxReceiveCount"])
            out[key] = redrive
        else:
            out[key] = None if value is None else str(value).lower()
    return out


def ensure_queue(ctx: Context, role: str, attributes: dict[str, str]) -> tuple[str, str]:
    """Create or reconcile one queue; returns (url, arn)."""
    sqs, name = ctx.client("sqs"), ctx.names.queue(role)
    url = _queue_url(sqs, name)
    created = url is None
    if url is None:
        # A queue deleted within the last 60 s cannot be re-created yet: wait it out.
        url = ctx.retry(
            lambda: sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"],
            _QUEUE_RECENTLY_DELETED,
            attempts=14,
            delay=5.0,
            backoff=False,
        )
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    keys = sorted(attributes)
    wanted = _normal_queue_attributes(attributes, keys)
    have = _normal_queue_attributes(current, keys)
    differing = [key for key in keys if wanted[key] != have[key]]
    changes = []
    if differing:
        fix = {key: attributes[key] for key in differing}
        sqs.set_queue_attributes(QueueUrl=url, Attributes=fix)
        changes = [f"{key} {_show(have[key])} -> {_show(wanted[key])}" for key in differing]
    ctx.report.record("sqs-queue", name, created=created, changes=changes)
    return str(url), str(current["QueueArn"])


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 40 else "(document)"


def ensure_subscription(ctx: Context, topic_arn: str, queue_arn: str) -> None:
    sns = ctx.client("sns")
    name = f"{topic_arn.rsplit(':', 1)[1]} -> {queue_arn.rsplit(':', 1)[1]}"
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    existing = [
        sub["SubscriptionArn"]
        for page in paginator.paginate(TopicArn=topic_arn)
        for sub in page["Subscriptions"]
        if sub["Protocol"] == "sqs" and sub["Endpoint"] == queue_arn
    ]
    if not existing:
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )
        ctx.report.record("sns-subscription", name, created=True, changes=[])
        return
    changes = []
    for arn in existing:
        attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        if attrs.get("RawMessageDelivery", "false") != "true":
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true"
            )
            changes.append("raw message delivery on")
    ctx.report.record("sns-subscription", name, created=False, changes=changes)


def ensure_worker_queue(
    ctx: Context, role: str, function_timeout: int, policy: dict[str, Any] | None = None
) -> dict[str, str]:
    """A function's queue with its dead-letter queue; returns the outputs for both."""
    dlq_url, dlq_arn = ensure_queue(
        ctx,
        f"{role}-dlq",
        # Standard queues keep a message's original enqueue time when it moves to the DLQ,
        # so the DLQ gets the maximum retention to leave time for a re-drive.
        {"MessageRetentionPeriod": str(FOURTEEN_DAYS), "SqsManagedSseEnabled": "true"},
    )
    attributes = {
        "MessageRetentionPeriod": str(FOURTEEN_DAYS),
        "VisibilityTimeout": str(visibility_timeout(function_timeout)),
        "SqsManagedSseEnabled": "true",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
    }
    if policy is not None:
        attributes["Policy"] = policy_json(policy)
    url, arn = ensure_queue(ctx, role, attributes)
    key = role.upper()
    return {
        f"INBOUND_{key}_QUEUE_URL": url,
        f"INBOUND_{key}_QUEUE_ARN": arn,
        f"INBOUND_{key}_DLQ_URL": dlq_url,
        f"INBOUND_{key}_DLQ_ARN": dlq_arn,
    }


_WAITING = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def delete_queues(ctx: Context, roles: tuple[str, ...]) -> None:
    """Delete each role's queue, messages included, and its dead-letter queue; the report says
    how many messages went with each (SQS's approximate counts: visible, in flight, delayed)."""
    sqs = ctx.client("sqs")

    def delete(url: str) -> str:
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(_WAITING))["Attributes"]
        waiting = sum(int(counts.get(name, 0)) for name in _WAITING)
        sqs.delete_queue(QueueUrl=url)
        return f"{waiting} message{'s' if waiting != 1 else ''} on it" if waiting else ""

    for name in (ctx.names.queue(queue) for role in roles for queue in (role, f"{role}-dlq")):
        delete_resource(
            ctx.report, "sqs-queue", name, read=partial(_queue_url, sqs, name), delete=delete, gone=SQS_GONE
        )


def ensure_pipe(ctx: Context, topic_arn: str, role: str, function_timeout: int) -> dict[str, str]:
    """Queue + dead-letter queue fed by `topic_arn`; returns the outputs for both."""
    outputs = ensure_worker_queue(ctx, role, function_timeout, queue_policy(ctx.names, role, PIPES[role]))
    ensure_subscription(ctx, topic_arn, outputs[f"INBOUND_{role.upper()}_QUEUE_ARN"])
    return outputs


def ensure_messaging(ctx: Context, ingest_timeout: int, feedback_timeout: int) -> dict[str, str]:
    received = ensure_topic(ctx, "received")
    feedback = ensure_topic(ctx, "feedback")
    events = ensure_topic(ctx, "events")
    outputs = {
        "INBOUND_RECEIVED_TOPIC_ARN": received,
        "INBOUND_FEEDBACK_TOPIC_ARN": feedback,
        "INBOUND_EVENTS_TOPIC_ARN": events,
    }
    outputs.update(ensure_pipe(ctx, received, "ingest", ingest_timeout))
    outputs.update(ensure_pipe(ctx, feedback, "feedback", feedback_timeout))
    return outputs


def delete_messaging(ctx: Context) -> None:
    """Delete topics (their subscriptions go with them) and queues, messages included.

    Raw mail is safe regardless: it stays in the bucket's incoming/ until processed.
    """
    sns, n = ctx.client("sns"), ctx.names

    def delete(found: dict[str, Any]) -> None:
        arn = found["Attributes"]["TopicArn"]
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
            for sub in page["Subscriptions"]:
                if sub["SubscriptionArn"].startswith("arn:"):  # skip "PendingConfirmation"
                    sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
        sns.delete_topic(TopicArn=arn)

    for role in ("received", "feedback", "events", "identity-feedback"):
        delete_resource(
            ctx.report,
            "sns-topic",
            n.topic(role),
            read=partial(sns.get_topic_attributes, TopicArn=n.topic_arn(role)),
            delete=delete,
            gone=SNS_GONE,
        )
    delete_queues(ctx, ("ingest", "feedback"))
