"""The stage's CloudWatch alarms, as data: one source for `inbound provision` and the template.

`alarm_specs` is pure: it derives every alarm from `Names`; `provision/alarms.py` puts them
with PutMetricAlarm and `cfn_template` writes them as AWS::CloudWatch::Alarm resources.
Both take `AlarmSpec.properties`, whose keys are PutMetricAlarm's parameters, which are
also the alarm resource's property names.

Every alarm notifies the stage's `alarms` topic when it goes into ALARM and when it
recovers. Subscribe to it (e-mail, chat webhook) to hear about them.

The app's own metrics (contract with chalicelib, which emits them with Powertools'
CloudWatch EMF): namespace `inbound`; dimensions exactly `service`=`inbound` (Powertools
adds it from POWERTOOLS_SERVICE_NAME) and `stage`=<stage>; metrics `Ingested` and
`Quarantined` (Count, one per message ingested / quarantined; every quarantined message
is also counted as ingested) and `OldestIncomingAgeSeconds` (Seconds, the age of the
oldest object in `incoming/`, emitted by each sweep, 0 when it is empty). A metric with
other dimensions is another metric to CloudWatch and would leave these alarms without
data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.settings import Settings
from inbound.stage.provision.context import Names

APP_NAMESPACE = "inbound"
SERVICE = "inbound"
INGESTED = "Ingested"
QUARANTINED = "Quarantined"
OLDEST_INCOMING_AGE = "OldestIncomingAgeSeconds"

HOUR = 3600
SWEEP_PERIOD = 15 * 60  # the sweep_incoming schedule in app.py
DLQ_PERIOD = 5 * 60  # SQS publishes its metrics every 5 minutes

# SES puts an account under review at a 5 % bounce or 0.1 % complaint rate; alarm at the
# rates where the outbound guard pauses automatic mail, a little below those.
BOUNCE_RATE = Settings.bounce_pause_rate
COMPLAINT_RATE = Settings.complaint_pause_rate
QUARANTINE_RATE = 0.05
# Normal mail leaves incoming/ within seconds. The queue retries a failing message for
# 5 receives x 12 minutes' visibility, about an hour, before it goes to the DLQ, and the
# sweeper re-drives what is older than 2 hours: mail an hour old has used up the queue's
# retries or lost its notification. One sweep seeing it is enough (the age only grows
# while the mail is stuck, so waiting for a second datapoint would only delay the alarm).
STALE_INCOMING_SECONDS = HOUR

_BREACH_OPERATORS = frozenset(
    {
        "GreaterThanThreshold",
        "GreaterThanOrEqualToThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    }
)


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int

    def dimension_list(self) -> list[dict[str, str]]:
        return [{"Name": name, "Value": value} for name, value in self.dimensions]


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: on a single `metric`, or on the metric math `expression` over `inputs`."""

    name: str
    description: str
    comparison: str
    threshold: float
    evaluation_periods: int
    treat_missing_data: str
    metric: Metric | None = None
    expression: str = ""
    inputs: tuple[tuple[str, Metric], ...] = ()  # (id used in the expression, metric)

    def __post_init__(self) -> None:
        if self.comparison not in _BREACH_OPERATORS:
            raise ValueError(f"alarm {self.name}: unknown comparison {self.comparison}")
        if (self.metric is None) == (not self.expression):
            raise ValueError(f"alarm {self.name}: give either a metric or an expression")

    def properties(self, topic_arn: Any) -> dict[str, Any]:
        """PutMetricAlarm's parameters, which are also AWS::CloudWatch::Alarm's properties.

        `topic_arn` is an ARN, or a CloudFormation reference to one.
        """
        props: dict[str, Any] = {
            "AlarmName": self.name,
            "AlarmDescription": self.description,
            "ActionsEnabled": True,
            "AlarmActions": [topic_arn],
            "OKActions": [topic_arn],
            "ComparisonOperator": self.comparison,
            "Threshold": self.threshold,
            "EvaluationPeriods": self.evaluation_periods,
            "DatapointsToAlarm": self.evaluation_periods,
            "TreatMissingData": self.treat_missing_data,
        }
        if self.metric is not None:
            props.update(
                {
                    "Namespace": self.metric.namespace,
                    "MetricName": self.metric.name,
                    "Statistic": self.metric.stat,
                    "Period": self.metric.period,
                }
            )
            if self.metric.dimensions:
                props["Dimensions"] = self.metric.dimension_list()
            return props
        queries: list[dict[str, Any]] = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": metric.namespace,
                        "MetricName": metric.name,
                        "Dimensions": metric.dimension_list(),
                    },
                    "Period": metric.period,
                    "Stat": metric.stat,
                },
                "ReturnData": False,
            }
            for query_id, metric in self.inputs
        ]
        queries.append({"Id": "rate", "Expression": self.expression, "Label": self.name, "ReturnData": True})
        props["Metrics"] = queries
        return props


def app_metric(names: Names, metric_name: str, stat: str, period: int) -> Metric:
    """One of the app's EMF metrics for the stage (dimensions: see the module docstring)."""
    return Metric(APP_NAMESPACE, metric_name, (("service", SERVICE), ("stage", names.stage)), stat, period)


