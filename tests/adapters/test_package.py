"""`inbound package`: one CloudFormation template holding the functions and every resource.

GIVEN the dev stage of .chalice/config.json, WHEN `inbound package --stage dev OUTDIR`
runs, THEN OUTDIR holds the Lambda zip and a template that cfn-lint passes without an
error or a warning, that turns on partial batch responses for both SQS event sources,
and whose resources are the ones `inbound provision` creates, with the same names,
policies and settings (provision runs against moto for the comparison), so the two paths
cannot drift apart.

Needs PyPI (marker `pypi`): `chalice package` downloads Linux wheels for requirements.txt
unless its cache (.chalice/deployments) already has them. Deselect with `-m "not pypi"`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from inbound.cli import main
from inbound.stage.alarms import alarm_specs
from inbound.stage.documents import upload_cors
from inbound.stage.package import read_stage_config
from inbound.stage.provision.context import Names, canonical
from inbound.stage.provision.report import ProvisionReport
from inbound.stage.provision.run import FEEDBACK_FUNCTION_TIMEOUT, INGEST_FUNCTION_TIMEOUT, provision
from tests.support.cfn_resolve import resolve

pytestmark = [pytest.mark.pypi, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
STAGE = "dev"
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
# What provision makes that the template leaves out, and why (see inbound/stage/cfn_template.py):
# the domain identity is shared by the account's stages; CloudFormation can neither
# activate a rule set nor create a SecureString parameter.
NOT_IN_TEMPLATE = {
    "ses-domain-identity",
    "ses-dkim",
    "ses-mail-from",
    "ses-active-rule-set",
    "ssm-parameter",
    # With the identity: its feedback forwarding off, through a topic nothing reads (below).
    "ses-feedback-forwarding",
    "ses-receiving",  # a check of the Region, not a resource
}
IDENTITY_TOPIC = ("sns-topic", "inbound-dev-identity-feedback")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("dist")
    assert main(["package", "--stage", STAGE, "--project-dir", str(REPO), str(outdir)]) == 0
    assert (outdir / "deployment.zip").stat().st_size > 0
    return dict(json.loads((outdir / "sam.json").read_text()))


@pytest.fixture(scope="module")
def provisioned() -> Iterator[tuple[boto3.session.Session, ProvisionReport]]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        yield session, provision(session, STAGE, "example.com", REGION)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Resolved properties of the template's resources of `kind`, by logical id."""
    return {
        logical_id: resolve(resource.get("Properties", {}), REGION)
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == kind
    }


def client(session: boto3.session.Session, service: str) -> Any:
    return session.client(service, region_name=REGION)


