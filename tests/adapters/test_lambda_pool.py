"""`inbound up`'s Lambda containers (inbound/local/lambda_pool.py, lambda_container.py).

GIVEN moto's server as `inbound up` serves it and a pool of worker processes that imported
the app, WHEN a handler is invoked in a container, THEN it runs in another process, its
AWS requests reach this process's moto without a socket and under the AWS contract, its
return value and its exceptions come back, a container that dies is replaced, a long
invocation that sleeps does not keep the others waiting, a slow one that works starts no
other container, and its log lines reach the shared stderr once.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from inbound.local.embedded import REGION
from inbound.local.lambda_pool import ContainerDied, InvocationFailed, LambdaPool

HANDLERS = "tests.support.lambda_handlers"


def _pool(endpoint: str, size: int = 1) -> LambdaPool:
    pool = LambdaPool(size, {"INBOUND_ENDPOINT_URL": endpoint, "AWS_REGION": REGION}, endpoint)
    pool.start()
    pool.ready()
    return pool


@pytest.fixture(scope="module")
def pool(endpoint: str) -> Iterator[LambdaPool]:
    started = _pool(endpoint)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def bucket(endpoint: str) -> str:
    name = f"containers-{uuid.uuid4().hex[:8]}"
    _s3(endpoint).create_bucket(Bucket=name)
    return name


def _s3(endpoint: str) -> Any:
    return boto3.session.Session().client("s3", region_name=REGION, endpoint_url=endpoint)


def test_a_handler_runs_in_another_process_and_writes_to_this_moto(endpoint, pool, bucket):
    event = {"bucket": bucket, "key": "incoming/one", "body": "raw mail"}

    result = pool.handler(f"{HANDLERS}.put_object", "ingest", 60)(event, None)

    assert result["pid"] != os.getpid()
    assert result["function"] == "ingest"
    assert result["connections"] == 0  # through the pipe to this process, never the socket
    assert result["batchItemFailures"] == [{"itemIdentifier": "m-2"}]  # what the poller reads
    got = _s3(endpoint).get_object(Bucket=bucket, Key="incoming/one")
    assert got["Body"].read() == b"raw mail"


def test_the_aws_contract_refuses_in_the_container(pool, bucket):
    result = pool.invoke(f"{HANDLERS}.long_key", "ingest", {"bucket": bucket}, 60)

    assert result == {"class": "ContractViolation", "code": "KeyTooLongError"}


def test_a_handler_exception_fails_the_invocation_with_its_traceback(pool):
    with pytest.raises(InvocationFailed) as failed:
        pool.invoke(f"{HANDLERS}.raises", "ingest", {"record": "r-7"}, 60)

    assert "ValueError: record r-7 is broken" in str(failed.value)
    assert "lambda_handlers.py" in str(failed.value)  # where, as a Lambda log would say


def test_a_container_that_dies_fails_its_invocation_and_is_replaced(endpoint, pool, bucket):
    before = pool.invoke(f"{HANDLERS}.put_object", "ingest", {"bucket": bucket, "key": "a", "body": "a"}, 60)

    with pytest.raises(ContainerDied):
        pool.invoke(f"{HANDLERS}.dies", "ingest", {}, 60)
    after = pool.invoke(f"{HANDLERS}.put_object", "ingest", {"bucket": bucket, "key": "b", "body": "b"}, 60)

    assert after["pid"] != before["pid"]
    assert _s3(endpoint).get_object(Bucket=bucket, Key="b")["Body"].read() == b"b"


def test_a_long_invocation_does_not_keep_others_waiting(endpoint, bucket):
    pool = _pool(endpoint)  # one container, up to two while long invocations hold them
    pool.scale_up_to(2)
    pool.long_invocation_seconds = 0.5
    held: dict[str, Any] = {}
    event = {"bucket": bucket, "key": "release", "body": "go"}
    try:
        waiting = threading.Thread(
            target=lambda: held.update(pool.invoke(f"{HANDLERS}.waits_for", "send_announcement", event, 60))
        )
        waiting.start()
        quick = pool.invoke(f"{HANDLERS}.put_object", "ingest", event, 60)  # writes what it waits for
        waiting.join()
    finally:
        pool.close()

    assert held["released"] is True  # the quick one ran while the long one held its container
    assert quick["pid"] != held["pid"]


def test_a_slow_invocation_that_never_sleeps_is_no_reason_for_another_container(endpoint, bucket):
    """On a starved machine an ingest batch takes longer than the pool's bound for a long
    invocation, though it never sleeps: more containers would only take CPU from it."""
    pool = _pool(endpoint)  # one container; two would be allowed for a sleeping invocation
    pool.scale_up_to(2)
    pool.long_invocation_seconds = 0.5
    slow: dict[str, Any] = {}
    event = {"bucket": bucket, "key": f"computing-{uuid.uuid4().hex[:6]}", "seconds": 6}
    try:
        working = threading.Thread(
            target=lambda: slow.update(pool.invoke(f"{HANDLERS}.computes", "ingest", event, 60))
        )
        working.start()
        _wait_for_object(endpoint, bucket, event["key"])
        quick = pool.invoke(f"{HANDLERS}.put_object", "ingest", {**event, "body": "after"}, 60)
        working.join()
    finally:
        pool.close()

    assert slow["spins"] > 0
    assert quick["pid"] == slow["pid"], "a second container was started for a slow, working one"


def _wait_for_object(endpoint: str, bucket: str, key: str) -> None:
    s3 = _s3(endpoint)
    for _ in range(600):
        try:
            s3.head_object(Bucket=bucket, Key=key)
            return
        except ClientError:
            threading.Event().wait(0.1)
    pytest.fail(f"{key} never appeared")


def test_a_containers_log_line_reaches_stderr_once(endpoint, capfd):
    pool = _pool(endpoint)  # its own: it writes to the stderr it was started with
    try:
        pool.invoke(f"{HANDLERS}.logs", "ingest", {"word": "hello"}, 60)
    finally:
        pool.close()

    err = capfd.readouterr().err
    assert err.count("container says hello") == 1
    assert "WARNING" in err.split("container says hello")[0].splitlines()[-1]
