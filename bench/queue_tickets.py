"""A year of tickets for the queue and search benchmarks, most of them closed (see `MIX`),
written straight into the embedded stack's tickets table with BatchWriteItem, each item
built by the adapter's own `dynamodb_items.ticket_item`; `layout_check` holds a ticket the
real ingest pipeline filed against a seeded one, so the two agree on the item layout."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TICKETS = 100_000
SEED = 11
AGENTS = tuple(f"agent{n}@example.com" for n in range(8))
FIRST_ID = 200_000  # seeded ids T-200000..; the pipeline's own counter starts at T-1001
# (status, share of tickets, share of those assigned)
MIX = (
    ("new", 0.02, 0.0),
    ("open", 0.03, 0.67),
    ("pending", 0.05, 1.0),
    ("solved", 0.20, 1.0),
    ("closed", 0.70, 1.0),
)
MAILBOXES = (("support", 0.8), ("billing", 0.2))
PRIORITIES = (("urgent", 0.02), ("high", 0.10), ("normal", 0.80), ("low", 0.08))


def _pick(rng: random.Random, shares: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in shares], [share for _, share in shares])[0]


def seeded_tickets(count: int = TICKETS, seed: int = SEED) -> list[Any]:
    """`count` tickets over the past year, statuses and assignees as MIX says."""
    from chalicelib.domain.sla import SlaClock
    from chalicelib.domain.tickets import Ticket
    from chalicelib.domain.timestamps import iso_millis

    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / count
    statuses = tuple((status, share) for status, share, _ in MIX)
    assigned = {status: share for status, _, share in MIX}
    tickets = []
    for n in range(count):
        status = _pick(rng, statuses)
        created = iso_millis(start + step * n)
        requester = f"customer{n}@customer.example"
        tickets.append(
            Ticket(
                id=f"T-{FIRST_ID + n}",
                mailbox=_pick(rng, MAILBOXES),
                subject=f"Question number {n} about my order",
                requester=requester,
                status=status,
                participants=(requester,),
                assignee=rng.choice(AGENTS) if rng.random() < assigned[status] else "",
                priority=_pick(rng, PRIORITIES),
                created_at=created,
                updated_at=created,
                message_count=1 + n % 4,
                attachment_count=int(n % 3 == 0),
                # What filing writes on every ticket: its reply-address nonce, who wrote
                # last, and the SLA clock started (no targets set: nothing due).
                token_nonce=f"{n:016x}",
                last_from="customer",
                sla=SlaClock(started_at=created),
            )
        )
    return tickets


@dataclass(frozen=True)
class Seeding:
    tickets: int
    requests: int
    wall_s: float
    cpu_s: float


def seed(stack: Any, tickets: list[Any], log: Callable[[str], None]) -> Seeding:
    from chalicelib.adapters import dynamodb_items as items

    db = stack.client("dynamodb")
    table = stack.settings.tickets_table
    requests = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(tickets), 25):
        request: dict[str, Any] = {
            table: [{"PutRequest": {"Item": items.ticket_item(t)}} for t in tickets[start : start + 25]]
        }
        while request:
            request = db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            requests += 1
        if (start + 25) % 20_000 == 0:
            log(f"queue: {start + 25} tickets seeded, {time.perf_counter() - wall:.0f} s")
    return Seeding(len(tickets), requests, time.perf_counter() - wall, time.process_time() - cpu)


def layout_check(stack: Any, seeded: Any) -> Any:
    """A ticket made by ingest and a seeded one of the same state have the same attributes."""
    from dataclasses import replace

    from chalicelib.adapters import dynamodb_items as items
    from tests.support.deliver import deliver
    from tests.support.mail_factory import make_mail

    outcome = deliver(stack, make_mail(subject="Printer on fire", sender="alice@customer.org"))
    if outcome.outcome != "created":
        raise RuntimeError(f"queue bench: the layout check's mail was not filed: {outcome}")
    db = stack.client("dynamodb")
    real = db.get_item(TableName=stack.settings.tickets_table, Key=items.ticket_key(outcome.ticket))["Item"]
    twin = items.ticket_item(replace(seeded, status="new", assignee="", tags=()))
    if set(real) != set(twin):
        raise RuntimeError(f"queue bench: seeded item layout differs from ingest's: {set(real) ^ set(twin)}")
    return items.ticket_from_item(real)


def bare_page(db: Any, table: str, limit: int) -> float:
    """CPU time of one bare Query of the queue index (the support mailbox's working lane,
    `limit` items): the baseline each measured read of the queue and search benches stands beside."""
    t0 = time.process_time()
    db.query(
        TableName=table,
        IndexName="queue",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "QUEUE#support#working"}},
        Limit=limit,
    )
    return time.process_time() - t0