def _dlq_alarm(names: Names, role: str, consumer: str) -> AlarmSpec:
    queue = names.queue(f"{role}-dlq")
    return AlarmSpec(
        name=f"{names.prefix}-{role}-dlq-not-empty",
        description=(
            f"{queue} holds messages: {consumer} failed them 5 times. Find the cause in the "
            "function's logs, fix it, then re-drive the dead-letter queue."
        ),
        comparison="GreaterThanThreshold",
        threshold=0,
        evaluation_periods=1,
        # A queue holding messages always reports; no data means an idle, empty queue.
        treat_missing_data="notBreaching",
        metric=Metric(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", queue),), "Maximum", DLQ_PERIOD
        ),
    )


# The deployed functions, by the names `chalice deploy` gives them (the API handler's is
# the app and stage only).
FUNCTIONS = ("ingest", "record_feedback", "sweep_incoming", "api_handler", "send_announcement", "send_reply")
ERROR_PERIODS = 3  # 15 minutes of failing invocations: a retry storm, not one bad record


def _function_alarms(names: Names) -> list[AlarmSpec]:
    specs = []
    for function in FUNCTIONS:
        deployed = names.prefix if function == "api_handler" else f"{names.prefix}-{function}"
        dimension = (("FunctionName", deployed),)
        specs.append(
            AlarmSpec(
                name=f"{names.prefix}-{function}-errors",
                description=(
                    f"{deployed} failed invocations in each of the last {ERROR_PERIODS * DLQ_PERIOD // 60} "
                    f"minutes. Read its logs (chalice logs --name {function})."
                ),
                comparison="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=ERROR_PERIODS,
                treat_missing_data="notBreaching",  # no invocations, no errors
                metric=Metric("AWS/Lambda", "Errors", dimension, "Sum", DLQ_PERIOD),
            )
        )
        specs.append(
            AlarmSpec(
                name=f"{names.prefix}-{function}-throttles",
                description=(
                    f"Lambda throttled {deployed}: the account's concurrency is used up (queued "
                    "mail waits; API requests fail with 429)."
                ),
                comparison="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                metric=Metric("AWS/Lambda", "Throttles", dimension, "Sum", DLQ_PERIOD),
            )
        )
    return specs


def alarm_specs(
    names: Names,
    *,
    quarantine_rate: float = QUARANTINE_RATE,
    stale_incoming_seconds: int = STALE_INCOMING_SECONDS,
    bounce_rate: float = BOUNCE_RATE,
    complaint_rate: float = COMPLAINT_RATE,
) -> list[AlarmSpec]:
    """Every alarm of the stage, in a stable order."""
    p = names.prefix
    return [
        _dlq_alarm(names, "ingest", "ingest"),
        _dlq_alarm(names, "feedback", "record_feedback"),
        _dlq_alarm(names, "announce", "send_announcement"),
        _dlq_alarm(names, "outbox", "send_reply"),
        AlarmSpec(
            name=f"{p}-quarantine-rate",
            description=(
                f"More than {quarantine_rate:.0%} of the mail ingested in the last hour was "
                "quarantined. Look under quarantine/<reason>/ in the mail bucket."
            ),
            comparison="GreaterThanThreshold",
            threshold=quarantine_rate,
            evaluation_periods=1,
            # No mail in the hour: no rate, nothing wrong.
            treat_missing_data="notBreaching",
            expression="quarantined / ingested",
            inputs=(
                ("quarantined", app_metric(names, QUARANTINED, "Sum", HOUR)),
                ("ingested", app_metric(names, INGESTED, "Sum", HOUR)),
            ),
        ),
        AlarmSpec(
            name=f"{p}-incoming-stale",
            description=(
                f"Mail has waited in incoming/ for {stale_incoming_seconds // 60} minutes or "
                "more: ingest keeps failing on it or its notification was lost."
            ),
            comparison="GreaterThanOrEqualToThreshold",
            threshold=stale_incoming_seconds,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            metric=app_metric(names, OLDEST_INCOMING_AGE, "Maximum", SWEEP_PERIOD),
        ),
        # SES publishes its reputation rates for the whole account and Region (no
        # dimension), as fractions between 0 and 1, and only once there were bounces or
        # complaints: missing data is not a breach.
        AlarmSpec(
            name=f"{p}-ses-bounce-rate",
            description=(
                f"The account's SES bounce rate reached {bounce_rate:.1%}; SES reviews "
                "accounts at 5%. The outbound guard pauses automatic mail at this rate."
            ),
            comparison="GreaterThanOrEqualToThreshold",
            threshold=bounce_rate,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            metric=Metric("AWS/SES", "Reputation.BounceRate", (), "Maximum", HOUR),
        ),
        AlarmSpec(
            name=f"{p}-ses-complaint-rate",
            description=(
                f"The account's SES complaint rate reached {complaint_rate:.2%}; SES reviews "
                "accounts at 0.1%. The outbound guard pauses automatic mail at this rate."
            ),
            comparison="GreaterThanOrEqualToThreshold",
            threshold=complaint_rate,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            metric=Metric("AWS/SES", "Reputation.ComplaintRate", (), "Maximum", HOUR),
        ),
        *_function_alarms(names),
    ]
