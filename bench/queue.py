"""Queue: the staff desk's reads and claims with 100,000 tickets in the tickets table.

The tickets are `queue_tickets`': a year of them, most closed, written straight into the
embedded stack's table (moto in this process), their item layout checked against a ticket
the real ingest pipeline filed.

Requests are counted exactly by a botocore `before-call` hook on the session the
services are built on, for: the first queue page, a deep page (via a cursor issued
`DEEP` tickets in), claiming the next ticket (uncontended), reading one ticket, and a
few other views. Each page and claim is checked against the order computed here from
the seeded tickets. Time is CPU time (`time.process_time`; moto runs in this process),
each measured call next to a bare Query of the same index (the queue index, the working
lane of the mailbox, `Limit` a page plus one), best of REPS each.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.queue_tickets import (
    AGENTS,
    MAILBOXES,
    MIX,
    TICKETS,
    Seeding,
    bare_page,
    layout_check,
    seed,
    seeded_tickets,
)

DEEP = 1_500  # tickets before the deep page's cursor
PAGE = 25  # the API's default page
REPS = 3
AGENT = "bench-agent@example.com"
PAGE_GOAL = 1  # Query requests per page
CLAIM_GOAL = 2  # DynamoDB requests per uncontended claim


class _Order:
    """The support mailbox's working lane as the queue should show it, kept in step with claims."""

    def __init__(self, tickets: list[Any]) -> None:
        from chalicelib.adapters import dynamodb_items as items

        self._keys = items.queue_keys
        self.sk = {
            t.id: self._sk(t) for t in tickets if t.mailbox == "support" and t.status in ("new", "open")
        }

    def _sk(self, t: Any) -> str:
        return self._keys(t.mailbox, t.status, t.assignee, t.priority, t.created_at, t.id)["gsi1sk"]

    def add(self, ticket: Any) -> None:
        self.sk[ticket.id] = self._sk(ticket)

    def after(self, sk: str = "", limit: int = PAGE) -> list[str]:
        ordered = sorted(self.sk.items(), key=lambda kv: kv[1])
        return [tid for tid, key in ordered if key > sk][:limit]

    def next_claim(self) -> str:
        return next(tid for tid, key in sorted(self.sk.items(), key=lambda kv: kv[1]) if key.startswith("0#"))


def _cursor_sk(cursor: str) -> str:
    """The index sort key a cursor resumes after (the cursor is the adapter's base64 JSON)."""
    positions = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return str(positions["working"]["gsi1sk"])


@dataclass
class Op:
    name: str
    calls: dict[str, int]
    cpu_s: list[float] = field(default_factory=list)
    baseline_s: list[float] = field(default_factory=list)

    @property
    def dynamodb(self) -> int:
        return sum(n for op, n in self.calls.items() if op.startswith("dynamodb."))

    @property
    def queries(self) -> int:
        return self.calls.get("dynamodb.Query", 0)

    @property
    def ratio(self) -> float:
        return min(self.cpu_s) / min(self.baseline_s) if self.cpu_s else 0.0


@dataclass
class QueueResult:
    seeding: Seeding
    working: int  # tickets in the support mailbox's working lane
    ops: dict[str, Op]
    bare_s: list[float]
    read_baseline: str
    tickets: int = TICKETS
    deep: int = DEEP