def test_cfn_lint_finds_no_error_and_no_warning(template, tmp_path):
    merged = tmp_path / "sam.json"
    merged.write_text(json.dumps(template))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"

    done = subprocess.run([str(cfn_lint), str(merged)], capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_both_sqs_event_sources_report_failed_records_only_and_the_functions_know(template):
    names = Names(STAGE, "example.com", REGION, ACCOUNT)
    queues = {props["QueueName"] for props in of_type(template, "AWS::SQS::Queue").values()}
    functions = of_type(template, "AWS::Serverless::Function")

    for function, role in (("Ingest", "ingest"), ("RecordFeedback", "feedback")):
        (event,) = functions[function]["Events"].values()
        assert event["Type"] == "SQS"
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert event["Properties"]["Queue"] == names.queue_arn(role)
        assert names.queue(role) in queues
        assert functions[function]["Environment"]["Variables"]["INBOUND_PARTIAL_BATCH_RESPONSES"] == "true"
        assert template["Resources"][function]["DependsOn"] == [f"{role.capitalize()}Queue"]
    for function in ("SweepIncoming", "APIHandler"):
        assert "INBOUND_PARTIAL_BATCH_RESPONSES" not in functions[function]["Environment"]["Variables"]


def test_each_function_has_chalice_deploys_name_and_a_role_holding_its_own_policy(template):
    """As with `chalice deploy`: one role per function, whose one policy is the function's
    generated policy (inbound/stage/iam_policies.py) for the stack's account and Region, which
    grants the logs of the function's name only."""
    functions = of_type(template, "AWS::Serverless::Function")
    expected = {
        "Ingest": "ingest",
        "RecordFeedback": "record_feedback",
        "SweepIncoming": "sweep_incoming",
        "APIHandler": "api_handler",
        "SendAnnouncement": "send_announcement",
        "SendReply": "send_reply",
    }
    assert set(functions) == set(expected)
    roles = {props["Role"]["Fn::GetAtt"][0] for props in functions.values()}
    assert len(roles) == len(functions)
    for logical_id, function in expected.items():
        props = functions[logical_id]
        name = "inbound-dev" if function == "api_handler" else f"inbound-dev-{function}"
        assert props["FunctionName"] == name
        role = template["Resources"][props["Role"]["Fn::GetAtt"][0]]["Properties"]
        (policy,) = [p["PolicyDocument"] for p in role["Policies"]]
        log_groups = [s["Resource"] for s in policy["Statement"] if s["Action"][0].startswith("logs:")]
        own = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{name}:*"
        assert log_groups == [{"Fn::Sub": own}], function


def test_every_function_finds_the_stacks_resources(template):
    for function, props in of_type(template, "AWS::Serverless::Function").items():
        env = props["Environment"]["Variables"]
        assert env["INBOUND_MAIL_BUCKET"] == "inbound-dev-mail-123456789012", function
        assert env["INBOUND_USER_POOL_ID"] == {"Ref": "StaffUserPool"}, function
        assert env["INBOUND_USER_POOL_CLIENT_ID"] == {"Ref": "StaffUserPoolClient"}, function
        assert env["INBOUND_REPLY_SECRET_PARAMETER"] == "/inbound/dev/reply-token-secret", function
        assert env["POWERTOOLS_SERVICE_NAME"] == "inbound", "Chalice's own variables stay"
        assert env["INBOUND_ANNOUNCEMENT_CONFIGURATION_SET"] == {"Ref": "AnnouncementConfigurationSet"}
        assert env["INBOUND_ANNOUNCE_QUEUE"] == "inbound-dev-announce", function
        assert env["INBOUND_OUTBOX_QUEUE"] == "inbound-dev-outbox", function


def _name_of(template: dict[str, Any]) -> dict[str, tuple[str, Callable[[dict[str, Any]], str]]]:
    resources = template["Resources"]

    def named(ref: dict[str, Any], key: str) -> str:
        logical_id = ref["Ref"] if "Ref" in ref else ref["Fn::GetAtt"][0]
        return str(resolve(resources[logical_id]["Properties"][key], REGION))

    return {
        "AWS::S3::Bucket": ("s3-bucket", lambda p: p["BucketName"]),
        "AWS::DynamoDB::Table": ("dynamodb-table", lambda p: p["TableName"]),
        "AWS::SNS::Topic": ("sns-topic", lambda p: p["TopicName"]),
        "AWS::SQS::Queue": ("sqs-queue", lambda p: p["QueueName"]),
        "AWS::SNS::Subscription": (
            "sns-subscription",
            lambda p: f"{named(p['TopicArn'], 'TopicName')} -> {named(p['Endpoint'], 'QueueName')}",
        ),
        "AWS::SES::ReceiptRuleSet": ("ses-receipt-rule-set", lambda p: p["RuleSetName"]),
        "AWS::SES::ReceiptRule": ("ses-receipt-rule", lambda p: p["Rule"]["Name"]),
        "AWS::SES::ConfigurationSet": ("ses-configuration-set", lambda p: p["Name"]),
        "AWS::SES::ConfigurationSetEventDestination": (
            "ses-event-destination",
            lambda p: f"{named(p['ConfigurationSetName'], 'Name')}/{p['EventDestination']['Name']}",
        ),
        "AWS::Cognito::UserPool": ("cognito-user-pool", lambda p: p["UserPoolName"]),
        "AWS::Cognito::UserPoolClient": ("cognito-user-pool-client", lambda p: p["ClientName"]),
        "AWS::Cognito::UserPoolGroup": ("cognito-group", lambda p: p["GroupName"]),
        "AWS::CloudWatch::Alarm": ("cloudwatch-alarm", lambda p: p["AlarmName"]),
    }


def test_the_template_holds_what_provision_creates_under_the_same_names(template, provisioned):
    _, report = provisioned
    name_of = _name_of(template)
    in_template = {
        (name_of[kind][0], name_of[kind][1](props))
        for kind in name_of
        for props in of_type(template, kind).values()
    }
    by_provision = {(e.resource, e.name) for e in report.entries if e.resource not in NOT_IN_TEMPLATE}

    assert in_template == by_provision - {IDENTITY_TOPIC}
    assert {e.resource for e in report.entries} - {kind for kind, _ in in_template} == NOT_IN_TEMPLATE
    policies = {"AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"}
    assert policies <= {r["Type"] for r in template["Resources"].values()}


def test_the_bucket_lets_the_stages_console_post_uploads_as_provision_does(template):
    """The rule provision puts on the bucket (documents.upload_cors), for the API's origin."""
    bucket = template["Resources"]["MailBucket"]["Properties"]
    [rule] = upload_cors("https://API.execute-api.eu-west-1.amazonaws.com")["CORSRules"]
    [cors] = bucket["CorsConfiguration"]["CorsRules"]
    origin = {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert cors == {
        "Id": rule["ID"],
        "AllowedOrigins": [origin],
        "AllowedMethods": rule["AllowedMethods"],
        "AllowedHeaders": rule["AllowedHeaders"],
        "MaxAge": rule["MaxAgeSeconds"],
    }
    assert template["Resources"]["RestAPI"]["Type"] == "AWS::Serverless::Api"  # what ${RestAPI} names


def test_policies_are_the_documents_provision_writes(template, provisioned):
    session, report = provisioned
    out = report.outputs
    (bucket_policy,) = of_type(template, "AWS::S3::BucketPolicy").values()
    have = client(session, "s3").get_bucket_policy(Bucket=out["INBOUND_MAIL_BUCKET"])["Policy"]
    assert canonical(bucket_policy["PolicyDocument"]) == canonical(have)

    topic_policies = of_type(template, "AWS::SNS::TopicPolicy")
    for logical_id, role in (("ReceivedTopicPolicy", "RECEIVED"), ("FeedbackTopicPolicy", "FEEDBACK")):
        attributes = client(session, "sns").get_topic_attributes(TopicArn=out[f"INBOUND_{role}_TOPIC_ARN"])
        assert canonical(topic_policies[logical_id]["PolicyDocument"]) == canonical(
            attributes["Attributes"]["Policy"]
        )

    queue_policies = of_type(template, "AWS::SQS::QueuePolicy")
    for logical_id, role in (("IngestQueuePolicy", "INGEST"), ("FeedbackQueuePolicy", "FEEDBACK")):
        attributes = client(session, "sqs").get_queue_attributes(
            QueueUrl=out[f"INBOUND_{role}_QUEUE_URL"], AttributeNames=["Policy"]
        )
        assert canonical(queue_policies[logical_id]["PolicyDocument"]) == canonical(
            attributes["Attributes"]["Policy"]
        )


def test_queues_wait_six_function_timeouts_and_retry_into_their_dead_letter_queue(template, provisioned):
    session, report = provisioned
    config = read_stage_config(REPO, STAGE)
    # `inbound provision` sets the visibility from its constants: they must follow config.json.
    assert (INGEST_FUNCTION_TIMEOUT, FEEDBACK_FUNCTION_TIMEOUT) == (
        config.ingest_function_timeout,
        config.feedback_function_timeout,
    )
    queues = template["Resources"]
    for role, timeout in (
        ("Ingest", config.ingest_function_timeout),
        ("Feedback", config.feedback_function_timeout),
    ):
        props = queues[f"{role}Queue"]["Properties"]
        have = client(session, "sqs").get_queue_attributes(
            QueueUrl=report.outputs[f"INBOUND_{role.upper()}_QUEUE_URL"], AttributeNames=["All"]
        )["Attributes"]
        assert props["VisibilityTimeout"] == 6 * timeout == int(have["VisibilityTimeout"])
        assert props["MessageRetentionPeriod"] == int(have["MessageRetentionPeriod"]) == 1_209_600
        assert props["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [f"{role}DeadLetterQueue", "Arn"]},
            "maxReceiveCount": json.loads(have["RedrivePolicy"])["maxReceiveCount"],
        }


def test_tables_and_receipt_rule_match_what_provision_made(template, provisioned):
    session, report = provisioned
    ddb = client(session, "dynamodb")
    for logical_id, props in of_type(template, "AWS::DynamoDB::Table").items():
        have = ddb.describe_table(TableName=props["TableName"])["Table"]
        assert props["KeySchema"] == have["KeySchema"]
        assert {
            (g["IndexName"], json.dumps(g["KeySchema"])) for g in props.get("GlobalSecondaryIndexes", [])
        } == {(g["IndexName"], json.dumps(g["KeySchema"])) for g in have.get("GlobalSecondaryIndexes", [])}
        ttl = ddb.describe_time_to_live(TableName=props["TableName"])["TimeToLiveDescription"]
        assert props["TimeToLiveSpecification"] == {"AttributeName": ttl["AttributeName"], "Enabled": True}
        assert template["Resources"][logical_id]["DeletionPolicy"] == "Retain"

    (rule,) = of_type(template, "AWS::SES::ReceiptRule").values()
    have = client(session, "ses").describe_receipt_rule(
        RuleSetName="inbound-dev", RuleName="inbound-dev-receive"
    )
    assert rule["Rule"]["Actions"] == have["Rule"]["Actions"]
    assert sorted(rule["Rule"]["Recipients"]) == sorted(have["Rule"]["Recipients"])
    assert (rule["Rule"]["TlsPolicy"], rule["Rule"]["ScanEnabled"]) == ("Optional", True)


def test_alarms_are_alarm_specs_notifying_the_stacks_alarms_topic(template):
    names = Names(STAGE, "example.com", REGION, ACCOUNT)
    alarms = {props["AlarmName"]: props for props in of_type(template, "AWS::CloudWatch::Alarm").values()}

    assert list(alarms) == [spec.name for spec in alarm_specs(names)]
    for spec in alarm_specs(names):
        assert alarms[spec.name] == spec.properties({"Ref": "AlarmsTopic"})
    assert template["Resources"]["AlarmsTopic"]["Properties"]["TopicName"] == "inbound-dev-alarms"
