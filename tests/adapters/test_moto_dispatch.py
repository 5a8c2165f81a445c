"""moto's server answers without Flask around each request (inbound/local/moto_dispatch.py).

GIVEN moto's dispatcher as `inbound up` serves it, WHEN botocore's requests are answered by
`Direct` and by moto's Flask application, THEN both answers are the same (statuses, headers,
bodies, moto's errors as its exceptions make them), Flask's request machinery is not run for
the services' requests, and what Direct does not know (moto's own API, a URL no rule matches)
is still Flask's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from inbound.local.embedded import REGION, emulated_aws, offline_credentials
from inbound.local.moto_direct import _Body, body_bytes, environ_of

ENDPOINT = "http://127.0.0.1:4599"
_VARYING = re.compile(r"(request-?id|id-2|^date$|access-control-)", re.IGNORECASE)
_IDS = re.compile(rb"(<RequestId>|\"RequestId\": ?\"|requestId\"?:\s*\"?)[^<\"]*")


@pytest.fixture(scope="module")
def apps() -> Iterator[tuple[Any, Any]]:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from inbound.local.moto_dispatch import Direct

    offline_credentials()
    emulated_aws()
    flask = DomainDispatcherApplication(create_backend_app)
    yield flask, Direct(flask)


def _call(app: Callable[..., Any], environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), headers

    chunks = app(environ, start_response)
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answer["status"], dict(answer["headers"]), body


def _comparable(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, dict[str, str], bytes]:
    status, headers, body = answer
    kept = {k.lower(): v for k, v in headers.items() if not _VARYING.search(k)}
    if "x-amz-crc32" in kept:  # over the body, whose request id differs
        kept["x-amz-crc32"] = "-"
    return status, kept, _IDS.sub(rb"\1-", body)


class _Both:
    """A botocore client whose requests are answered by Direct; each read is answered by
    Flask too, and the two answers kept for comparison."""

    def __init__(self, apps: tuple[Any, Any], name: str) -> None:
        self.flask, self.direct = apps
        self.pairs: list[tuple[str, Any, Any]] = []
        self.compare = False
        self.client = boto3.session.Session().client(name, region_name=REGION, endpoint_url=ENDPOINT)
        self.client.meta.events.register("before-send", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        body = body_bytes(request.body)
        if self.compare:
            flask = _call(self.flask, environ_of(request, body))
        status, headers, content = _call(self.direct, environ_of(request, body))
        if self.compare:
            self.pairs.append((f"{request.method} {request.url}", flask, (status, headers, content)))
        http = HTTPHeaders()
        for k, v in headers.items():
            http[k] = v
        return AWSResponse(request.url, status, http, _Body(content if request.method != "HEAD" else b""))


def test_services_answer_as_moto_s_flask_application_does(apps):
    db, s3, sqs, sns = (_Both(apps, n) for n in ("dynamodb", "s3", "sqs", "sns"))
    db.client.create_table(
        TableName="dispatch-test",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {"pk": {"S": "T-1"}, "sk": {"S": "A"}, "n": {"N": "2"}, "m": {"M": {"l": {"L": [{"BOOL": True}]}}}}
    db.client.put_item(TableName="dispatch-test", Item=item)
    s3.client.create_bucket(Bucket="dispatch-test")
    s3.client.put_object(Bucket="dispatch-test", Key="a b/ü+c", Body=b"x" * 5000, Metadata={"k_v": "1"})
    url = sqs.client.create_queue(QueueName="dispatch-test")["QueueUrl"]
    for side in (db, s3, sqs, sns):
        side.compare = True

    db.client.get_item(TableName="dispatch-test", Key={"pk": {"S": "T-1"}, "sk": {"S": "A"}})
    db.client.query(
        TableName="dispatch-test",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "T-1"}},
    )
    with pytest.raises(db.client.exceptions.ResourceNotFoundException):
        db.client.describe_table(TableName="absent")
    with pytest.raises(db.client.exceptions.ConditionalCheckFailedException):
        db.client.delete_item(
            TableName="dispatch-test",
            Key={"pk": {"S": "T-1"}, "sk": {"S": "A"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    s3.client.get_object(Bucket="dispatch-test", Key="a b/ü+c")
    s3.client.head_object(Bucket="dispatch-test", Key="a b/ü+c")
    s3.client.list_objects_v2(Bucket="dispatch-test", Prefix="a b/")
    with pytest.raises(s3.client.exceptions.NoSuchKey):
        s3.client.get_object(Bucket="dispatch-test", Key="absent")
    with pytest.raises(s3.client.exceptions.NoSuchBucket):
        s3.client.list_objects_v2(Bucket="absent-bucket")
    sqs.client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    with pytest.raises(sqs.client.exceptions.QueueDoesNotExist):
        sqs.client.get_queue_url(QueueName="absent")
    sns.client.list_topics()

    pairs = [p for side in (db, s3, sqs, sns) for p in side.pairs]
    assert len(pairs) == 12
    for what, flask, direct in pairs:
        assert _comparable(direct) == _comparable(flask), what
    statuses = [direct[0] for _, _, direct in pairs]
    assert statuses == [200, 200, 400, 400, 200, 200, 200, 404, 404, 200, 400, 200]


def test_flask_runs_only_for_what_direct_does_not_know(apps):
    from flask import request_started

    flask_requests: list[str] = []

    def started(sender: Any, **_: Any) -> None:
        flask_requests.append(str(sender.service))

    db, s3 = _Both(apps, "dynamodb"), _Both(apps, "s3")
    environs: list[dict[str, Any]] = []
    db.client.meta.events.register_first(
        "before-send", lambda request, **_: environs.append(environ_of(request, body_bytes(request.body)))
    )
    request_started.connect(started)
    try:
        db.client.list_tables()
        s3.client.list_buckets()
        nowhere = dict(environs[0], PATH_INFO="/no/such/path")  # a signed DynamoDB request, no rule
        lost = _call(apps[1], nowhere)
        moto_api = dict(environs[0], PATH_INFO="/moto-api/reset-auth", REQUEST_METHOD="GET")
        _call(apps[1], moto_api)
    finally:
        request_started.disconnect(started)

    assert flask_requests == ["dynamodb", "moto_api"]
    assert lost[0] == 404
