"""The AWS-limits hook refuses what real AWS refuses and moto lets through (tests/fault_injection.py).

Without this check the fuzz tests' `limits.refused == []` could pass because
the hook never looked at a request.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.fault_injection import AwsLimits


@pytest.fixture
def session():
    with mock_aws():
        yield boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")


def test_an_oversized_dynamodb_key_is_refused_in_every_request_shape(session):
    limits = AwsLimits(session)
    ddb = session.client("dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
    )
    long_pk = {"pk": {"S": "é" * 1025}, "sk": {"S": "x"}}  # 2,050 bytes in UTF-8
    long_sk = {"pk": {"S": "x"}, "sk": {"S": "k" * 1025}}
    calls = [
        lambda: ddb.put_item(TableName="t", Item=long_pk),
        lambda: ddb.get_item(TableName="t", Key=long_sk),
        lambda: ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": long_sk}}]),
        lambda: ddb.batch_get_item(RequestItems={"t": {"Keys": [long_pk]}}),
        lambda: ddb.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": long_pk}}]}),
    ]
    for call in calls:
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert len(limits.refused) == len(calls)
    ddb.put_item(TableName="t", Item={"pk": {"S": "é" * 1024}, "sk": {"S": "k" * 1024}})
    assert len(limits.refused) == len(calls)


def test_an_oversized_s3_key_or_metadata_is_refused(session):
    limits = AwsLimits(session)
    s3 = session.client("s3")
    s3.create_bucket(Bucket="limits-bucket")
    with pytest.raises(ClientError):
        s3.put_object(Bucket="limits-bucket", Key="k" * 1025, Body=b"")
    with pytest.raises(ClientError):
        s3.put_object(Bucket="limits-bucket", Key="k", Body=b"", Metadata={"name": "v" * 2100})
    s3.put_object(Bucket="limits-bucket", Key="k" * 1024, Body=b"", Metadata={"name": "v" * 100})
    assert len(limits.refused) == 2
