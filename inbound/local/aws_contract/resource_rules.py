"""Rules real AWS enforces on the requests that make resources (what `inbound provision`,
`chalice deploy` and the template's resources send) that botocore's models do not carry and
moto 5.2.5 does not check (see service_rules.py for the per-request data rules).

Each rule cites where AWS states it. `check` returns the first refusal as (error code,
rule, message), like service_rules.check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inbound.local.aws_contract.message_rules import Refusal

# SQS CreateQueue / SetQueueAttributes (API reference, the Attributes parameter, as
# botocore's sqs model documents it): "Valid values: An integer from 0 to 900 seconds"
# (DelaySeconds), "from 1,024 bytes (1 KiB) to 1,048,576 bytes (1 MiB)", "from 60 seconds
# (1 minute) to 1,209,600 seconds (14 days)", "from 0 to 20 (seconds)", "from 0 to 43,200
# (12 hours)" (VisibilityTimeout), "between 60 seconds (1 minute) and 86,400 seconds (24
# hours)" (KmsDataKeyReusePeriodSeconds). The attribute names are the model's enum (model_checks).
SQS_INTEGER_ATTRIBUTES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}


def sqs(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name not in ("CreateQueue", "SetQueueAttributes"):
        return None
    attributes = params.get("Attributes")
    for name, value in (attributes if isinstance(attributes, dict) else {}).items():
        low_high = SQS_INTEGER_ATTRIBUTES.get(name)
        if low_high is None:
            continue
        low, high = low_high
        if not (str(value).isdigit() and low <= int(value) <= high):
            message = (
                f"Invalid value for the parameter {name}: {value!r} is not an integer from {low} to {high}."
            )
            return "InvalidAttributeValue", "sqs-queue-attributes", message
    return None


# S3 PutBucketLifecycleConfiguration (S3 User Guide, "Transitioning objects using Amazon S3
# Lifecycle": objects must be stored at least 30 days before they move to S3 Standard-IA or
# S3 One Zone-IA; S3 answers "'Days' in Transition action must be greater than or equal to
# 30 for storageClass 'STANDARD_IA'"); an Expiration's Days "must be a positive integer";
# rule IDs "must be unique"; a configuration holds "up to 1,000 rules".
S3_IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
S3_IA_MINIMUM_DAYS = 30
S3_LIFECYCLE_RULES = 1000


def s3(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name != "PutBucketLifecycleConfiguration":
        return None
    rules = list((params.get("LifecycleConfiguration") or {}).get("Rules") or [])
    if len(rules) > S3_LIFECYCLE_RULES:
        return (
            "InvalidRequest",
            "s3-lifecycle",
            f"Lifecycle configuration has {len(rules)} rules (at most 1000)",
        )
    ids = [r.get("ID") for r in rules if isinstance(r, dict) and r.get("ID")]
    if len(ids) != len(set(ids)):
        return (
            "InvalidArgument",
            "s3-lifecycle",
            "Rule ID must be unique. Found same ID for more than one rule",
        )
    for rule in rules:
        for transition in rule.get("Transitions") or []:
            days, kind = transition.get("Days"), transition.get("StorageClass")
            if kind in S3_IA_CLASSES and isinstance(days, int) and days < S3_IA_MINIMUM_DAYS:
                message = f"'Days' in Transition action must be greater than or equal to 30 for storageClass '{kind}'"
                return "InvalidArgument", "s3-lifecycle", message
        days = (rule.get("Expiration") or {}).get("Days")
        if isinstance(days, int) and days < 1:
            return (
                "InvalidArgument",
                "s3-lifecycle",
                "'Days' for Expiration action must be a positive integer",
            )
    return None


# CloudWatch PutMetricAlarm (API reference, Period): "Valid values are 10, 20, 30, and any
# multiple of 60"; "Period multiplied by EvaluationPeriods can't be more than 604,800
# seconds. For alarms with a period of less than one hour (3,600 seconds), the total
# evaluation period can't be longer than one day (86,400 seconds)". DatapointsToAlarm is the
# M of an "M out of N" alarm whose N is EvaluationPeriods.
def cloudwatch(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name != "PutMetricAlarm":
        return None
    periods = [params.get("Period")]
    periods += [
        (m.get("MetricStat") or {}).get("Period") for m in params.get("Metrics") or [] if isinstance(m, dict)
    ]
    evaluations, datapoints = params.get("EvaluationPeriods"), params.get("DatapointsToAlarm")
    for period in (p for p in periods if isinstance(p, int)):
        if period not in (10, 20, 30) and period % 60:
            return None, "cloudwatch-alarm-period", f"Period {period} must be 10, 20, 30 or a multiple of 60"
        if isinstance(evaluations, int):
            limit = 86_400 if period < 3600 else 604_800
            if period * evaluations > limit:
                message = f"Period x EvaluationPeriods = {period * evaluations} s exceeds {limit} s"
                return None, "cloudwatch-alarm-period", message
    if isinstance(datapoints, int) and isinstance(evaluations, int) and datapoints > evaluations:
        message = f"DatapointsToAlarm ({datapoints}) must not exceed EvaluationPeriods ({evaluations})"
        return None, "cloudwatch-alarm-period", message
    return None


# Lambda CreateEventSourceMapping (API reference, BatchSize): for Amazon SQS "For standard
# queues the maximum is 10,000. For FIFO queues the maximum is 10", and "When you set
# BatchSize to a value greater than 10, you must set MaximumBatchingWindowInSeconds to at
# least 1." (An UpdateEventSourceMapping names no source, so it is left to AWS.)
def lambda_mapping(model: Any, params: dict[str, Any]) -> Refusal | None:
    source = str(params.get("EventSourceArn") or "")
    if model.name != "CreateEventSourceMapping" or ":sqs:" not in source:
        return None
    batch, window = params.get("BatchSize"), params.get("MaximumBatchingWindowInSeconds")
    if not (isinstance(batch, int) and batch > 10):
        return None
    if source.endswith(".fifo"):
        return (
            "InvalidParameterValueException",
            "lambda-sqs-batch",
            "BatchSize for a FIFO queue is at most 10",
        )
    if not (isinstance(window, int) and window >= 1):
        message = (
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )
        return "InvalidParameterValueException", "lambda-sqs-batch", message
    return None


# SNS Subscribe / SetSubscriptionAttributes (API reference, Attributes / AttributeName): the
# subscription attributes are DeliveryPolicy, FilterPolicy, FilterPolicyScope ("MessageAttributes
# (default)" or "MessageBody"), RawMessageDelivery ("When set to true, enables raw message
# delivery"; true or false), RedrivePolicy, SubscriptionRoleArn and ReplayPolicy.
SNS_SUBSCRIPTION_ATTRIBUTES = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
SNS_ATTRIBUTE_VALUES = {
    "RawMessageDelivery": ("true", "false"),
    "FilterPolicyScope": ("MessageAttributes", "MessageBody"),
}


def sns(model: Any, params: dict[str, Any]) -> Refusal | None:
    attributes: dict[Any, Any]
    if model.name == "Subscribe":
        given = params.get("Attributes")
        attributes = given if isinstance(given, dict) else {}
    elif model.name == "SetSubscriptionAttributes":
        attributes = {params.get("AttributeName"): params.get("AttributeValue")}
    else:
        return None
    for name, value in attributes.items():
        if name not in SNS_SUBSCRIPTION_ATTRIBUTES:
            return (
                "InvalidParameter",
                "sns-subscription-attributes",
                f"Invalid parameter: Attributes Reason: Unknown attribute {name}",
            )
        allowed = SNS_ATTRIBUTE_VALUES.get(str(name))
        if allowed and str(value) not in allowed:
            message = (
                f"Invalid parameter: Attributes Reason: {name}: {value!r} is not one of {', '.join(allowed)}"
            )
            return "InvalidParameter", "sns-subscription-attributes", message
    return None


# DynamoDB UpdateTable (API reference, GlobalSecondaryIndexUpdates): "You can create or delete
# only one global secondary index per UpdateTable operation."
def dynamodb(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name != "UpdateTable":
        return None
    updates = [u for u in params.get("GlobalSecondaryIndexUpdates") or [] if isinstance(u, dict)]
    if sum(1 for u in updates if "Create" in u or "Delete" in u) > 1:
        message = "One or more parameter values were invalid: Only 1 online index can be created or deleted simultaneously per table"
        return None, "dynamodb-one-index-per-update", message
    return None


# Cognito CreateUserPoolClient / UpdateUserPoolClient (API reference, TokenValidityUnitsType):
# "AccessTokenValidity duration can range from five minutes to one day" (IdTokenValidity the
# same), "RefreshTokenValidity duration can range from 60 minutes to 10 years"; the default
# unit is hours for access and ID tokens and days for refresh tokens.
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400}
COGNITO_TOKEN_VALIDITY = {
    "AccessToken": (5 * 60, 86_400, "hours"),
    "IdToken": (5 * 60, 86_400, "hours"),
    "RefreshToken": (60 * 60, 3650 * 86_400, "days"),
}


def cognito(model: Any, params: dict[str, Any]) -> Refusal | None:
    if model.name not in ("CreateUserPoolClient", "UpdateUserPoolClient"):
        return None
    units = params.get("TokenValidityUnits") if isinstance(params.get("TokenValidityUnits"), dict) else {}
    for token, (low, high, default_unit) in COGNITO_TOKEN_VALIDITY.items():
        value, unit = params.get(f"{token}Validity"), (units or {}).get(token, default_unit)
        if not isinstance(value, int) or unit not in _SECONDS:
            continue
        if not low <= value * _SECONDS[unit] <= high:
            message = f"{token}Validity {value} {unit} is outside {low} seconds to {high} seconds"
            return None, "cognito-token-validity", message
    return None


RULES: dict[str, Callable[[Any, dict[str, Any]], Refusal | None]] = {
    "sqs": sqs,
    "s3": s3,
    "cloudwatch": cloudwatch,
    "lambda": lambda_mapping,
    "sns": sns,
    "dynamodb": dynamodb,
    "cognito-idp": cognito,
}


def check(model: Any, params: Any) -> Refusal | None:
    """The first resource rule this request breaks, or None."""
    rule = RULES.get(model.service_model.service_name)
    return rule(model, params) if rule is not None and isinstance(params, dict) else None
