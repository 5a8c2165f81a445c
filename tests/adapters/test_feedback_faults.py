"""record_feedback exactly once under failure: fail every AWS call in turn, redeliver, compare.

GIVEN a morning of SES feedback in six SQS events: a permanent bounce of two
recipients, the same bounce again in the configuration-set shape (in an SNS
envelope) with a complaint, a bounce of 60 recipients (two transactions), three
soft bounces of one mailbox (the third suppresses it for a while), a refusal
because of SES's account-level list, and sending events
WHEN record_feedback handles them (the handler's own two lines, on services wired
as the Lambda's) while the n-th AWS call fails, with a 500 or with a read timeout,
for every n, and SQS redelivers what failed (the whole batch; or, with partial
batch responses, the records the handler named)
THEN the suppression table ends exactly as after a clean run: the same suppression
entries, soft-bounce items (each address's times in the window and its version: one
version per soft bounce applied), applied-event markers, reputation counts (summed
over their shards) and audit items. Nothing lost, nothing doubled.
"""

from __future__ import annotations

import collections
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb_items import deserialize
from chalicelib.services.queue_batch import BatchFailed
from chalicelib.wiring import build_services
from chalicelib.wiring.clients import new_session
from tests.support.events import sqs_event
from tests.support.fault_injection import FaultInjector
from tests.support.ses_feedback import bounce_note, complaint_note, send_note

FEEDBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:inbound-test-feedback"
# Every run reads the same clock, so entries, expiries and marker lifetimes compare equal.
NOW = datetime.now(UTC).replace(microsecond=0)
ATTEMPTS = 4  # fewer than the feedback queue's maxReceiveCount: nothing reaches the DLQ


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def envelope(body: str) -> str:
    """A notification as an SNS subscription without raw delivery hands it to SQS."""
    return json.dumps({"Type": "Notification", "MessageId": "sns-1", "Message": body})


def morning() -> list[list[str]]:
    """SQS events (each a list of record bodies) in the order they arrive."""
    soft = [
        bounce_note(
            "full@customer.org",
            bounce_type="Transient",
            subtype="MailboxFull",
            feedback_id=f"soft-{n}",
            at=ago(30 - n),
        )
        for n in range(3)
    ]
    return [
        [bounce_note("Jane <jane@customer.org>", "bob@customer.org", feedback_id="hard-1", at=ago(50))],
        [
            envelope(
                bounce_note(
                    "jane@customer.org",
                    "bob@customer.org",
                    feedback_id="hard-1",
                    shape="eventType",
                    at=ago(50),
                )
            ),
            complaint_note("carol@customer.org", feedback_id="complaint-1", at=ago(45)),
        ],
        [bounce_note(*(f"user{n}@customer.org" for n in range(60)), feedback_id="many", at=ago(40))],
        soft[:2],
        [
            soft[2],
            bounce_note(
                "listed@customer.org", subtype="OnAccountSuppressionList", feedback_id="acct", at=ago(20)
            ),
        ],
        [send_note("ses-m1", "dan@customer.org", "erin@customer.org", at=ago(10))],
    ]


def handle(svc, records: list[dict]) -> dict | None:
    """app.record_feedback: the batch through the service, the response as the handler returns it."""
    result = svc.feedback.record_batch((r["messageId"], r["body"]) for r in records)
    return result.response(svc.settings.partial_batch_responses)


def deliver(svc, bodies: list[str]) -> None:
    """One SQS event, redelivered as SQS does until the handler reports no failure."""
    records = sqs_event(bodies, FEEDBACK_QUEUE_ARN)["Records"]
    for _ in range(ATTEMPTS):
        try:
            response = handle(svc, records)
        except BatchFailed:
            continue  # the invocation failed: SQS makes the whole batch visible again
        failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        if not failed:
            return
        records = [r for r in records if r["messageId"] in failed]
    raise AssertionError(f"still failing after {ATTEMPTS} deliveries")


def table_state(stack) -> tuple[dict, dict]:
    """Every item of the suppression table; reputation counters summed per day over shards."""
    db = stack.client("dynamodb")
    items, counts = {}, collections.defaultdict(collections.Counter)
    for page in db.get_paginator("scan").paginate(TableName=stack.settings.suppression_table):
        for raw in page["Items"]:
            item = deserialize(raw)
            if item["pk"] == "REPUTATION":
                counts[item["day"]].update(
                    {k: int(v) for k, v in item.items() if k not in ("pk", "sk", "day", "expires_at")}
                )
            else:
                items[(item["pk"], item["sk"])] = item
    return items, {day: dict(c) for day, c in counts.items()}


