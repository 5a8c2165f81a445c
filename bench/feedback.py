"""Feedback: SES bounce, complaint and delivery notifications into the suppression list.

Both figures run on the embedded stack (moto in this process, provisioned the way
`inbound provision` does it):

- DynamoDB requests per notification, exact: a botocore `before-call` hook on the
  session the services are built on counts every request `FeedbackService.record_batch`
  makes (the one call the `record_feedback` handler makes), for each kind, shape (raw
  identity notification, raw configuration-set event, SNS envelope) and recipient count,
  first delivery and redelivery. Goal: at most one write request per recipient.
- Events per second through the `record_feedback` handler itself (`chalice.test.Client`,
  SQS batches of 10 records), against the same number of bare PutItem calls to the same
  moto table. CPU time (`time.process_time`): moto runs in this process, so each side's
  requests are fully counted on that side and the load of other processes is not. The
  passes interleave; each side keeps its best pass; every pass uses new feedback ids and
  addresses, so every event is applied (no duplicates).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PASSES = 3
NOTIFICATIONS = 60  # per timed pass
RECIPIENTS = (1, 1, 1, 1, 2, 2, 3, 5, 8, 13, 21, 34, 50)  # drawn per notification (mean ~10.8)
MATRIX_RECIPIENTS = (1, 2, 10, 49, 50)
SEED = 7
WRITE_GOAL = 1.0  # write requests per recipient
WRITES = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
FEEDBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:inbound-bench-feedback"
SHAPES = ("identity", "event", "sns")


# -- notifications ---------------------------------------------------------------
def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _bounce(bounce_type: str, subtype: str) -> Callable[[list[str], str], tuple[str, dict[str, Any]]]:
    def part(recipients: list[str], at: str) -> tuple[str, dict[str, Any]]:
        return "bounce", {
            "bounceType": bounce_type,
            "bounceSubType": subtype,
            "bouncedRecipients": [
                {
                    "emailAddress": r,
                    "action": "failed",
                    "status": "5.1.1" if bounce_type == "Permanent" else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
                for r in recipients
            ],
            "timestamp": at,
            "reportingMTA": "dsn; a1-2.smtp-out.amazonses.com",
        }

    return part


def _complaint(recipients: list[str], at: str) -> tuple[str, dict[str, Any]]:
    return "complaint", {
        "complainedRecipients": [{"emailAddress": r} for r in recipients],
        "timestamp": at,
        "complaintFeedbackType": "abuse",
        "userAgent": "Mozilla/5.0",
    }


def _delivery(recipients: list[str], at: str) -> tuple[str, dict[str, Any]]:
    return "delivery", {
        "timestamp": at,
        "processingTimeMillis": 546,
        "recipients": recipients,
        "smtpResponse": "250 ok",
        "reportingMTA": "a8-70.smtp-out.amazonses.com",
    }


# label -> (SES type name, builder of the type's part)
KINDS: dict[str, tuple[str, Callable[[list[str], str], tuple[str, dict[str, Any]]]]] = {
    "bounce, permanent": ("Bounce", _bounce("Permanent", "General")),
    "complaint": ("Complaint", _complaint),
    "delivery": ("Delivery", _delivery),
    "bounce, soft (MailboxFull)": ("Bounce", _bounce("Transient", "MailboxFull")),
    "bounce, account list": ("Bounce", _bounce("Permanent", "OnAccountSuppressionList")),
}


def notification(kind: str, shape: str, recipients: list[str], feedback_id: str, at: datetime) -> str:
    """One SES notification as the feedback queue receives it, in one of SHAPES."""
    type_name, build = KINDS[kind]
    name, part = build(recipients, _iso(at))
    if name != "delivery":
        part["feedbackId"] = feedback_id
    document = {
        "eventType" if shape == "event" else "notificationType": type_name,
        name: part,
        "mail": {
            "timestamp": _iso(at),
            "messageId": f"ses-{feedback_id}",
            "source": "support@example.com",
            "destination": recipients,
        },
    }
    body = json.dumps(document)
    if shape == "sns":
        body = json.dumps(
            {"Type": "Notification", "MessageId": f"sns-{feedback_id}", "Message": body, "TopicArn": "arn:x"}
        )
    return body


@dataclass(frozen=True)
class Note:
    kind: str
    shape: str
    recipients: int
    body: str


def workload(tag: str, count: int = NOTIFICATIONS, seed: int = SEED) -> list[Note]:
    """`count` notifications, kinds and shapes in turn, 1..50 recipients each; new ids per tag."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    kinds = list(KINDS)
    notes = []
    for n in range(count):
        kind, shape = kinds[n % len(kinds)], SHAPES[(n // len(kinds)) % len(SHAPES)]
        size = rng.choice(RECIPIENTS)
        recipients = [f"{tag}-{n}-{i}@customer.example" for i in range(size)]
        notes.append(Note(kind, shape, size, notification(kind, shape, recipients, f"{tag}-{n}", now)))
    return notes


# -- request counts --------------------------------------------------------------
class _RequestCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.calls[model.name] += 1


@dataclass(frozen=True)
class Count:
    kind: str
    recipients: int
    first: dict[str, int]  # operation -> requests, first delivery
    again: dict[str, int]  # the same record redelivered
    shapes_agree: bool

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.first.items() if op in WRITES)

    @property
    def writes_per_recipient(self) -> float:
        return self.writes / self.recipients


@dataclass(frozen=True)
class Crossing:
    """The soft bounce that reaches the limit, and its requests."""

    limit: int
    calls: dict[str, int]

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITES)


