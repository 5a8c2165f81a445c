"""The feedback benchmark's events per second: the `record_feedback` handler itself
(`chalice.test.Client`, SQS batches of 10 records) against the same number of bare PutItem
calls, and against the service's own requests made bare, in CPU time (moto runs in this
process). Passes interleave on an emptied table; each side keeps its best pass."""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.feedback_notifications import Note, workload

PASSES = 3
FEEDBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:inbound-bench-feedback"


@dataclass
class Throughput:
    events: int  # per pass
    notifications: int
    requests: int  # DynamoDB requests the service made for one pass
    measured_s: float  # best pass: the handler
    baseline_s: float  # best pass: one bare PutItem per event
    replay_s: float  # best pass: the service's own requests, made bare
    passes: list[tuple[float, float, float]] = field(default_factory=list)
    replay_errors: int = 0

    @property
    def ratio(self) -> float:
        return self.measured_s / self.baseline_s

    @property
    def replay_ratio(self) -> float:
        return self.measured_s / self.replay_s

    @property
    def events_per_s(self) -> float:
        return self.events / self.measured_s

    @property
    def baseline_per_s(self) -> float:
        return self.events / self.baseline_s


@contextlib.contextmanager
def _app_env(outputs: dict[str, str]) -> Iterator[None]:
    """The stack's settings in the environment, as Lambda gives them to `services()`."""
    from chalicelib.wiring import services

    previous = {name: os.environ.get(name) for name in outputs}
    os.environ.update(outputs)
    services.cache_clear()
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        services.cache_clear()


class _Capture:
    """Records each DynamoDB request's operation and parameters (`before-parameter-build`)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests.append((model.name, copy.deepcopy(params)))


def _fresh_table(db: Any, table: str) -> None:
    """The suppression table emptied (dropped and made again): every phase starts alike."""
    description = db.describe_table(TableName=table)["Table"]
    db.delete_table(TableName=table)
    db.create_table(
        TableName=table,
        KeySchema=description["KeySchema"],
        AttributeDefinitions=description["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
    )


def _items(db: Any, table: str) -> set[tuple[str, str]]:
    """The table's keys, counters' shards folded (they are drawn at random per transaction)."""
    keys = set()
    for page in db.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk"):
        for item in page["Items"]:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            keys.add((pk, sk.rsplit("#", 1)[0] if pk == "REPUTATION" else sk))
    return keys


def measure_throughput(stack: Any, passes: int = PASSES, log: Callable[[str], None] = print) -> Throughput:
    """Per pass, each on an empty table: the handler, the same requests bare, one PutItem per event."""
    import boto3
    from botocore import xform_name
    from botocore.exceptions import ClientError
    from chalice.test import Client

    from chalicelib.wiring import build_services
    from tests.support.events import sqs_event

    db = stack.client("dynamodb")
    table = stack.settings.suppression_table
    capture = _Capture()
    session = boto3.session.Session(region_name="us-east-1")
    session.events.register("before-parameter-build.dynamodb", capture)
    service = build_services(stack.settings, session).feedback
    errors = 0

    def replay(requests: list[tuple[str, dict[str, Any]]]) -> None:
        nonlocal errors
        for operation, params in requests:
            try:
                getattr(db, xform_name(operation))(**params)
            except ClientError:
                errors += 1

    def bare(tag: str, events: int) -> None:
        for n in range(events):
            db.put_item(
                TableName=table,
                Item={
                    "pk": {"S": f"EVENT#bench-{tag}-{n}"},
                    "sk": {"S": "APPLIED"},
                    "type": {"S": "applied"},
                    "expires_at": {"N": "2000000000"},
                },
            )

    def cpu(call: Callable[[], Any]) -> float:
        _fresh_table(db, table)
        t0 = time.process_time()
        call()
        return time.process_time() - t0

    with _app_env(stack.outputs), open(os.devnull, "w") as sink:
        from app import app

        with Client(app, stage_name="bench") as client:

            def handler(notes: list[Note]) -> None:
                # The handler's log and metric lines (stdout in Lambda, stderr elsewhere).
                with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                    for start in range(0, len(notes), 10):
                        bodies = [note.body for note in notes[start : start + 10]]
                        client.lambda_.invoke("record_feedback", sqs_event(bodies, FEEDBACK_QUEUE_ARN))

            warm = workload("warm", 10)
            handler(warm)  # lazy imports, clients, the app's first call
            service.record_batch((f"w{n}", note.body) for n, note in enumerate(warm))
            replay(capture.requests)
            bare("warm", 20)
            errors = 0  # the warm-up replay ran on a table that had its items already
            results = []
            events = notifications = requests = 0
            for n in range(passes):
                notes = workload(f"p{n}")
                events, notifications = sum(note.recipients for note in notes), len(notes)
                measured = cpu(lambda: handler(notes))  # noqa: B023 - called at once
                written = _items(db, table)
                _fresh_table(db, table)
                capture.requests.clear()
                service.record_batch((f"m{i}", note.body) for i, note in enumerate(notes))
                requests = len(capture.requests)
                replayed = cpu(lambda: replay(capture.requests))
                if _items(db, table) != written:
                    raise RuntimeError("feedback bench: the replay wrote other items than the handler")
                baseline = cpu(lambda: bare(f"p{n}", events))  # noqa: B023
                results.append((measured, baseline, replayed))
                log(
                    f"feedback pass {n + 1}/{passes}: handler {measured:.2f} s, {events} bare PutItem "
                    f"{baseline:.2f} s, its {requests} requests bare {replayed:.2f} s (CPU)"
                )
    return Throughput(
        events,
        notifications,
        requests,
        min(m for m, _, _ in results),
        min(b for _, b, _ in results),
        min(r for _, _, r in results),
        results,
        errors,
    )
