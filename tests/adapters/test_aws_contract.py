"""The AWS contract hook (inbound/local/aws_contract/): each rule refuses a request moto accepts,
and accepts its valid neighbour.

GIVEN two sessions on one moto, `bare` without the hook and `aws` with it,
WHEN the same request goes through each,
THEN moto takes it from `bare` and the hook refuses it from `aws`, as AWS would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from inbound.local import aws_contract
from inbound.local.aws_contract.patterns import translate_pattern

REGION = "us-east-1"
ACCOUNT = "123456789012"
IDENTITY = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.com"
RAW = b"From: support@example.com\r\nTo: ann@customer.test\r\nSubject: hello\r\n\r\nhi\r\n"


@dataclass
class Sessions:
    aws: Any
    bare: Any

    def both(self, service: str) -> tuple[Any, Any]:
        return self.aws.client(service, region_name=REGION), self.bare.client(service, region_name=REGION)


@pytest.fixture
def sessions() -> Iterator[Sessions]:
    aws_contract.install()
    core = botocore.session.Session()
    core.unregister(aws_contract.EVENT, aws_contract.check_request)
    with mock_aws():
        yield Sessions(
            boto3.session.Session(region_name=REGION), boto3.session.Session(botocore_session=core)
        )


def refused(call: Any, code: str, rule: str) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert (error["Code"], getattr(caught.value, "rule", None)) == (code, rule), error
    return caught.value


def table(db: Any, name: str) -> str:
    db.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


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


# -- service rules the models do not carry --


def test_dynamodb_partition_key_size(sessions: Sessions) -> None:
    aws, bare = sessions.both("dynamodb")
    name = table(aws, "t")
    big = {"pk": {"S": "é" * 1025}, "sk": {"S": "a"}}  # 2,050 bytes in 1,025 characters
    bare.get_item(TableName=name, Key=big)
    refused(lambda: aws.get_item(TableName=name, Key=big), "ValidationException", "dynamodb-key-size")
    aws.get_item(TableName=name, Key={"pk": {"S": "é" * 1024}, "sk": {"S": "a"}})


def test_dynamodb_key_size_in_every_request_shape(sessions: Sessions) -> None:
    aws, _ = sessions.both("dynamodb")
    name = table(aws, "t")
    long_pk = {"pk": {"S": "é" * 1025}, "sk": {"S": "x"}}  # 2,050 bytes in UTF-8
    long_sk = {"pk": {"S": "x"}, "sk": {"S": "k" * 1025}}
    calls = [
        lambda: aws.put_item(TableName=name, Item=long_pk),
        lambda: aws.update_item(TableName=name, Key=long_sk),
        lambda: aws.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": long_sk}}]),
        lambda: aws.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": long_pk}}]),
        lambda: aws.batch_get_item(RequestItems={name: {"Keys": [long_pk]}}),
        lambda: aws.batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": long_sk}}]}),
        lambda: aws.query(
            TableName=name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": long_pk["pk"]},
        ),
    ]
    with aws_contract.recording() as refusals:
        for call in calls:
            refused(call, "ValidationException", "dynamodb-key-size")
    assert len(refusals) == len(calls)
    aws.put_item(TableName=name, Item={"pk": {"S": "é" * 1024}, "sk": {"S": "k" * 1024}})


def test_dynamodb_sort_key_size(sessions: Sessions) -> None:
    aws, bare = sessions.both("dynamodb")
    name = table(aws, "t")
    big = {"pk": {"S": "a"}, "sk": {"S": "é" * 513}}
    bare.delete_item(TableName=name, Key=big)
    refused(lambda: aws.delete_item(TableName=name, Key=big), "ValidationException", "dynamodb-key-size")
    aws.delete_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "é" * 512}})


def test_dynamodb_item_size_by_dynamodbs_rules(sessions: Sessions) -> None:
    aws, bare = sessions.both("dynamodb")
    name = table(aws, "t")

    # "An attribute of type List or Map requires 3 bytes of overhead, regardless of its
    # contents": moto counts nothing for an empty map.
    def item(maps: int) -> dict[str, Any]:
        return {
            "pk": {"S": "a"},
            "sk": {"S": "b"},
            "body": {"S": "x" * 400_000},
            "l": {"L": [{"M": {}}] * maps},
        }

    bare.put_item(TableName=name, Item=item(3_300))  # 400,000 bytes, plus 9,900 of overhead
    refused(
        lambda: aws.put_item(TableName=name, Item=item(3_300)), "ValidationException", "dynamodb-item-size"
    )
    aws.put_item(TableName=name, Item=item(3_000))


def test_dynamodb_transaction_of_more_than_4_mb(sessions: Sessions) -> None:
    aws, bare = sessions.both("dynamodb")
    name = table(aws, "t")

    def puts(count: int) -> list[dict[str, Any]]:
        item = {"pk": {"S": "a"}, "body": {"S": "x" * 390_000}}
        return [{"Put": {"TableName": name, "Item": {**item, "sk": {"S": str(i)}}}} for i in range(count)]

    bare.transact_write_items(TransactItems=puts(11))
    refused(
        lambda: aws.transact_write_items(TransactItems=puts(11)),
        "ValidationException",
        "dynamodb-transaction-size",
    )
    aws.transact_write_items(TransactItems=puts(10))


def test_sns_message_size_in_utf8_bytes(sessions: Sessions) -> None:
    aws, bare = sessions.both("sns")
    topic = aws.create_topic(Name="feedback")["TopicArn"]
    bare.publish(TopicArn=topic, Message="é" * 140_000)  # 280,000 bytes in 140,000 characters
    refused(
        lambda: aws.publish(TopicArn=topic, Message="é" * 140_000), "InvalidParameter", "sns-message-size"
    )
    attribute = {"a": {"DataType": "String", "StringValue": "x" * 100}}
    refused(
        lambda: aws.publish(TopicArn=topic, Message="x" * 262_100, MessageAttributes=attribute),
        "InvalidParameter",
        "sns-message-size",
    )
    aws.publish(TopicArn=topic, Message="é" * 131_072)


def test_sqs_message_size_in_utf8_bytes(sessions: Sessions) -> None:
    aws, bare = sessions.both("sqs")
    url = aws.create_queue(QueueName="ingest")["QueueUrl"]
    bare.send_message(QueueUrl=url, MessageBody="é" * 600_000)
    refused(
        lambda: aws.send_message(QueueUrl=url, MessageBody="é" * 600_000),
        "InvalidParameterValue",
        "sqs-message-size",
    )
    aws.send_message(QueueUrl=url, MessageBody="é" * 524_288)


def test_s3_key_length_in_utf8_bytes(sessions: Sessions) -> None:
    aws, bare = sessions.both("s3")
    aws.create_bucket(Bucket="mail")
    bare.put_object(Bucket="mail", Key="é" * 513, Body=b"x")
    refused(
        lambda: aws.put_object(Bucket="mail", Key="é" * 513, Body=b"x"), "KeyTooLongError", "s3-key-length"
    )
    aws.put_object(Bucket="mail", Key="é" * 512, Body=b"x")


def test_s3_user_metadata_size(sessions: Sessions) -> None:
    aws, bare = sessions.both("s3")
    aws.create_bucket(Bucket="mail")
    metadata = {"filename": "x" * 2041}  # 8 + 2,041 bytes
    bare.put_object(Bucket="mail", Key="k", Body=b"x", Metadata=metadata)
    refused(
        lambda: aws.put_object(Bucket="mail", Key="k", Body=b"x", Metadata=metadata),
        "MetadataTooLarge",
        "s3-metadata-size",
    )
    aws.put_object(Bucket="mail", Key="k", Body=b"x", Metadata={"filename": "x" * 2040})


@pytest.fixture
def ses(sessions: Sessions) -> tuple[Any, Any]:
    aws, bare = sessions.both("ses")
    aws.verify_domain_identity(Domain="example.com")
    return aws, bare


def test_ses_identity_arn_must_be_an_identity_arn(ses: tuple[Any, Any]) -> None:
    aws, bare = ses
    send = {
        "Source": "support@example.com",
        "Destinations": ["ann@customer.test"],
        "RawMessage": {"Data": RAW},
    }
    bare.send_raw_email(**send, SourceArn="example.com")
    refused(
        lambda: aws.send_raw_email(**send, SourceArn="example.com"),
        "InvalidParameterValue",
        "ses-identity-arn",
    )
    elsewhere = IDENTITY.replace(REGION, "eu-west-1")
    refused(
        lambda: aws.send_raw_email(**send, FromArn=elsewhere), "InvalidParameterValue", "ses-identity-arn"
    )
    aws.send_raw_email(**send, SourceArn=IDENTITY, FromArn=IDENTITY, ReturnPathArn=IDENTITY)


def test_ses_identity_arn_must_cover_the_from_domain(ses: tuple[Any, Any]) -> None:
    aws, bare = ses
    other = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/other.test"
    send = {"Destinations": ["ann@customer.test"], "RawMessage": {"Data": RAW}}
    bare.send_raw_email(**send, FromArn=other)
    refused(lambda: aws.send_raw_email(**send, FromArn=other), "InvalidParameterValue", "ses-identity-arn")
    address = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/support@example.com"
    aws.send_raw_email(**send, FromArn=address)


def test_ses_message_tags_are_letters_digits_underscores_and_dashes(ses: tuple[Any, Any]) -> None:
    aws, bare = ses
    send = {
        "Source": "support@example.com",
        "Destinations": ["ann@customer.test"],
        "RawMessage": {"Data": RAW},
    }
    bare.send_raw_email(**send, Tags=[{"Name": "mailbox", "Value": "sales.eu"}])
    refused(
        lambda: aws.send_raw_email(**send, Tags=[{"Name": "mailbox", "Value": "sales.eu"}]),
        "InvalidParameterValue",
        "ses-message-tag",
    )
    aws.send_raw_email(**send, Tags=[{"Name": "mailbox", "Value": "sales_eu"}])


def test_ses_cloudwatch_dimension_names_and_defaults(sessions: Sessions) -> None:
    sessions.aws.client("ses", region_name=REGION).create_configuration_set(ConfigurationSet={"Name": "a"})
    aws, bare = sessions.both("sesv2")

    def destination(name: str, default: str) -> dict[str, Any]:
        dimension = {
            "DimensionName": name,
            "DimensionValueSource": "MESSAGE_TAG",
            "DefaultDimensionValue": default,
        }
        return {
            "MatchingEventTypes": ["SEND"],
            "CloudWatchDestination": {"DimensionConfigurations": [dimension]},
        }

    bare.create_configuration_set_event_destination(
        ConfigurationSetName="a", EventDestinationName="bad", EventDestination=destination("mail box", "x")
    )
    for wanted in (destination("mail box", "none"), destination("mailbox", "no value")):
        refused(
            lambda wanted=wanted: aws.create_configuration_set_event_destination(
                ConfigurationSetName="a", EventDestinationName="cw", EventDestination=wanted
            ),
            "BadRequestException",
            "ses-dimension",
        )
    aws.create_configuration_set_event_destination(
        ConfigurationSetName="a",
        EventDestinationName="cw",
        EventDestination=destination("ses:configuration-set", "a"),
    )


def test_ses_v1_raw_message_size(ses: tuple[Any, Any]) -> None:
    aws, bare = ses
    body = (b"x" * 76 + b"\r\n") * 136_000  # 10.6 MB in lines SES accepts
    send = {"Source": "support@example.com", "Destinations": ["ann@customer.test"]}
    bare.send_raw_email(**send, RawMessage={"Data": RAW + body})
    refused(
        lambda: aws.send_raw_email(**send, RawMessage={"Data": RAW + body}),
        "InvalidParameterValue",
        "ses-message-size",
    )
    aws.send_raw_email(**send, RawMessage={"Data": RAW + body[: 130_000 * 78]})


def test_ses_raw_message_line_length(ses: tuple[Any, Any]) -> None:
    aws, bare = ses
    send = {"Source": "support@example.com", "Destinations": ["ann@customer.test"]}
    bare.send_raw_email(**send, RawMessage={"Data": RAW + b"x" * 1001 + b"\r\n"})
    refused(
        lambda: aws.send_raw_email(**send, RawMessage={"Data": RAW + b"x" * 1001 + b"\r\n"}),
        "InvalidParameterValue",
        "ses-line-length",
    )
    aws.send_raw_email(**send, RawMessage={"Data": RAW + b"x" * 1000 + b"\r\n"})


def test_ses_recipients_in_the_headers_count(ses: tuple[Any, Any]) -> None:
    aws, _ = ses

    def raw(count: int) -> bytes:
        to = ", ".join(f"r{i}@customer.test" for i in range(count))
        return f"From: support@example.com\r\nTo: {to}\r\nSubject: s\r\n\r\nhi\r\n".encode()

    # moto counts them too (MessageRejected); the hook answers as SES's API does.
    refused(
        lambda: aws.send_raw_email(RawMessage={"Data": raw(51)}), "InvalidParameterValue", "ses-recipients"
    )
    aws.send_raw_email(RawMessage={"Data": raw(50)})


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


def test_lambda_environment_of_at_most_4_kb(sessions: Sessions) -> None:
    aws, bare = sessions.both("lambda")
    iam = sessions.aws.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

    def create(client: Any, name: str, value_bytes: int) -> None:
        client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            Environment={"Variables": {"INBOUND_X": "é" * (value_bytes // 2)}},
        )

    create(bare, "too-big", 4096)  # 4,096 bytes of value, plus the name and the JSON around it
    refused(
        lambda: create(aws, "too-big-here", 4096), "InvalidParameterValueException", "lambda-environment-size"
    )
    create(aws, "fits", 4000)