def measure_requests(stack: Any) -> tuple[list[Count], Crossing]:
    import boto3

    from chalicelib.wiring import build_services

    counter = _RequestCounter()
    session = boto3.session.Session(region_name="us-east-1")
    session.events.register("before-call.dynamodb", counter)  # before any client exists
    service = build_services(stack.settings, session).feedback
    now = datetime.now(UTC)

    def run(body: str) -> dict[str, int]:
        counter.calls.clear()
        result = service.record_batch([("bench", body)])
        if result.failed:
            raise RuntimeError(f"feedback bench: a generated notification failed: {body[:200]}")
        return dict(counter.calls)

    counts = []
    for kind in KINDS:
        for size in MATRIX_RECIPIENTS:
            seen = []
            for shape in SHAPES:
                tag = f"m-{kind.split()[-1].strip('()')}-{size}-{shape}"
                recipients = [f"{tag}-{i}@customer.example" for i in range(size)]
                body = notification(kind, shape, recipients, tag, now)
                seen.append((run(body), run(body)))
            counts.append(Count(kind, size, *seen[0], shapes_agree=all(s == seen[0] for s in seen)))
    limit = stack.settings.soft_bounce_limit
    calls: dict[str, int] = {}
    for n in range(limit):
        calls = run(
            notification("bounce, soft (MailboxFull)", "event", ["full@customer.example"], f"x{n}", now)
        )
    return counts, Crossing(limit, calls)


# -- throughput ------------------------------------------------------------------
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


# -- the benchmark ---------------------------------------------------------------
@dataclass
class FeedbackResult:
    counts: list[Count]
    crossing: Crossing
    throughput: Throughput

    @property
    def worst_writes_per_recipient(self) -> float:
        return max(c.writes_per_recipient for c in self.counts)


def run(log: Callable[[str], None] = print) -> FeedbackResult:
    from inbound.local.embedded import embedded_stack

    with _quiet_logs(), embedded_stack(stage="bench") as stack:
        counts, crossing = measure_requests(stack)
        throughput = measure_throughput(stack, log=log)
    return FeedbackResult(counts, crossing, throughput)


def rows(result: FeedbackResult) -> list[Any]:
    from bench.report import Row, ms, yes

    t = result.throughput
    worst = result.worst_writes_per_recipient
    n = len(result.counts) * len(SHAPES)
    return [
        Row(
            f"Feedback through `record_feedback`: {t.notifications} notifications, {t.events} events "
            f"(best of {len(t.passes)}, CPU)",
            f"{t.events_per_s:.0f} events/s ({ms(t.measured_s)})",
            f"{t.baseline_per_s:.0f} events/s ({ms(t.baseline_s)}, 1 bare PutItem per event)",
            f"{t.ratio:.2f}x time",
            "—",
            "—",
        ),
        Row(
            "Feedback handler against its own DynamoDB requests made bare (same pass, same table state)",
            ms(t.measured_s),
            f"{ms(t.replay_s)} ({t.requests} requests replayed)",
            f"{t.replay_ratio:.2f}x time",
            "—",
            "—",
        ),
        Row(
            f"Feedback: DynamoDB write requests per recipient ({n} notifications, 1–50 recipients, 5 kinds, 3 shapes)",
            f"worst {worst:.2f}, 50 recipients: {_at(result, 50):.2f}",
            f"budget {WRITE_GOAL:g} per recipient",
            f"worst {worst / WRITE_GOAL:.2f}x of budget",
            f"≤ {WRITE_GOAL:g} write/recipient",
            yes(worst <= WRITE_GOAL),
        ),
        Row(
            f"Feedback: the soft bounce that reaches the limit ({result.crossing.limit} in the window), 1 recipient",
            f"{result.crossing.writes} write{'' if result.crossing.writes == 1 else 's'} "
            f"({_ops(result.crossing.calls)})",
            f"budget {WRITE_GOAL:g}",
            f"{result.crossing.writes / WRITE_GOAL:.2f}x of budget",
            f"≤ {WRITE_GOAL:g} write/recipient",
            yes(result.crossing.writes <= WRITE_GOAL),
        ),
    ]


