"""The stage's CloudWatch alarms and the SNS topic they notify: create, reconcile, tear down.

PutMetricAlarm creates or replaces an alarm whole, so it is idempotent by itself; it is
called only for an alarm that is missing or differs from `alarm_specs`, so a second run
makes no write call and reports every alarm "unchanged".
"""

from __future__ import annotations

from typing import Any

from inbound.stage.alarms import AlarmSpec, alarm_specs
from inbound.stage.provision.context import Context
from inbound.stage.provision.deleting import SNS_GONE, delete_resource
from inbound.stage.provision.messaging import ensure_topic
from inbound.stage.provision.report import ABSENT, DELETED

ALARMS_TOPIC_ROLE = "alarms"

# What PutMetricAlarm sets; an alarm that differs in any of these is put again.
_ALARM_KEYS = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "ComparisonOperator",
    "Threshold",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "TreatMissingData",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "Unit",
    "Metrics",
)


def _dimensions(dimensions: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    return sorted((d["Name"], d["Value"]) for d in dimensions or [])


def _query(query: dict[str, Any]) -> dict[str, Any]:
    out = {key: query.get(key) for key in ("Id", "Expression", "Label")}
    out["ReturnData"] = query.get("ReturnData", True)  # AWS's default
    stat = query.get("MetricStat")
    if stat:
        metric = stat["Metric"]
        out["MetricStat"] = (
            metric.get("Namespace"),
            metric.get("MetricName"),
            _dimensions(metric.get("Dimensions")),
            stat.get("Period"),
            stat.get("Stat"),
        )
    return out


def _normal(alarm: dict[str, Any]) -> dict[str, Any]:
    """The managed settings of an alarm (as described or as put) in a comparable form."""
    out: dict[str, Any] = {}
    for key in _ALARM_KEYS:
        value = alarm.get(key)
        if key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            value = sorted(value or [])
        elif key == "Dimensions":
            value = _dimensions(value)
        elif key == "Metrics":
            value = sorted((_query(q) for q in value or []), key=lambda q: str(q["Id"]))
        elif key == "Threshold" and value is not None:
            value = float(value)
        out[key] = value if value not in ("", []) else None
    return out


def _describe(ctx: Context, names: list[str]) -> dict[str, dict[str, Any]]:
    pages = ctx.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmNames=names)
    return {alarm["AlarmName"]: alarm for page in pages for alarm in page["MetricAlarms"]}


def _ensure_alarm(ctx: Context, spec: AlarmSpec, current: dict[str, Any] | None, topic_arn: str) -> None:
    wanted = spec.properties(topic_arn)
    changes: list[str] = []
    if current is not None:
        have, want = _normal(current), _normal(wanted)
        changes = [key for key in _ALARM_KEYS if have[key] != want[key]]
    if current is None or changes:
        ctx.client("cloudwatch").put_metric_alarm(**wanted)
    ctx.report.record("cloudwatch-alarm", spec.name, created=current is None, changes=changes)


def ensure_alarms(ctx: Context) -> str:
    """The alarms topic and every alarm of `alarm_specs`; returns the topic's ARN."""
    topic_arn = ensure_topic(ctx, ALARMS_TOPIC_ROLE)
    specs = alarm_specs(ctx.names)
    current = _describe(ctx, [spec.name for spec in specs])
    for spec in specs:
        _ensure_alarm(ctx, spec, current.get(spec.name), topic_arn)
    return topic_arn


def delete_alarms(ctx: Context) -> None:
    """Delete the alarms and their topic (its subscriptions go with it)."""
    names = [spec.name for spec in alarm_specs(ctx.names)]
    existing = _describe(ctx, names)
    if existing:
        ctx.client("cloudwatch").delete_alarms(AlarmNames=sorted(existing))
    for name in names:
        ctx.report.add("cloudwatch-alarm", name, DELETED if name in existing else ABSENT)

    sns, arn = ctx.client("sns"), ctx.names.topic_arn(ALARMS_TOPIC_ROLE)
    delete_resource(
        ctx.report,
        "sns-topic",
        ctx.names.topic(ALARMS_TOPIC_ROLE),
        read=lambda: sns.get_topic_attributes(TopicArn=arn),
        delete=lambda _: sns.delete_topic(TopicArn=arn),
        gone=SNS_GONE,
    )
