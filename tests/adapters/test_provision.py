"""`inbound provision` against moto: every resource the Lambdas need, idempotent, self-healing.

GIVEN an empty (moto) account, WHEN provision runs, THEN each resource exists with the
properties the pipeline relies on; a second run writes nothing; drift is put back.

Over 300 lines on purpose: one provisioned stage read by many checks
(TestOneProvisionedStage, provisioned once), then the runs that change it; apart, each
module would provision its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from chalicelib.settings import Settings
from chalicelib.wiring.clients import new_session
from inbound.local import moto_fidelity
from inbound.stage.provision.context import ProvisionError
from inbound.stage.provision.report import render_report
from inbound.stage.provision.run import delete, provision, rotate_reply_secret

REGION = "eu-west-1"  # not us-east-1: bucket creation needs a LocationConstraint here
STAGE = "test"
DOMAIN = "example.com"
ACCOUNT = "123456789012"  # moto's default account
# The stage's rule in whichever rule set it lives (the active set may be an operator's).
RULE_ARN = f"arn:aws:ses:{REGION}:{ACCOUNT}:receipt-rule-set/*:receipt-rule/inbound-test-receive"

OUTPUT_KEYS = {
    "INBOUND_MAIL_BUCKET",
    "INBOUND_TICKETS_TABLE",
    "INBOUND_SUPPRESSION_TABLE",
    "INBOUND_RECEIVED_TOPIC_ARN",
    "INBOUND_INGEST_QUEUE_URL",
    "INBOUND_INGEST_QUEUE_ARN",
    "INBOUND_INGEST_DLQ_URL",
    "INBOUND_INGEST_DLQ_ARN",
    "INBOUND_FEEDBACK_TOPIC_ARN",
    "INBOUND_FEEDBACK_QUEUE_URL",
    "INBOUND_FEEDBACK_QUEUE_ARN",
    "INBOUND_FEEDBACK_DLQ_URL",
    "INBOUND_FEEDBACK_DLQ_ARN",
    "INBOUND_EVENTS_TOPIC_ARN",
    "INBOUND_CONFIGURATION_SET",
    "INBOUND_RULE_SET",
    "INBOUND_USER_POOL_ID",
    "INBOUND_USER_POOL_CLIENT_ID",
    "INBOUND_REPLY_SECRET_PARAMETER",
    "INBOUND_DOMAIN",
    "INBOUND_STAGE",
}


# The embedded stack's moto fixes (a conditional Deny in the bucket policy, DeleteReceiptRule).
moto_fidelity.install()


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield new_session(REGION)


@pytest.fixture
def outputs(session: boto3.session.Session) -> dict[str, str]:
    return provision(session, STAGE, DOMAIN, REGION).outputs


def client(session: boto3.session.Session, service: str) -> Any:
    return session.client(service, region_name=REGION)


def queue_attributes(session: boto3.session.Session, url: str) -> dict[str, str]:
    return client(session, "sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def secret_value(session: boto3.session.Session, name: str) -> str:
    ssm = client(session, "ssm")
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


class TestOneProvisionedStage:
    """Read-only checks of one provisioned stage (provisioned once for the class)."""

    @pytest.fixture(scope="class")
    def session(self) -> Iterator[boto3.session.Session]:
        with mock_aws():
            yield new_session(REGION)

    @pytest.fixture(scope="class")
    def outputs(self, session: boto3.session.Session) -> dict[str, str]:
        return provision(session, STAGE, DOMAIN, REGION).outputs

    def test_outputs_name_every_resource_and_feed_the_lambda_settings(self, session, outputs):
        assert OUTPUT_KEYS <= set(outputs)
        assert outputs["INBOUND_MAIL_BUCKET"] == f"inbound-test-mail-{ACCOUNT}"
        settings = Settings.from_env({**outputs, "AWS_REGION": REGION})
        assert settings.mail_bucket == outputs["INBOUND_MAIL_BUCKET"]
        assert settings.tickets_table == "inbound-test-tickets"
        assert settings.suppression_table == "inbound-test-suppression"
        assert settings.reply_secret_parameter == "/inbound/test/reply-token-secret"
        assert settings.mailboxes == {"support@example.com": "support", "billing@example.com": "billing"}
        assert settings.default_mailbox == "support"

    def test_bucket_takes_only_ses_writes_to_incoming_and_keeps_unprocessed_mail(self, session, outputs):
        s3, bucket = client(session, "s3"), outputs["INBOUND_MAIL_BUCKET"]
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
        assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
        assert allow["Action"] == "s3:PutObject"
        assert allow["Resource"] == f"arn:aws:s3:::{bucket}/incoming/*"
        assert allow["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": RULE_ARN},
        }
        (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert (deny["Principal"], deny["Action"]) == ("*", "s3:*")
        assert set(deny["Resource"]) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}

        encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        )

        rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
        archive = rules["archive-to-glacier-ir"]
        assert archive["Filter"] == {"Prefix": "archive/"}
        assert archive["Transitions"] == [{"Days": 30, "StorageClass": "GLACIER_IR"}]
        assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
            "DaysAfterInitiation": 7
        }
        expiring = {r["Filter"]["Prefix"]: r["Expiration"] for r in rules.values() if "Expiration" in r}
        # No mail may ever expire; only reply attachments uploaded and never sent do.
        assert expiring == {"uploads/": {"Days": 1}}

    def test_tables_are_on_demand_with_recovery_ttl_and_the_queue_indexes(self, session, outputs):
        ddb = client(session, "dynamodb")
        for table in (outputs["INBOUND_TICKETS_TABLE"], outputs["INBOUND_SUPPRESSION_TABLE"]):
            desc = ddb.describe_table(TableName=table)["Table"]
            assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
            assert [(k["AttributeName"], k["KeyType"]) for k in desc["KeySchema"]] == [
                ("pk", "HASH"),
                ("sk", "RANGE"),
            ]
            backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
            assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
            ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")

        tickets = ddb.describe_table(TableName=outputs["INBOUND_TICKETS_TABLE"])["Table"]
        indexes = {
            g["IndexName"]: ([k["AttributeName"] for k in g["KeySchema"]], g["Projection"]["ProjectionType"])
            for g in tickets["GlobalSecondaryIndexes"]
        }
        assert indexes == {
            "queue": (["gsi1pk", "gsi1sk"], "ALL"),
            "byassignee": (["gsi2pk", "gsi2sk"], "ALL"),
            "byrequester": (["gsi3pk", "gsi3sk"], "ALL"),
            "queuebydue": (["gsi1pk", "duesk"], "ALL"),
            "slawatch": (["watchpk", "watchsk"], "ALL"),
        }
        suppression = ddb.describe_table(TableName=outputs["INBOUND_SUPPRESSION_TABLE"])["Table"]
        assert not suppression.get("GlobalSecondaryIndexes")

    @pytest.mark.parametrize(("role", "visibility"), [("INGEST", "720"), ("FEEDBACK", "180")])
    def test_queues_retry_five_times_into_a_dead_letter_queue_that_keeps_14_days(
        self, session, outputs, role, visibility
    ):
        main = queue_attributes(session, outputs[f"INBOUND_{role}_QUEUE_URL"])
        dlq = queue_attributes(session, outputs[f"INBOUND_{role}_DLQ_URL"])
        assert main["VisibilityTimeout"] == visibility  # 6x the function timeout
        assert main["MessageRetentionPeriod"] == dlq["MessageRetentionPeriod"] == "1209600"
        redrive = json.loads(main["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == outputs[f"INBOUND_{role}_DLQ_ARN"]
        assert int(redrive["maxReceiveCount"]) == 5
        (statement,) = json.loads(main["Policy"])["Statement"]
        topic = outputs["INBOUND_RECEIVED_TOPIC_ARN" if role == "INGEST" else "INBOUND_FEEDBACK_TOPIC_ARN"]
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": topic}}

    def test_ses_notifications_reach_the_queues_raw(self, session, outputs):
        sns, sqs = client(session, "sns"), client(session, "sqs")
        for topic, queue in [("RECEIVED", "INGEST"), ("FEEDBACK", "FEEDBACK")]:
            notification = json.dumps({"notificationType": "Received", "mail": {"messageId": topic}})
            sns.publish(TopicArn=outputs[f"INBOUND_{topic}_TOPIC_ARN"], Message=notification)
            got = sqs.receive_message(QueueUrl=outputs[f"INBOUND_{queue}_QUEUE_URL"], WaitTimeSeconds=0)
            assert [m["Body"] for m in got["Messages"]] == [notification]  # no SNS envelope

    def test_topics_let_ses_of_this_account_publish(self, session, outputs):
        sns = client(session, "sns")
        for role in ("RECEIVED", "FEEDBACK"):
            arn = outputs[f"INBOUND_{role}_TOPIC_ARN"]
            policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
            (statement,) = policy["Statement"]
            assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
            assert statement["Resource"] == arn
            assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        assert outputs["INBOUND_EVENTS_TOPIC_ARN"].endswith(":inbound-test-events")

    def test_receipt_rule_stores_mail_and_notifies_for_every_address_of_the_domain(self, session, outputs):
        ses = client(session, "ses")
        active = ses.describe_active_receipt_rule_set()
        assert active["Metadata"]["Name"] == outputs["INBOUND_RULE_SET"] == "inbound-test"
        (rule,) = active["Rules"]
        assert rule["Enabled"] is True
        assert rule["ScanEnabled"] is True
        assert rule["TlsPolicy"] == "Optional"  # mail from servers without STARTTLS still arrives
        assert set(rule["Recipients"]) == {"support@example.com", "billing@example.com", "example.com"}
        assert rule["Actions"] == [
            {
                "S3Action": {
                    "BucketName": outputs["INBOUND_MAIL_BUCKET"],
                    "ObjectKeyPrefix": "incoming/",
                    "TopicArn": outputs["INBOUND_RECEIVED_TOPIC_ARN"],
                }
            }
        ]

    def test_configuration_set_sends_delivery_events_to_the_feedback_topic(self, session, outputs):
        # Through SES v2: DELIVERY_DELAY is not a v1 event type (v1 answers ValidationError).
        sesv2 = client(session, "sesv2")
        described = sesv2.get_configuration_set_event_destinations(
            ConfigurationSetName=outputs["INBOUND_CONFIGURATION_SET"]
        )
        (destination,) = [d for d in described["EventDestinations"] if "SnsDestination" in d]
        assert destination["Enabled"] is True
        assert set(destination["MatchingEventTypes"]) == {
            "SEND",
            "REJECT",
            "BOUNCE",
            "COMPLAINT",
            "DELIVERY",
            "DELIVERY_DELAY",
        }
        assert destination["SnsDestination"]["TopicArn"] == outputs["INBOUND_FEEDBACK_TOPIC_ARN"]

    def test_staff_pool_is_invite_only_by_email_with_a_public_client(self, session, outputs):
        cognito = client(session, "cognito-idp")
        pool_id = outputs["INBOUND_USER_POOL_ID"]
        pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        assert pool["Name"] == "inbound-test-staff"
        assert pool["UsernameAttributes"] == ["email"]
        assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
        password = pool["Policies"]["PasswordPolicy"]
        assert password["MinimumLength"] >= 12
        assert all(
            password[k] for k in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols")
        )
        assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OPTIONAL"
        groups = cognito.list_groups(UserPoolId=pool_id)["Groups"]
        assert sorted(g["GroupName"] for g in groups) == ["admin", "agent"], "the staff roles"

        app = cognito.describe_user_pool_client(
            UserPoolId=pool_id, ClientId=outputs["INBOUND_USER_POOL_CLIENT_ID"]
        )
        app = app["UserPoolClient"]
        assert "ClientSecret" not in app
        assert set(app["ExplicitAuthFlows"]) == {
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_SRP_AUTH",
        }

    def test_reply_secret_is_a_secure_string_of_32_random_bytes(self, session, outputs):
        name = outputs["INBOUND_REPLY_SECRET_PARAMETER"]
        parameter = client(session, "ssm").get_parameter(Name=name, WithDecryption=False)["Parameter"]
        assert parameter["Type"] == "SecureString"
        value = secret_value(session, name)
        assert len(bytes.fromhex(value)) == 32


def test_second_run_changes_nothing_and_keeps_the_secret(session):
    first = provision(session, STAGE, DOMAIN, REGION)
    secret = secret_value(session, first.outputs["INBOUND_REPLY_SECRET_PARAMETER"])

    second = provision(session, STAGE, DOMAIN, REGION)

    assert {e.action for e in first.entries} >= {"created"}
    assert [(e.resource, e.name, e.action) for e in second.entries if e.action != "unchanged"] == []
    assert [(e.resource, e.name) for e in second.entries] == [(e.resource, e.name) for e in first.entries]
    assert second.outputs == first.outputs
    assert secret_value(session, first.outputs["INBOUND_REPLY_SECRET_PARAMETER"]) == secret
    # ... and says so, in one line under the table.
    assert f"Nothing changed: all {len(second.entries)} resources are as wanted." in render_report(second)
    assert "Nothing changed" not in render_report(first) and " created" in render_report(first)


def test_printed_dns_records_carry_the_identitys_dkim_tokens(session):
    report = provision(session, STAGE, DOMAIN, REGION)
    text = render_report(report)

    dkim = client(session, "ses").get_identity_dkim_attributes(Identities=[DOMAIN])["DkimAttributes"]
    tokens = dkim[DOMAIN]["DkimTokens"]
    assert len(tokens) == 3
    for token in tokens:
        assert f"{token}._domainkey.example.com" in text
        assert f"{token}.dkim.amazonses.com" in text
    records = {(r.name, r.type): r.value for r in report.dns_records}
    assert records[("example.com", "MX")] == f"10 inbound-smtp.{REGION}.amazonaws.com"
    assert records[("bounce.example.com", "TXT")] == "v=spf1 include:amazonses.com ~all"
    # p=none first, and no aggregate reports into the support queue (every address of the
    # domain becomes a ticket); the note says where they can go and when to tighten.
    assert records[("_dmarc.example.com", "TXT")] == "v=DMARC1; p=none"
    rendered = render_report(report)
    assert "NOT at this domain" in rendered and "move to p=quarantine" in rendered
    assert "inbound-test-mail-123456789012" in text and "created" in text


def _shorter_retention(session, outputs):
    sqs = client(session, "sqs")
    sqs.set_queue_attributes(
        QueueUrl=outputs["INBOUND_INGEST_QUEUE_URL"], Attributes={"MessageRetentionPeriod": "345600"}
    )


def _check_retention(session, outputs):
    assert (
        queue_attributes(session, outputs["INBOUND_INGEST_QUEUE_URL"])["MessageRetentionPeriod"] == "1209600"
    )


def _open_bucket(session, outputs):
    client(session, "s3").delete_public_access_block(Bucket=outputs["INBOUND_MAIL_BUCKET"])


def _check_bucket(session, outputs):
    s3 = client(session, "s3")
    block = s3.get_public_access_block(Bucket=outputs["INBOUND_MAIL_BUCKET"])
    assert all(block["PublicAccessBlockConfiguration"].values())


def _required_tls(session, outputs):
    ses = client(session, "ses")
    rule = ses.describe_receipt_rule(RuleSetName="inbound-test", RuleName="inbound-test-receive")["Rule"]
    ses.update_receipt_rule(RuleSetName="inbound-test", Rule={**rule, "TlsPolicy": "Require"})


def _check_tls(session, outputs):
    ses = client(session, "ses")
    rule = ses.describe_receipt_rule(RuleSetName="inbound-test", RuleName="inbound-test-receive")["Rule"]
    assert rule["TlsPolicy"] == "Optional"


def _pitr_off(session, outputs):
    client(session, "dynamodb").update_continuous_backups(
        TableName=outputs["INBOUND_TICKETS_TABLE"],
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    )


def _check_pitr(session, outputs):
    ddb = client(session, "dynamodb")
    backups = ddb.describe_continuous_backups(TableName=outputs["INBOUND_TICKETS_TABLE"])
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"
    ] == ("ENABLED")


def _weak_passwords(session, outputs):
    client(session, "cognito-idp").update_user_pool(
        UserPoolId=outputs["INBOUND_USER_POOL_ID"],
        Policies={"PasswordPolicy": {"MinimumLength": 6}},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
    )


def _check_passwords(session, outputs):
    cognito = client(session, "cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=outputs["INBOUND_USER_POOL_ID"])["UserPool"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])["MfaConfiguration"] == "OPTIONAL"


Drift = Callable[[Any, dict[str, str]], None]
DRIFTS: list[tuple[str, Drift, tuple[str, str], Drift]] = [
    ("queue retention", _shorter_retention, ("sqs-queue", "inbound-test-ingest"), _check_retention),
    ("public bucket", _open_bucket, ("s3-bucket", f"inbound-test-mail-{ACCOUNT}"), _check_bucket),
    ("TLS required", _required_tls, ("ses-receipt-rule", "inbound-test-receive"), _check_tls),
    ("PITR off", _pitr_off, ("dynamodb-table", "inbound-test-tickets"), _check_pitr),
    ("weak pool", _weak_passwords, ("cognito-user-pool", "inbound-test-staff"), _check_passwords),
]


@pytest.mark.parametrize(("mutate", "entry", "check"), [d[1:] for d in DRIFTS], ids=[d[0] for d in DRIFTS])
def test_a_changed_property_is_reported_changed_and_put_back(session, outputs, mutate, entry, check):
    mutate(session, outputs)

    report = provision(session, STAGE, DOMAIN, REGION)

    changed = [(e.resource, e.name) for e in report.entries if e.action != "unchanged"]
    assert changed == [entry]
    assert report.action(*entry) == "changed"
    check(session, outputs)
    again = provision(session, STAGE, DOMAIN, REGION)
    assert {e.action for e in again.entries} == {"unchanged"}


def test_delete_keeps_mail_and_tickets_by_default_and_provision_picks_them_up(session, outputs):
    s3, ddb = client(session, "s3"), client(session, "dynamodb")
    bucket, table = outputs["INBOUND_MAIL_BUCKET"], outputs["INBOUND_TICKETS_TABLE"]
    s3.put_object(Bucket=bucket, Key="incoming/abc123", Body=b"Subject: hi\r\n\r\nstill here\r\n")
    ddb.put_item(TableName=table, Item={"pk": {"S": "TICKET#T-1"}, "sk": {"S": "META"}})
    secret = secret_value(session, outputs["INBOUND_REPLY_SECRET_PARAMETER"])

    report = delete(session, STAGE, REGION)

    assert report.action("s3-bucket") == "kept"
    assert report.action("dynamodb-table", table) == "kept"
    assert report.action("sqs-queue", "inbound-test-ingest") == "deleted"
    assert client(session, "ses").describe_active_receipt_rule_set().get("Metadata") is None
    assert client(session, "sqs").list_queues().get("QueueUrls", []) == []
    assert client(session, "sns").list_topics()["Topics"] == []

    again = provision(session, STAGE, DOMAIN, REGION)
    assert again.action("s3-bucket") == again.action("dynamodb-table", table) == "unchanged"
    assert again.action("sqs-queue", "inbound-test-ingest") == "created"
    assert s3.get_object(Bucket=bucket, Key="incoming/abc123")["Body"].read().endswith(b"still here\r\n")
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "TICKET#T-1"}, "sk": {"S": "META"}})["Item"]
    assert secret_value(session, outputs["INBOUND_REPLY_SECRET_PARAMETER"]) == secret


def test_delete_without_keep_data_removes_bucket_tables_and_pool(session, outputs):
    client(session, "s3").put_object(Bucket=outputs["INBOUND_MAIL_BUCKET"], Key="archive/x.eml", Body=b"x")

    report = delete(session, STAGE, REGION, keep_data=False)

    assert report.action("s3-bucket") == "deleted"
    assert client(session, "s3").list_buckets()["Buckets"] == []
    assert client(session, "dynamodb").list_tables()["TableNames"] == []
    assert client(session, "cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []


def test_rotation_keeps_the_previous_secret_and_provision_leaves_both_alone(session, outputs):
    name = outputs["INBOUND_REPLY_SECRET_PARAMETER"]
    old = secret_value(session, name)

    rotate_reply_secret(session, STAGE, REGION)
    new = secret_value(session, name)
    report = provision(session, STAGE, DOMAIN, REGION)

    assert new != old and len(bytes.fromhex(new)) == 32
    assert secret_value(session, f"{name}-previous") == old
    assert report.action("ssm-parameter") == "unchanged"
    assert secret_value(session, name) == new


def test_a_differing_event_destination_is_updated_in_place(session):
    """A destination left by an older provision (v1 event types only) gains DELIVERY_DELAY."""
    ses, sesv2, sns = client(session, "ses"), client(session, "sesv2"), client(session, "sns")
    topic = sns.create_topic(Name="inbound-test-feedback")["TopicArn"]
    ses.create_configuration_set(ConfigurationSet={"Name": "inbound-test"})
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="inbound-test",
        EventDestinationName="inbound-test-feedback",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["SEND"],
            "SnsDestination": {"TopicArn": topic},
        },
    )

    report = provision(session, STAGE, DOMAIN, REGION)

    assert report.action("ses-event-destination", "inbound-test/inbound-test-feedback") == "changed"
    (destination,) = [
        d
        for d in sesv2.get_configuration_set_event_destinations(ConfigurationSetName="inbound-test")[
            "EventDestinations"
        ]
        if d["Name"] == "inbound-test-feedback"
    ]
    assert "DELIVERY_DELAY" in destination["MatchingEventTypes"]
    again = provision(session, STAGE, DOMAIN, REGION)
    assert again.action("ses-event-destination", "inbound-test/inbound-test-feedback") == "unchanged"


def test_mailboxes_must_belong_to_the_domain_and_stage_must_fit_names(session):
    with pytest.raises(ProvisionError):
        provision(session, STAGE, DOMAIN, REGION, mailboxes=["help@other.org"])
    with pytest.raises(ProvisionError):
        provision(session, "Prod_1", DOMAIN, REGION)


def test_custom_mailboxes_become_recipients_and_the_first_is_the_default(session):
    report = provision(session, STAGE, DOMAIN, REGION, mailboxes=["Help@example.com"], activate=False)

    ses = client(session, "ses")
    rule = ses.describe_receipt_rule(RuleSetName="inbound-test", RuleName="inbound-test-receive")["Rule"]
    assert set(rule["Recipients"]) == {"help@example.com", "example.com"}
    assert ses.describe_active_receipt_rule_set().get("Metadata") is None
    assert report.outputs["INBOUND_DEFAULT_MAILBOX"] == "help"


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_against_a_moto_server_endpoint_as_inbound_up_uses_it(moto_server):
    session = boto3.session.Session(region_name="us-east-1")

    first = provision(session, "local", DOMAIN, "us-east-1", endpoint_url=moto_server)
    second = provision(session, "local", DOMAIN, "us-east-1", endpoint_url=moto_server)

    assert first.outputs["INBOUND_ENDPOINT_URL"] == moto_server
    assert {e.action for e in second.entries} == {"unchanged"}
    s3 = session.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    assert s3.head_bucket(Bucket=first.outputs["INBOUND_MAIL_BUCKET"])
    delete(session, "local", "us-east-1", endpoint_url=moto_server, keep_data=False)


def test_bounces_never_come_back_as_mail_and_delete_gives_forwarding_back(session):
    """GIVEN a new domain identity (SES forwards bounces and complaints as mail by default)
    WHEN provision runs THEN forwarding is off, which SES allows only with SNS topics for
    both kinds: the stage's identity-feedback topic, which nothing reads (the configuration
    set's events are the source)."""
    ses = client(session, "ses")
    provision(session, STAGE, DOMAIN, REGION)
    attributes = ses.get_identity_notification_attributes(Identities=[DOMAIN])["NotificationAttributes"][
        DOMAIN
    ]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:inbound-test-identity-feedback"
    assert attributes["ForwardingEnabled"] is False
    assert (attributes["BounceTopic"], attributes["ComplaintTopic"]) == (topic, topic)

    delete(session, STAGE, REGION)
    attributes = ses.get_identity_notification_attributes(Identities=[DOMAIN])["NotificationAttributes"][
        DOMAIN
    ]
    assert attributes["ForwardingEnabled"] is True and "BounceTopic" not in attributes


