"""Two sessions on one moto for the AWS contract's tests: `aws` with the hook, `bare` without,
so a request can be shown to pass moto and be refused as AWS would refuse it."""

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
