"""The AWS contract's service rules (inbound/local/aws_contract/service_rules.py and
message_rules.py), those botocore's models do not carry: each refuses a request moto
accepts, and accepts its valid neighbour.

GIVEN two sessions on one moto, `bare` without the hook and `aws` with it,
WHEN the same request goes through each,
THEN moto takes it from `bare` and the hook refuses it from `aws`, as AWS would.
"""

from __future__ import annotations

from typing import Any

import pytest

from inbound.local import aws_contract
from tests.support.aws_contract_sessions import (
    ACCOUNT,
    IDENTITY,
    RAW,
    REGION,
    Sessions,
    refused,
    table,
)

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