def test_tearing_down_one_of_two_stages_on_a_domain_keeps_forwarding_off_for_the_other(session):
    """GIVEN two stages receiving one domain (the second found the first's topics and kept
    them) WHEN the first is torn down THEN the domain's notifications move to the second's
    topic and forwarding stays off (bounces would come back to its mailboxes as mail);
    once the second goes too, the domain has forwarding back."""
    ses = client(session, "ses")
    provision(session, "first", DOMAIN, REGION)
    provision(session, STAGE, DOMAIN, REGION)

    torn_down = delete(session, "first", REGION)

    attributes = ses.get_identity_notification_attributes(Identities=[DOMAIN])["NotificationAttributes"][
        DOMAIN
    ]
    ours = f"arn:aws:sns:{REGION}:{ACCOUNT}:inbound-test-identity-feedback"
    assert attributes["ForwardingEnabled"] is False
    assert (attributes["BounceTopic"], attributes["ComplaintTopic"]) == (ours, ours)
    assert "stays off" in next(e.detail for e in torn_down.entries if e.resource == "ses-feedback-forwarding")

    delete(session, STAGE, REGION)
    attributes = ses.get_identity_notification_attributes(Identities=[DOMAIN])["NotificationAttributes"][
        DOMAIN
    ]
    assert attributes["ForwardingEnabled"] is True and "BounceTopic" not in attributes