def run(log: Callable[[str], None] = print, count: int = TICKETS) -> QueueResult:
    from chalicelib.services.ports.records import QueueQuery
    from chalicelib.wiring import build_services
    from inbound.local.embedded import embedded_stack
    from tests.support.request_counts import counted_session

    tickets = seeded_tickets(count)
    order = _Order(tickets)
    with embedded_stack(stage="bench") as stack:
        filed = layout_check(stack, tickets[0])  # a support ticket, new: in the lane too
        order.add(filed)
        shown = filed.id
        seeding = seed(stack, tickets, log)
        log(f"queue: seeded {seeding.tickets} tickets in {seeding.wall_s:.0f} s ({seeding.cpu_s:.0f} s CPU)")
        session, counter = counted_session()
        desk = build_services(stack.settings, session).desk
        db = stack.client("dynamodb")  # the bare side: another session, not counted
        table = stack.settings.tickets_table

        def bare() -> float:
            return bare_page(db, table, PAGE + 1)

        def bare_read() -> float:
            from chalicelib.adapters import dynamodb_items as items

            t0 = time.process_time()
            db.get_item(TableName=table, Key=items.ticket_key(shown), ConsistentRead=True)
            db.query(
                TableName=table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :msg)",
                ExpressionAttributeValues={":pk": {"S": f"TICKET#{shown}"}, ":msg": {"S": "MSG#"}},
            )
            return time.process_time() - t0

        ops: dict[str, Op] = {}

        def timed(name: str, call: Callable[[], Any], baseline: Callable[[], float] = bare) -> Any:
            base = baseline()
            counter.take()
            t0 = time.process_time()
            value = call()
            spent = time.process_time() - t0
            calls = counter.take()
            op = ops.setdefault(name, Op(name, calls))
            if _dynamodb(op.calls) != _dynamodb(calls):
                raise RuntimeError(f"queue bench: {name} made {calls}, before {op.calls}")
            for key, n in calls.items():  # SNS events depend on the ticket (a new one: two)
                op.calls[key] = max(op.calls.get(key, 0), n)
            op.cpu_s.append(spent)
            op.baseline_s.append(base)
            return value

        # The deep page's cursor: issued by the adapter after DEEP tickets (one request,
        # instead of DEEP / 100 pages of the API's largest page).
        deep = min(DEEP, len(order.sk) // 2)  # a small table (a quick run): half way in
        _, deep_cursor = desk.ports.queue.page(QueueQuery("support", ("new", "open")), deep)
        if deep_cursor is None:
            raise RuntimeError(f"queue bench: no cursor after {deep} tickets")
        deep_sk = _cursor_sk(deep_cursor)
        desk.queue(AGENT, limit=1)  # warm the desk's clients
        counter.take()
        bare_s = []
        for rep in range(REPS):
            bare_s.append(bare())
            page = timed("first page", lambda: desk.queue(AGENT))
            _expect("first page", [t.id for t in page.tickets], order.after())
            further = timed("deep page", lambda: desk.queue(AGENT, cursor=deep_cursor))
            _expect("deep page", [t.id for t in further.tickets], order.after(deep_sk))
            wanted = order.next_claim()
            claimed = timed("claim next", lambda: desk.claim_next(AGENT))
            _expect("claim", [claimed.id if claimed else None], [wanted])
            order.add(claimed)
            timed("read one ticket", lambda: desk.show(shown), bare_read)
            log(f"queue: rep {rep + 1}/{REPS} done")
        # Other views, counted once (their time is not a goal).
        others = {
            "unassigned only": lambda: desk.queue(AGENT, assignee="none"),
            "status new only (a filter on the lane)": lambda: desk.queue(AGENT, statuses=["new"]),
            "pending": lambda: desk.queue(AGENT, statuses=["pending"]),
            "an agent's tickets, new and open": lambda: desk.queue(AGENT, assignee=AGENTS[0]),
        }
        for name, call in others.items():
            timed(name, call)
    return QueueResult(
        seeding, len(order.sk), ops, bare_s, "GetItem + messages Query of the ticket", count, deep
    )


def _dynamodb(calls: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in calls.items() if op.startswith("dynamodb.")}


def _expect(what: str, got: list[Any], wanted: list[Any]) -> None:
    if got != wanted:
        raise RuntimeError(f"queue bench: {what} shows {got[:5]}..., expected {wanted[:5]}...")


# -- report ----------------------------------------------------------------------
def ops_text(calls: dict[str, int]) -> str:
    return ", ".join(f"{n} {op.split('.', 1)[1]}" for op, n in sorted(calls.items())) or "none"


def rows(result: QueueResult) -> list[Any]:
    from bench.report import Row, ms, yes

    ops = result.ops
    out = []
    for name in ("first page", "deep page"):
        op = ops[name]
        where = f", cursor after {result.deep}" if name == "deep page" else ""
        out.append(
            Row(
                f"Queue {name} ({PAGE} of {result.working} working tickets{where}; {result.tickets:,} in the table)",
                f"{op.queries} Query, {ms(min(op.cpu_s))} CPU",
                f"1 bare Query of the lane, {ms(min(op.baseline_s))}",
                f"{op.ratio:.2f}x time",
                f"{PAGE_GOAL} Query/page",
                yes(op.queries <= PAGE_GOAL and op.dynamodb == op.queries),
            )
        )
    claim = ops["claim next"]
    sns = sum(n for op, n in claim.calls.items() if op.startswith("sns."))
    out.append(
        Row(
            "Queue claim next, uncontended",
            f"{claim.dynamodb} DynamoDB ({ops_text({k: v for k, v in claim.calls.items() if k.startswith('dynamodb.')})})"
            f" + up to {sns} SNS Publish, {ms(min(claim.cpu_s))} CPU",
            f"1 bare Query of the lane, {ms(min(claim.baseline_s))}",
            f"{claim.ratio:.2f}x time",
            f"≤ {CLAIM_GOAL} DynamoDB requests",
            yes(claim.dynamodb <= CLAIM_GOAL),
        )
    )
    read = ops["read one ticket"]
    out.append(
        Row(
            "Queue read one ticket (`desk.show`)",
            f"{sum(read.calls.values())} requests ({ops_text(read.calls)}), {ms(min(read.cpu_s))} CPU",
            f"bare {result.read_baseline}, {ms(min(read.baseline_s))}",
            f"{read.ratio:.2f}x time",
            "—",
            "—",
        )
    )
    return out


def details(result: QueueResult) -> str:
    s = result.seeding
    lines = [
        "## Queue",
        "",
        f"{result.tickets:,} tickets ("
        + ", ".join(f"{status} {share:.0%}" for status, share, _ in MIX)
        + "; mailboxes "
        + ", ".join(f"{m} {share:.0%}" for m, share in MAILBOXES)
        + f") written with {s.requests} BatchWriteItem requests in {s.wall_s:.0f} s wall, "
        f"{s.cpu_s:.0f} s CPU (moto in-process; items from `dynamodb_items.ticket_item`, checked "
        "against a ticket filed by ingest). Every page and claim below was checked against the "
        "order computed from the seeded tickets.",
        "",
        f"| call | requests (exact) | CPU, best of {REPS} | bare, best | ratio |",
        "|---|---|---|---|---|",
    ]
    for op in result.ops.values():
        lines.append(
            f"| {op.name} | {ops_text(op.calls)} | {min(op.cpu_s) * 1000:.1f} ms | "
            f"{min(op.baseline_s) * 1000:.1f} ms | {op.ratio:.2f}x{' (one run)' if len(op.cpu_s) == 1 else ''} |"
        )
    lines += [
        "",
        "The queue index keeps a mailbox's new and open tickets in one partition (the working "
        "lane, gsi1pk `QUEUE#<mailbox>#working`), sorted unassigned first, then priority, then "
        "age: the default page is one Query from the start or from the cursor's key, and claiming "
        "is one Query of the lane's unassigned prefix plus one conditional UpdateItem. Before the "
        "lane, each status was its own partition: two Queries per page and three DynamoDB requests "
        "per claim. A view of one working status filters the lane (DynamoDB's `Limit` counts "
        "items read before the filter, so a sparse status can take more than one Query); an "
        "agent's own tickets are one Query per status on the `byassignee` index. The two SNS "
        "publishes of a claim are its `ticket.status_changed` and `ticket.assigned` events, sent "
        "after the write commits.",
        "",
        "moto answers a Query by scanning and sorting the whole table (real DynamoDB reads only "
        "the partition's keys), so at this size every Query costs about the same whatever its "
        "page: the time ratios are close to the number of Queries each call makes. The read of "
        "one ticket is compared with the two requests it needs made bare.",
    ]
    return "\n".join(lines) + "\n"