def _at(result: FeedbackResult, recipients: int) -> float:
    return max(c.writes_per_recipient for c in result.counts if c.recipients == recipients)


def _soft_attempts() -> int:
    from chalicelib.services.feedback import SOFT_ATTEMPTS

    return SOFT_ATTEMPTS


def _ops(calls: dict[str, int]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(calls.items())) or "none"


def details(result: FeedbackResult) -> str:
    t = result.throughput
    lines = [
        "## Feedback",
        "",
        "SES notifications generated per kind and shape (identity notification, configuration-set "
        "event, SNS envelope), run through the embedded stack. Requests are counted exactly by a "
        "botocore `before-call` hook around `FeedbackService.record_batch` (what the handler "
        "calls); every shape of a kind and size costs the same"
        + ("" if all(c.shapes_agree for c in result.counts) else " **except where marked**")
        + ".",
        "",
        "| kind | recipients | first delivery | writes/recipient | redelivered |",
        "|---|---|---|---|---|",
    ]
    for c in result.counts:
        mark = "" if c.shapes_agree else " (shapes differ)"
        lines.append(
            f"| {c.kind}{mark} | {c.recipients} | {_ops(c.first)} | {c.writes_per_recipient:.2f} | {_ops(c.again)} |"
        )
    lines += [
        "",
        "Each event's marker (the conditional put that makes it apply once), its entry or its "
        "address's soft bounces, an account-list entry (conditional: never over a permanent one) and the day's "
        "counter are one TransactWriteItems, packed up to DynamoDB's 100 items: a notification of "
        "up to 49 bounced recipients, or 99 delivered ones, is one request. BatchWriteItem cannot "
        "carry the marker's condition, so it cannot make an event apply once.",
        "",
        "Soft bounces read each address's soft-bounce item (its times in the window and a version "
        "number) and its suppression entry before the transaction: one consistent BatchGetItem "
        "for up to 50 addresses. The transaction writes each item back only over the version it "
        "read and, when the new count reaches the limit, the expiring entry as well (never over a "
        "permanent one; an address the read found permanently suppressed gets none): "
        f"{_ops(result.crossing.calls)} for the notification that reaches the limit, as below it. "
        "Two soft bounces of one address processed at once cannot both miss the limit: the "
        "second transaction finds the version moved and is cancelled (writing nothing, its "
        "markers included), reads again and retries, up to "
        f"{_soft_attempts()} transactions, then the record fails for SQS to redeliver. A soft "
        "bounce costs one read more than a permanent one, and no more writes.",
        "",
        f"Throughput: {t.notifications} notifications ({t.events} events) per pass through "
        f"`record_feedback` in SQS batches of 10, against {t.events} bare PutItem calls to the "
        "same table; CPU seconds per pass (handler, bare): "
        + ", ".join(f"{m:.2f} / {b:.2f}" for m, b, _ in t.passes)
        + f". The same pass's {t.requests} DynamoDB requests, captured from the service and "
        "replayed with a bare client on an equally empty table, take "
        + ", ".join(f"{r:.2f}" for _, _, r in t.passes)
        + " s: the handler's own work (Chalice's event objects, parsing, building items) is what "
        "separates the two. Every phase starts from an empty table. moto deep-copies every "
        "partition a transaction touches (the whole list's partition among them), a cost real "
        "DynamoDB does not have, which weighs on the handler and the replay alike"
        + (f"; {t.replay_errors} replayed requests failed" if t.replay_errors else "")
        + ".",
    ]
    return "\n".join(lines) + "\n"


class _quiet_logs:
    """The handler logs a line per notification; keep the bench output readable."""

    def __enter__(self) -> None:
        import logging

        self._previous = logging.root.manager.disable
        logging.disable(logging.INFO)

    def __exit__(self, *_: object) -> None:
        import logging

        logging.disable(self._previous)
