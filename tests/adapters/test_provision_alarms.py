"""The stage's CloudWatch alarms, provisioned against moto.

GIVEN an empty (moto) account, WHEN `inbound provision` runs, THEN every alarm of
`alarm_specs` exists on the metric and threshold an operator expects and notifies the
stage's alarms topic; a second run writes nothing; a hand edit is put back; `--delete`
removes the alarms and their topic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.wiring.clients import new_session
from inbound.stage.provision.run import delete, provision

REGION = "eu-west-1"
STAGE = "test"
DOMAIN = "example.com"
ACCOUNT = "123456789012"  # moto's default account
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:inbound-test-alarms"
APP_DIMENSIONS = [{"Name": "service", "Value": "inbound"}, {"Name": "stage", "Value": STAGE}]


def _session() -> boto3.session.Session:
    return new_session(REGION)


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield _session()


def client(session: boto3.session.Session, service: str) -> Any:
    return session.client(service, region_name=REGION)


def alarms(session: boto3.session.Session) -> dict[str, dict[str, Any]]:
    found = client(session, "cloudwatch").describe_alarms(AlarmNamePrefix="inbound-test-")["MetricAlarms"]
    return {alarm["AlarmName"]: alarm for alarm in found}


def single_metric(alarm: dict[str, Any]) -> tuple[Any, ...]:
    dims = sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions") or [])
    return (
        alarm["Namespace"],
        alarm["MetricName"],
        dims,
        alarm["Statistic"],
        alarm["Period"],
        alarm["ComparisonOperator"],
        alarm["Threshold"],
    )


class TestProvisionedAlarms:
    """Read-only checks of one provisioned stage."""

    @pytest.fixture(scope="class")
    def session(self) -> Iterator[boto3.session.Session]:
        with mock_aws():
            session = _session()
            provision(session, STAGE, DOMAIN, REGION)
            yield session

    def test_each_dead_letter_queue_alarms_on_its_first_message(self, session):
        found = alarms(session)
        queues = {url.rsplit("/", 1)[1] for url in client(session, "sqs").list_queues()["QueueUrls"]}

        for role in ("ingest", "feedback", "announce"):
            alarm = found[f"inbound-test-{role}-dlq-not-empty"]
            dlq = f"inbound-test-{role}-dlq"
            assert dlq in queues, "the alarm watches a queue provision created"
            assert single_metric(alarm) == (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                [("QueueName", dlq)],
                "Maximum",
                300,
                "GreaterThanThreshold",
                0.0,
            )
            assert alarm["TreatMissingData"] == "notBreaching"

    def test_quarantine_rate_is_quarantined_over_ingested_in_an_hour_above_five_percent(self, session):
        alarm = alarms(session)["inbound-test-quarantine-rate"]

        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0.05)
        assert alarm["TreatMissingData"] == "notBreaching"
        queries = {q["Id"]: q for q in alarm["Metrics"]}
        (result,) = [q for q in queries.values() if q.get("ReturnData", True)]
        assert result["Expression"] == "quarantined / ingested"
        for query_id, metric_name in (("quarantined", "Quarantined"), ("ingested", "Ingested")):
            stat = queries[query_id]["MetricStat"]
            assert stat["Metric"] == {
                "Namespace": "inbound",
                "MetricName": metric_name,
                "Dimensions": APP_DIMENSIONS,
            }
            assert (stat["Period"], stat["Stat"]) == (3600, "Sum")

    def test_mail_an_hour_old_in_incoming_alarms_after_one_sweep(self, session):
        alarm = alarms(session)["inbound-test-incoming-stale"]
        assert single_metric(alarm) == (
            "inbound",
            "OldestIncomingAgeSeconds",
            [("service", "inbound"), ("stage", STAGE)],
            "Maximum",
            900,
            "GreaterThanOrEqualToThreshold",
            3600.0,
        )
        assert alarm["EvaluationPeriods"] == 1

    def test_ses_reputation_alarms_fire_below_the_ses_review_rates(self, session):
        found = alarms(session)
        bounce, complaint = found["inbound-test-ses-bounce-rate"], found["inbound-test-ses-complaint-rate"]
        assert single_metric(bounce) == (
            "AWS/SES",
            "Reputation.BounceRate",
            [],
            "Maximum",
            3600,
            "GreaterThanOrEqualToThreshold",
            0.04,
        )
        assert single_metric(complaint)[1:] == (
            "Reputation.ComplaintRate",
            [],
            "Maximum",
            3600,
            "GreaterThanOrEqualToThreshold",
            0.0008,
        )

    def test_every_alarm_notifies_the_alarms_topic_on_alarm_and_on_recovery(self, session):
        found = alarms(session)
        topics = [t["TopicArn"] for t in client(session, "sns").list_topics()["Topics"]]

        assert len(found) == 8 + 2 * 6  # and each function's errors and throttles
        assert TOPIC_ARN in topics
        for alarm in found.values():
            assert alarm["ActionsEnabled"] is True
            assert alarm["AlarmActions"] == alarm["OKActions"] == [TOPIC_ARN]


def test_second_run_changes_no_alarm(session):
    provision(session, STAGE, DOMAIN, REGION)

    again = provision(session, STAGE, DOMAIN, REGION)

    entries = [e for e in again.entries if e.resource == "cloudwatch-alarm"]
    assert len(entries) == 20
    assert {e.action for e in entries} == {"unchanged"}
    assert again.action("sns-topic", "inbound-test-alarms") == "unchanged"


def test_a_hand_edited_alarm_is_reported_changed_and_put_back(session):
    provision(session, STAGE, DOMAIN, REGION)
    cloudwatch = client(session, "cloudwatch")
    edited = alarms(session)["inbound-test-ingest-dlq-not-empty"]
    cloudwatch.put_metric_alarm(
        AlarmName=edited["AlarmName"],
        AlarmDescription=edited["AlarmDescription"],
        AlarmActions=[],
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=edited["Dimensions"],
        Statistic="Maximum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )

    report = provision(session, STAGE, DOMAIN, REGION)

    changed = [(e.resource, e.name, e.action) for e in report.entries if e.action != "unchanged"]
    assert changed == [("cloudwatch-alarm", "inbound-test-ingest-dlq-not-empty", "changed")]
    restored = alarms(session)["inbound-test-ingest-dlq-not-empty"]
    assert restored["Threshold"] == 0.0
    assert restored["AlarmActions"] == [TOPIC_ARN]


def test_delete_removes_the_alarms_and_their_topic(session):
    provision(session, STAGE, DOMAIN, REGION)

    report = delete(session, STAGE, REGION)

    assert alarms(session) == {}
    topics = [t["TopicArn"] for t in client(session, "sns").list_topics()["Topics"]]
    assert TOPIC_ARN not in topics
    assert report.action("cloudwatch-alarm", "inbound-test-quarantine-rate") == "deleted"
    assert report.action("sns-topic", "inbound-test-alarms") == "deleted"


def test_each_function_alarms_on_a_quarter_hour_of_errors_and_on_any_throttle(session):
    provision(session, STAGE, DOMAIN, REGION)
    found = alarms(session)
    for function, deployed in (("ingest", "inbound-test-ingest"), ("api_handler", "inbound-test")):
        errors, throttles = (
            found[f"inbound-test-{function}-errors"],
            found[f"inbound-test-{function}-throttles"],
        )
        assert single_metric(errors) == (
            "AWS/Lambda",
            "Errors",
            [("FunctionName", deployed)],
            "Sum",
            300,
            "GreaterThanThreshold",
            0.0,
        )
        assert (errors["EvaluationPeriods"], errors["DatapointsToAlarm"]) == (3, 3)
        assert single_metric(throttles)[1:3] == ("Throttles", [("FunctionName", deployed)])
        assert throttles["EvaluationPeriods"] == 1
