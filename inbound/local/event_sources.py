"""Lambda's event sources on this machine: SQS pollers and schedules driving the Chalice handlers.

An SQS source behaves as Lambda's event source mapping does: receive up to `batch_size`
messages (the queue's own visibility timeout), build the `aws:sqs` event, invoke the
handler with a Lambda context; on success delete the batch, on an exception delete
nothing, on `{"batchItemFailures": [...]}` delete all but the named records (the local
stack enables partial batch responses because this poller honours them). Messages left
behind reappear after the visibility timeout; moto's server moves them to the queue's
dead-letter queue once `maxReceiveCount` is exceeded, as SQS does, so the poller does not.
`on_exhausted` runs for a record that failed its last receive (moto moves it to the DLQ
on the next receive).

A schedule runs its handler every `rate(...)`; cron expressions are not run locally.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("inbound.local")

WAIT_SECONDS = 1
SQS_POLLERS = 3  # concurrent batches per SQS source, unless its mapping's maximum_concurrency is lower
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_QUEUE_MISSING = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})


@dataclass(frozen=True)
class SqsSource:
    name: str  # the function name (Chalice names it after the handler)
    queue_url: str
    queue_arn: str
    handler: Callable[[dict[str, Any], Any], Any]
    batch_size: int = 10
    max_receive_count: int = 0  # from the queue's redrive policy; 0: none
    timeout_seconds: int = 60
    on_exhausted: Callable[[dict[str, Any]], None] | None = None
    # Lambda's maximum_concurrency for the mapping: send_announcement paces each invocation
    # at its share of SES's rate, so more pollers than that would send over the rate.
    pollers: int = SQS_POLLERS


@dataclass(frozen=True)
class ScheduleSource:
    name: str
    every_seconds: float
    handler: Callable[[dict[str, Any], Any], Any]
    timeout_seconds: int = 60


def rate_seconds(expression: Any) -> float | None:
    """Seconds between runs of a Chalice schedule (Rate or "rate(...)"); None for cron."""
    value, unit = getattr(expression, "value", None), getattr(expression, "unit", None)
    if value is not None and unit is not None:
        return float(value) * _UNIT_SECONDS[str(unit).lower().rstrip("s")]
    match = _RATE.match(str(expression).strip())
    if match is None:
        return None
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def lambda_context(name: str, timeout_seconds: int) -> Any:
    from chalice.local import LambdaContext

    return LambdaContext(function_name=name, memory_size=1024, max_runtime_ms=timeout_seconds * 1000)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping passes to the function."""
    records = []
    for message in messages:
        attributes = {
            key: message.get("Attributes", {}).get(key, "")
            for key in (
                "ApproximateReceiveCount",
                "SentTimestamp",
                "SenderId",
                "ApproximateFirstReceiveTimestamp",
            )
        }
        message_attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def scheduled_event(source: ScheduleSource, region: str, account: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {},
    }


def failed_ids(response: Any, batch: list[str]) -> set[str]:
    """The records a handler's partial batch response names; all of them when it is invalid."""
    if not isinstance(response, dict) or "batchItemFailures" not in response:
        return set()
    failures = response.get("batchItemFailures") or []
    named = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
    if len(named) != len(failures) or not named <= set(batch):
        return set(batch)  # Lambda treats a malformed response as the whole batch failing
    return {str(n) for n in named}


class Poller(threading.Thread):
    """One SQS event source mapping: a thread receiving, invoking, deleting."""

    def __init__(self, source: SqsSource, sqs: Any, region: str, busy: Callable[[], Any]) -> None:
        super().__init__(name=f"lambda-{source.name}", daemon=True)
        self.source, self.sqs, self.region, self.busy = source, sqs, region, busy
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            # The outermost boundary of the poller thread: an error in one round (the
            # endpoint going away during shutdown, a handler bug) is logged and the
            # poller carries on, as Lambda's pollers do.
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001
                log.exception("lambda %s: poll failed", self.source.name)
                self.stopping.wait(1)

    def poll_once(self) -> int:
        source = self.source
        got = self.sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            WaitTimeSeconds=WAIT_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = got.get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, source.queue_arn, self.region)
        ids = [m["MessageId"] for m in messages]
        with self.busy():
            started = time.perf_counter()
            try:
                response = source.handler(event, lambda_context(source.name, source.timeout_seconds))
                failed = failed_ids(response, ids)
            # A handler that raises fails its whole batch, as in Lambda: nothing is
            # deleted and every message comes back after the visibility timeout.
            except Exception:  # noqa: BLE001
                log.exception(
                    "lambda %s: invocation failed; %d messages will be retried", source.name, len(ids)
                )
                failed = set(ids)
            done = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
            done = [d for d, m in zip(done, messages, strict=True) if m["MessageId"] not in failed]
            if done:  # at most 10: one receive's worth
                self.sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=done)
            self._exhausted(event, failed)
        elapsed = (time.perf_counter() - started) * 1000
        log.info("lambda %s: %d ok, %d failed in %.0f ms", source.name, len(done), len(failed), elapsed)
        return len(messages)

    def _exhausted(self, event: dict[str, Any], failed: set[str]) -> None:
        source = self.source
        if not failed or not source.max_receive_count or source.on_exhausted is None:
            return
        for record in event["Records"]:
            count = int(record["attributes"].get("ApproximateReceiveCount") or 0)
            if record["messageId"] in failed and count >= source.max_receive_count:
                source.on_exhausted(record)

    def stop(self) -> None:
        self.stopping.set()