def test_a_region_without_ses_receiving_is_refused_in_one_line(session):
    with pytest.raises(ProvisionError) as refused:
        provision(session, STAGE, DOMAIN, "eu-north-1")
    assert "SES does not receive mail in eu-north-1" in str(refused.value)
    assert "\n" not in str(refused.value)
    report = provision(session, STAGE, DOMAIN, REGION)
    assert report.action("ses-receiving") == "unchanged"
    assert f"inbound-smtp.{REGION}.amazonaws.com" in render_report(report)


def test_announcements_get_their_own_configuration_set_and_queue(session):
    """GIVEN a provisioned stage THEN announcements send with a set of their own, publishing the
    same events to the same feedback topic (so they are counted apart), and read a queue with a
    dead-letter queue; a second run changes nothing."""
    report = provision(session, STAGE, DOMAIN, REGION)
    sesv2, sqs = session.client("sesv2", region_name=REGION), session.client("sqs", region_name=REGION)
    assert report.outputs["INBOUND_ANNOUNCEMENT_CONFIGURATION_SET"] == "inbound-test-announcements"
    (destination,) = [
        d
        for d in sesv2.get_configuration_set_event_destinations(
            ConfigurationSetName="inbound-test-announcements"
        )["EventDestinations"]
        if "SnsDestination" in d
    ]
    assert destination["SnsDestination"]["TopicArn"] == report.outputs["INBOUND_FEEDBACK_TOPIC_ARN"]
    assert "COMPLAINT" in destination["MatchingEventTypes"] and "SEND" in destination["MatchingEventTypes"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=report.outputs["INBOUND_ANNOUNCE_QUEUE_URL"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert (
        json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
        == report.outputs["INBOUND_ANNOUNCE_DLQ_ARN"]
    )
    again = provision(session, STAGE, DOMAIN, REGION)
    assert again.action("sqs-queue", "inbound-test-announce") == "unchanged"
    assert (
        again.action("ses-event-destination", "inbound-test-announcements/inbound-test-feedback")
        == "unchanged"
    )
