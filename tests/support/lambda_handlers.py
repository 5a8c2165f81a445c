"""Handlers the Lambda container tests run in a container (tests/adapters/test_lambda_pool.py):
each tells what it saw from inside, so that the test asserts on outcomes."""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from botocore.exceptions import ClientError

from inbound.local.embedded import REGION


def _client(name: str) -> Any:
    import boto3

    endpoint = os.environ["INBOUND_ENDPOINT_URL"]
    return boto3.session.Session().client(name, region_name=REGION, endpoint_url=endpoint)


def put_object(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stores the event's object; answers who ran it and how many sockets its client opened."""
    s3 = _client("s3")
    s3.put_object(Bucket=event["bucket"], Key=event["key"], Body=event["body"].encode())
    return {
        "pid": os.getpid(),
        "function": context.function_name,
        "connections": len(s3._endpoint.http_session._manager.pools),
        "batchItemFailures": [{"itemIdentifier": "m-2"}],
    }


def long_key(event: dict[str, Any], context: Any) -> dict[str, str]:
    """A key longer than S3 takes: which error the container's client got."""
    try:
        _client("s3").put_object(Bucket=event["bucket"], Key="k" * 1100, Body=b"x")
    except ClientError as exc:
        return {"class": type(exc).__name__, "code": exc.response["Error"]["Code"]}
    return {"class": "", "code": ""}


def raises(event: dict[str, Any], context: Any) -> None:
    raise ValueError(f"record {event['record']} is broken")


def dies(event: dict[str, Any], context: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def logs(event: dict[str, Any], context: Any) -> None:
    logging.getLogger("inbound.container_test").warning("container says %s", event["word"])


def waits_for(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Holds its container until the event's object exists (what another invocation writes),
    for at most a minute: a long invocation, as an announcement pacing its sends is."""
    import time

    s3, deadline = _client("s3"), time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            s3.head_object(Bucket=event["bucket"], Key=event["key"])
        except ClientError:
            time.sleep(0.1)
            continue
        return {"released": True, "pid": os.getpid()}
    return {"released": False, "pid": os.getpid()}


def computes(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Says it started (the event's object), then works on a CPU for the event's seconds:
    a slow invocation that never sleeps, as ingest is on a starved machine."""
    import time

    _client("s3").put_object(Bucket=event["bucket"], Key=event["key"], Body=b"started")
    deadline, spins = time.monotonic() + event["seconds"], 0
    while time.monotonic() < deadline:
        spins += 1
    return {"pid": os.getpid(), "spins": spins}
