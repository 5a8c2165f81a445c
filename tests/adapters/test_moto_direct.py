"""In-process clients of `inbound up`'s moto skip the loopback socket (inbound/local/moto_direct.py).

GIVEN moto's server as `inbound up` serves it (moto_endpoint.serve), WHEN a client in the
same process calls it, THEN the answers are the server's own (S3 objects with their
metadata, streamed bodies, DynamoDB, SQS), no connection is opened, the guard still
refuses what it refuses over the socket, and a client in another process still gets in.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from inbound.local.embedded import REGION


def _client(endpoint: str, name: str) -> Any:
    return boto3.session.Session().client(name, region_name=REGION, endpoint_url=endpoint)


def _connections(client: Any) -> int:
    """Connection pools urllib3 opened for this client (one per host it connected to)."""
    return len(client._endpoint.http_session._manager.pools)


def test_s3_objects_round_trip_with_metadata_and_a_streamed_body(endpoint):
    s3 = _client(endpoint, "s3")
    s3.create_bucket(Bucket="direct-test")
    body = bytes(range(256)) * 1024  # 256 KiB, read back in chunks
    s3.put_object(
        Bucket="direct-test",
        Key="incoming/a b+c",
        Body=body,
        ContentType="message/rfc822",
        Metadata={"ses-source": "a%40b.test", "under_score": "kept"},
    )

    head = s3.head_object(Bucket="direct-test", Key="incoming/a b+c")
    got = s3.get_object(Bucket="direct-test", Key="incoming/a b+c")
    chunks = list(got["Body"].iter_chunks(chunk_size=10_000))
    listed = s3.list_objects_v2(Bucket="direct-test", Prefix="incoming/")

    assert b"".join(chunks) == body and len(chunks) > 1
    assert head["ContentLength"] == len(body) and head["ContentType"] == "message/rfc822"
    assert head["Metadata"] == {"ses-source": "a%40b.test", "under_score": "kept"}
    assert [o["Key"] for o in listed["Contents"]] == ["incoming/a b+c"]
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket="direct-test", Key="nothing")
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
    assert _connections(s3) == 0


def test_dynamodb_and_sqs_answer_without_a_connection(endpoint):
    db, sqs = _client(endpoint, "dynamodb"), _client(endpoint, "sqs")
    db.create_table(
        TableName="direct-test",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    db.put_item(TableName="direct-test", Item={"pk": {"S": "T-1"}, "n": {"N": "1"}})
    url = sqs.create_queue(QueueName="direct-test")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"k": "ü"}))

    item = db.get_item(TableName="direct-test", Key={"pk": {"S": "T-1"}})["Item"]
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]

    assert item == {"pk": {"S": "T-1"}, "n": {"N": "1"}}
    assert [json.loads(m["Body"]) for m in got] == [{"k": "ü"}]
    assert _connections(db) == 0 and _connections(sqs) == 0


def test_the_guard_refuses_in_process_what_it_refuses_over_the_socket(endpoint):
    s3 = _client(endpoint, "s3")
    s3.create_bucket(Bucket="direct-guard")

    def as_a_web_page(request: Any, **_: Any) -> None:
        request.headers["Origin"] = "http://evil.test"

    s3.meta.events.register_first("before-sign.s3", as_a_web_page)
    with pytest.raises(ClientError) as refused:
        s3.list_objects_v2(Bucket="direct-guard")

    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_another_process_still_reaches_the_endpoint_over_the_socket(endpoint):
    _client(endpoint, "s3").create_bucket(Bucket="direct-other")
    script = (
        "import boto3, sys; s3 = boto3.client('s3', region_name='us-east-1', endpoint_url=sys.argv[1]);"
        "print(','.join(b['Name'] for b in s3.list_buckets()['Buckets']))"
    )

    out = subprocess.run(
        [sys.executable, "-c", script, endpoint], capture_output=True, text=True, timeout=60, check=True
    )

    assert "direct-other" in out.stdout.strip().split(",")