def wipe(stack) -> None:
    db = stack.client("dynamodb")
    table = stack.settings.suppression_table
    keys = [
        key
        for page in db.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk")
        for key in page["Items"]
    ]
    for start in range(0, len(keys), 25):
        deletes = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        db.batch_write_item(RequestItems={table: deletes})


@pytest.fixture
def wired(stack):
    """Services on a session of their own whose every AWS call can be made to fail."""

    def build(kind: str, partial: bool):
        session = new_session("us-east-1")
        injector = FaultInjector(session, kind)
        svc = build_services(replace(stack.settings, partial_batch_responses=partial), session)
        svc.feedback.clock = lambda: NOW
        return svc, injector

    return build


def clean_run(stack, svc, injector) -> tuple[tuple[dict, dict], int]:
    wipe(stack)
    injector.calls.clear()
    for bodies in morning():
        deliver(svc, bodies)
    return table_state(stack), len(injector.calls)


def test_a_clean_run_suppresses_counts_and_absorbs_duplicate_deliveries(stack, wired):
    """The reference the fault runs are compared with is itself right, and SQS's
    at-least-once delivery of every record a second time changes nothing."""
    svc, injector = wired("error", partial=False)
    (items, counts), _ = clean_run(stack, svc, injector)

    suppressed = {sk: item["reason"] for (pk, sk), item in items.items() if pk == "SUPPRESSION"}
    assert suppressed == {
        "jane@customer.org": "BOUNCE",
        "bob@customer.org": "BOUNCE",
        "carol@customer.org": "COMPLAINT",
        **{f"user{n}@customer.org": "BOUNCE" for n in range(60)},
        "full@customer.org": "SOFT_BOUNCE",
        "listed@customer.org": "ACCOUNT_SUPPRESSED",
    }
    assert items[("SUPPRESSION", "full@customer.org")]["expires_at"] > NOW.timestamp()
    soft = items[("SOFT#full@customer.org", "STATE")]
    assert (len(soft["times"]), soft["version"]) == (3, 3), "three soft bounces, each written once"
    assert {pk.split("#")[0] for pk, _ in items} == {"SUPPRESSION", "SOFT", "EVENT"}
    totals = collections.Counter()
    for day in counts.values():
        totals.update(day)
    assert dict(totals) == {
        "bounces": 62,
        "complaints": 1,
        "soft_bounces": 3,
        "account_suppressed": 1,
        "sends": 2,
    }

    for bodies in morning():
        deliver(svc, bodies)
    assert table_state(stack) == (items, counts)

    wipe(stack)
    injector.calls.clear()
    deliver(svc, morning()[2])
    assert injector.calls.count("dynamodb.TransactWriteItems") == 2, "60 recipients span two transactions"


@pytest.mark.parametrize("partial", [False, True], ids=["whole-batch-retry", "partial-batch-responses"])
@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_a_failure_at_any_aws_call_loses_and_doubles_nothing(stack, wired, kind, partial):
    svc, injector = wired(kind, partial)
    expected, total_calls = clean_run(stack, svc, injector)
    assert total_calls >= 10, injector.calls

    differences = {}
    for fail_at in range(total_calls):
        wipe(stack)
        injector.calls.clear()
        injector.fail_at = fail_at
        for bodies in morning():
            deliver(svc, bodies)
        injector.fail_at = None
        assert len(injector.calls) > fail_at, (fail_at, injector.calls)
        state = table_state(stack)
        if state != expected:
            differences[f"call {fail_at} ({injector.calls[fail_at]})"] = _difference(expected, state)
    assert differences == {}


def _difference(expected: tuple[dict, dict], actual: tuple[dict, dict]) -> dict:
    """What a fault run lost, added or changed, readably."""
    (want, want_counts), (got, got_counts) = expected, actual
    return {
        "lost": sorted(set(want) - set(got)),
        "extra": sorted(set(got) - set(want)),
        "changed": sorted(k for k in set(want) & set(got) if want[k] != got[k]),
        "counts": (want_counts, got_counts) if want_counts != got_counts else None,
    }
