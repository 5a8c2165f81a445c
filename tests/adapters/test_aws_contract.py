"""The AWS contract hook (inbound/local/aws_contract/): each constraint of botocore's service
models refuses a request moto accepts, and accepts its valid neighbour; the hook is on for
sessions made after install. The service rules the models lack:
test_aws_contract_service_rules.py.

GIVEN two sessions on one moto, `bare` without the hook and `aws` with it,
WHEN the same request goes through each,
THEN moto takes it from `bare` and the hook refuses it from `aws`, as AWS would.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from inbound.local import aws_contract
from inbound.local.aws_contract.patterns import translate_pattern
from tests.support.aws_contract_sessions import (
    ACCOUNT,
    REGION,
    Sessions,
    refused,
    table,
)

# -- constraints of botocore's service models --


def test_enum_ses_v1_event_types_lack_delivery_delay(sessions: Sessions) -> None:
    aws, bare = sessions.both("ses")
    aws.create_configuration_set(ConfigurationSet={"Name": "a"})
    bare.create_configuration_set(ConfigurationSet={"Name": "b"})
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:feedback"

    def destination(name: str, types: list[str]) -> dict[str, Any]:
        return {
            "Name": name,
            "Enabled": True,
            "MatchingEventTypes": types,
            "SNSDestination": {"TopicARN": topic},
        }

    bare.create_configuration_set_event_destination(
        ConfigurationSetName="b", EventDestination=destination("b", ["delivery", "deliveryDelay"])
    )
    error = refused(
        lambda: aws.create_configuration_set_event_destination(
            ConfigurationSetName="a", EventDestination=destination("a", ["delivery", "deliveryDelay"])
        ),
        "ValidationError",
        "model",
    )
    assert "enum value set" in str(error)
    aws.create_configuration_set_event_destination(
        ConfigurationSetName="a", EventDestination=destination("a", ["delivery"])
    )
    # SES v2 has the event type (inbound/local/moto_sesv2.py gives moto the call), as provision uses it.
    sesv2 = sessions.aws.client("sesv2", region_name=REGION)
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="a",
        EventDestinationName="v2",
        EventDestination={"MatchingEventTypes": ["DELIVERY_DELAY"], "SnsDestination": {"TopicArn": topic}},
    )


def test_pattern_cognito_username_has_no_spaces(sessions: Sessions) -> None:
    aws, bare = sessions.both("cognito-idp")
    pool = aws.create_user_pool(PoolName="staff")["UserPool"]["Id"]
    bare.admin_create_user(UserPoolId=pool, Username="ann smith")
    refused(
        lambda: aws.admin_create_user(UserPoolId=pool, Username="ann smith"),
        "InvalidParameterException",
        "model",
    )
    aws.admin_create_user(UserPoolId=pool, Username="ann.smith@example.com")


def test_max_length_of_a_string(sessions: Sessions) -> None:
    aws, bare = sessions.both("cloudwatch")

    def alarm(client: Any, name: str) -> None:
        client.put_metric_alarm(
            AlarmName=name,
            MetricName="Errors",
            Namespace="inbound",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )

    alarm(bare, "x" * 256)
    refused(lambda: alarm(aws, "x" * 256), "ValidationError", "model")  # AlarmName: max 255
    alarm(aws, "x" * 255)


def test_maximum_of_a_number(sessions: Sessions) -> None:
    aws, bare = sessions.both("cognito-idp")
    pool = aws.create_user_pool(PoolName="staff")["UserPool"]["Id"]
    bare.list_users(UserPoolId=pool, Limit=61)
    refused(lambda: aws.list_users(UserPoolId=pool, Limit=61), "InvalidParameterException", "model")
    aws.list_users(UserPoolId=pool, Limit=60)


def test_max_length_of_a_list(sessions: Sessions) -> None:
    aws, bare = sessions.both("dynamodb")
    name = table(aws, "t")
    puts = [{"PutRequest": {"Item": {"pk": {"S": str(i)}, "sk": {"S": "a"}}}} for i in range(26)]
    bare.batch_write_item(RequestItems={name: puts})  # BatchWriteItem: at most 25 requests
    refused(lambda: aws.batch_write_item(RequestItems={name: puts}), "ValidationException", "model")
    aws.batch_write_item(RequestItems={name: puts[:25]})


def test_min_size_of_a_map(sessions: Sessions) -> None:
    aws, bare = sessions.both("dynamodb")
    table(aws, "t")
    bare.batch_get_item(RequestItems={})
    refused(lambda: aws.batch_get_item(RequestItems={}), "ValidationException", "model")
    aws.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "a"}, "sk": {"S": "b"}}]}})


def test_a_sensitive_value_is_never_quoted() -> None:
    model = botocore.session.get_session().get_service_model("cognito-idp").operation_model("AdminCreateUser")
    request = {"UserPoolId": "us-east-1_a", "Username": "ann", "TemporaryPassword": "s3cr3t" * 50}
    with pytest.raises(ClientError) as caught:
        aws_contract.check_request(model, request)
    assert "s3cr3t" not in str(caught.value) and "at 'TemporaryPassword'" in str(caught.value)


def test_max_length_of_a_blob() -> None:
    # Checked without a request: moto implements no operation with a bounded blob inbound could send.
    model = (
        botocore.session.get_session().get_service_model("cognito-idp").operation_model("SetUICustomization")
    )
    with pytest.raises(ClientError) as caught:
        aws_contract.check_request(model, {"UserPoolId": "us-east-1_a", "ImageFile": b"x" * 131_073})
    assert "less than or equal to 131072" in str(caught.value)
    aws_contract.check_request(model, {"UserPoolId": "us-east-1_a", "ImageFile": b"x" * 131_072})


def test_patterns_translate_from_java() -> None:
    printable = translate_pattern(r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+")
    assert printable is not None and printable.fullmatch("Zoë-Ñ_ß@例え.jp") and not printable.fullmatch("a b")
    assert translate_pattern(r"[^_\p{Z}][\p{L}]+") is not None
    ascii_print = translate_pattern(r"\p{Print}+")
    assert ascii_print is not None and ascii_print.fullmatch("a b~") and not ascii_print.fullmatch("é")
    supplementary = translate_pattern(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*")
    assert (
        supplementary is not None and supplementary.fullmatch("a😀\n") and not supplementary.fullmatch("\x00")
    )
    role = translate_pattern(r"^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w-\/.@+=,]{1,1017}$")
    assert role is not None and role.fullmatch("arn:aws:iam::123456789012:role/a-b/c")
    assert translate_pattern(r"\p{IsAlphabetic}+") is None  # no exact translation: not checked


def test_the_hook_is_on_for_sessions_made_after_install() -> None:
    aws_contract.install()
    with mock_aws():
        sqs = boto3.session.Session(region_name=REGION).client("sqs")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        refused(
            lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577),
            "InvalidParameterValue",
            "sqs-message-size",
        )
