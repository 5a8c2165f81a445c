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

The notifications are built in `feedback_notifications`, the throughput measured in
`feedback_throughput`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.feedback_notifications import KINDS, SHAPES, notification
from bench.feedback_throughput import Throughput, measure_throughput

MATRIX_RECIPIENTS = (1, 2, 10, 49, 50)
WRITE_GOAL = 1.0  # write requests per recipient
WRITES = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})


# -- request counts --------------------------------------------------------------
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
    from chalicelib.wiring import build_services
    from tests.support.request_counts import counted_session

    session, counter = counted_session("dynamodb")  # counted from its first client
    service = build_services(stack.settings, session).feedback
    now = datetime.now(UTC)

    def run(body: str) -> dict[str, int]:
        counter.take()
        result = service.record_batch([("bench", body)])
        if result.failed:
            raise RuntimeError(f"feedback bench: a generated notification failed: {body[:200]}")
        return {call.removeprefix("dynamodb."): n for call, n in counter.take().items()}

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