class Scheduler(threading.Thread):
    """Every schedule source, each run on its rate (first run one period after start)."""

    def __init__(
        self, sources: list[ScheduleSource], region: str, account: str, busy: Callable[[], Any]
    ) -> None:
        super().__init__(name="lambda-schedules", daemon=True)
        self.sources, self.region, self.account, self.busy = sources, region, account, busy
        self.stopping = threading.Event()
        now = time.monotonic()
        self.due = {s.name: now + s.every_seconds for s in sources}

    def run(self) -> None:
        while self.sources and not self.stopping.wait(0.5):
            for source in self.sources:
                if time.monotonic() < self.due[source.name]:
                    continue
                self.due[source.name] = time.monotonic() + source.every_seconds
                with self.busy():
                    # Outermost boundary of one scheduled invocation: logged, and the
                    # schedule keeps running (Lambda would retry twice, then drop it).
                    try:
                        source.handler(
                            scheduled_event(source, self.region, self.account),
                            lambda_context(source.name, source.timeout_seconds),
                        )
                    except Exception:  # noqa: BLE001
                        log.exception("lambda %s: scheduled run failed", source.name)

    def stop(self) -> None:
        self.stopping.set()


def redrive_limit(sqs: Any, queue_url: str) -> tuple[str, int]:
    """The queue's ARN and its redrive policy's maxReceiveCount (0 without one)."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn", "RedrivePolicy"])
    attributes = attributes.get("Attributes", {})
    policy = json.loads(attributes.get("RedrivePolicy") or "{}")
    return str(attributes["QueueArn"]), int(policy.get("maxReceiveCount") or 0)


def app_sources(
    chalice_app: Any,
    sqs: Any,
    timeout_of: Callable[[str], int],
    on_exhausted: dict[str, Callable[[dict[str, Any]], None]],
) -> tuple[list[SqsSource], list[ScheduleSource]]:
    """The event sources a Chalice app registered (on_sqs_message, schedule), ready to run."""
    import importlib

    from botocore.exceptions import ClientError
    from chalice.app import ScheduledEventConfig, SQSEventConfig

    from chalicelib.adapters.aws_errors import error_code

    queues, schedules = [], []
    for config in chalice_app.event_sources:
        module, _, name = config.handler_string.rpartition(".")  # "app.ingest"
        handler = getattr(importlib.import_module(module), name)
        if isinstance(config, SQSEventConfig):
            queue = config.queue or str(config.queue_arn).rsplit(":", 1)[1]
            try:
                url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            except ClientError as exc:
                if error_code(exc) not in _QUEUE_MISSING:
                    raise
                log.warning("lambda %s: queue %s does not exist; not polled", config.name, queue)
                continue
            arn, limit = redrive_limit(sqs, url)
            queues.append(
                SqsSource(
                    config.name,
                    url,
                    arn,
                    handler,
                    config.batch_size,
                    limit,
                    timeout_of(config.name),
                    on_exhausted.get(config.name),
                    min(SQS_POLLERS, getattr(config, "maximum_concurrency", None) or SQS_POLLERS),
                )
            )
        elif isinstance(config, ScheduledEventConfig):
            every = rate_seconds(config.schedule_expression)
            if every is None:
                log.warning("lambda %s: cron schedules are not run locally", config.name)
                continue
            schedules.append(
                ScheduleSource(config.name, every, handler, timeout_seconds=timeout_of(config.name))
            )
        else:
            log.warning("lambda %s: %s is not emulated locally", config.name, type(config).__name__)
    return queues, schedules
