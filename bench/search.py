"""Search: ticket search and customer history with 100,000 tickets and their search terms.

The tickets are the queue benchmark's (`bench.queue_tickets.seeded_tickets`), each given a requester
(20,000 customers: half at one big mail provider, half at 500 small domains) and a subject
of two words from a Zipf-distributed vocabulary. Their items are the adapters' own
(`dynamodb_items.ticket_item`, `dynamodb_search.term_puts` of `search_terms.message_terms`:
ticket id, address, domain and the two words, 5 terms a ticket, 500,000 term items),
written straight into moto's backend in this process (BatchWriteItem through botocore
would take about four times as long for the same items); one ticket filed by the real
ingest pipeline first checks that its items have the same layout.

Requests are counted exactly by a botocore hook; every result is checked against the
answer computed here from the seeded tickets. Time is CPU time (`time.process_time`;
moto runs in this process), each call next to a bare Query of the queue (the support
mailbox's working lane, `Limit` 26, as in the queue benchmark), best of REPS.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bench.queue import AGENT, Op, ops_text
from bench.queue_tickets import FIRST_ID, TICKETS, bare_page, seeded_tickets

REPS = 1  # each Query of moto scans the 600,000 items: one pass is minutes on a shared machine
SEED = 23
CUSTOMERS = 20_000
SMALL_DOMAINS = 500
BIG_DOMAIN = "mail.example"
VOCABULARY = ("refund", "invoice", "delivery", "password", "printer", "login", "Rechnung", "請求書")
WORDS = 2_000
PAGE = 25
DEEP = 1_000


def _requester(n: int) -> str:
    customer = n % CUSTOMERS
    domain = BIG_DOMAIN if customer % 2 == 0 else f"shop{customer % SMALL_DOMAINS}.example"
    return f"customer{customer}@{domain}"


def _vocabulary() -> list[str]:
    return [*VOCABULARY, *(f"word{k}" for k in range(WORDS - len(VOCABULARY)))]


def search_tickets(count: int = TICKETS) -> list[Any]:
    """The queue benchmark's tickets with requesters and subjects worth searching."""
    rng = random.Random(SEED)
    words = _vocabulary()
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf: the first word is the commonest
    out = []
    for n, ticket in enumerate(seeded_tickets(count)):
        first, second = rng.choices(words, weights, k=2)
        requester = _requester(n)
        out.append(
            replace(ticket, requester=requester, participants=(requester,), subject=f"{first} {second}")
        )
    return out


def terms_of(ticket: Any) -> tuple[str, ...]:
    from chalicelib.domain.search_terms import MessageText, message_terms

    return message_terms(MessageText(ticket.id, ticket.requester, "", ticket.subject, ""))


@dataclass(frozen=True)
class Seeding:
    tickets: int
    terms: int
    wall_s: float


def seed(stack: Any, tickets: list[Any], log: Callable[[str], None]) -> Seeding:
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.adapters import dynamodb_items as items
    from chalicelib.adapters.dynamodb_search import term_puts

    table = stack.settings.tickets_table
    account = stack.client("sts").get_caller_identity()["Account"]
    backend = dynamodb_backends[account][stack.settings.region]
    wall, terms = time.perf_counter(), 0
    for n, ticket in enumerate(tickets, 1):
        backend.put_item(table, items.ticket_item(ticket))
        for put in term_puts(table, ticket.id, ticket.created_at, terms_of(ticket)):
            backend.put_item(table, put["Put"]["Item"])
            terms += 1
        if n % 20_000 == 0:
            log(f"search: {n} tickets seeded, {time.perf_counter() - wall:.0f} s")
    return Seeding(len(tickets), terms, time.perf_counter() - wall)


def layout_check(stack: Any) -> None:
    """A ticket filed by ingest has the term items `terms_of` would give it, keyed alike."""
    from tests.support.deliver import deliver
    from tests.support.mail_factory import make_mail

    outcome = deliver(stack, make_mail(subject="layoutcheck", sender="layout@check.example", body=""))
    ticket = stack.tickets.get_ticket(outcome.ticket)
    db = stack.client("dynamodb")
    for term in terms_of(ticket):
        found = db.query(
            TableName=stack.settings.tickets_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"TERM#{term}"}},
        )["Items"]
        if [i["sk"]["S"] for i in found] != [f"{ticket.created_at}#{ticket.id}"]:
            raise RuntimeError(f"search bench: ingest indexed {term!r} otherwise: {found}")


@dataclass
class SearchResult:
    seeding: Seeding
    ops: dict[str, Op]
    shown: dict[str, int]
    tickets: int = TICKETS


def _newest(
    tickets: list[Any], wanted: Callable[[Any], bool], after: str = "", limit: int = PAGE
) -> list[str]:
    keyed = sorted(
        ((f"{t.created_at}#{t.id}", t) for t in tickets if wanted(t)), reverse=True, key=lambda kt: kt[0]
    )
    return [t.id for key, t in keyed if not after or key < after][:limit]


def run(log: Callable[[str], None] = print, count: int = TICKETS) -> SearchResult:
    from chalicelib.adapters import dynamodb_search
    from chalicelib.wiring import build_services
    from inbound.local.embedded import embedded_stack
    from tests.support.request_counts import counted_session

    tickets = search_tickets(count)
    words = _vocabulary()
    common, second, rare = words[0], words[1], words[40]
    hot = "@" + BIG_DOMAIN
    customer = _requester(7)
    by_id = f"T-{FIRST_ID + count // 2}"
    with embedded_stack(stage="bench") as stack:
        layout_check(stack)
        seeding = seed(stack, tickets, log)
        log(f"search: seeded {seeding.tickets} tickets, {seeding.terms} terms in {seeding.wall_s:.0f} s")
        # The seeded items live as long as the table: out of the collector's full passes,
        # which would otherwise walk them all again and again while the searches run.
        gc.collect()
        gc.freeze()
        session, counter = counted_session()
        services = build_services(stack.settings, session)
        finder = services.search
        db, table = stack.client("dynamodb"), stack.settings.tickets_table

        def bare() -> float:
            return bare_page(db, table, PAGE + 1)

        deep_key = [
            f"{t.created_at}#{t.id}"
            for t in sorted(tickets, key=lambda t: t.created_at, reverse=True)
            if t.requester.endswith(hot)
        ][DEEP - 1]
        deep_cursor = dynamodb_search._encode(deep_key)
        in_words = lambda *ws: lambda t: all(w.casefold() in t.subject.casefold().split() for w in ws)  # noqa: E731
        cases: dict[str, tuple[Callable[[], Any], list[str]]] = {
            f"ticket id ({by_id})": (lambda: finder.search(AGENT, by_id), [by_id]),
            f"address (a customer with {count // CUSTOMERS} tickets)": (
                lambda: finder.search(AGENT, customer),
                _newest(tickets, lambda t: t.requester == customer),
            ),
            f"domain of {count // 2:,} tickets, first page": (
                lambda: finder.search(AGENT, hot),
                _newest(tickets, lambda t: t.requester.endswith(hot)),
            ),
            f"the same domain, a page {DEEP} tickets in": (
                lambda: finder.search(AGENT, hot, cursor=deep_cursor),
                _newest(tickets, lambda t: t.requester.endswith(hot), after=deep_key),
            ),
            f"the commonest word ({common!r})": (
                lambda: finder.search(AGENT, common),
                _newest(tickets, in_words(common)),
            ),
            f"two words, common and rare ({common!r} {rare!r})": (
                lambda: finder.search(AGENT, f"{common} {rare}"),
                _newest(tickets, in_words(common, rare)),
            ),
            f"two common words ({common!r} {second!r})": (
                lambda: finder.search(AGENT, f"{common} {second}"),
                _newest(tickets, in_words(common, second)),
            ),
            "Japanese word (請求書)": (
                lambda: finder.search(AGENT, "請求書"),
                _newest(tickets, in_words("請求書")),
            ),
        }
        once = {
            "the commonest word, status new only (2% of tickets)": (
                lambda: finder.search(AGENT, common, statuses=["new"]),
                None,
            ),
            "customer history (`GET /api/tickets/{id}/history`)": (
                lambda: finder.history(_newest(tickets, lambda t: t.requester == customer)[0]),
                _newest(tickets, lambda t: t.requester == customer)[1:],
            ),
        }
        finder.search(AGENT, "warm")  # the clients
        counter.take()
        ops: dict[str, Op] = {}
        shown: dict[str, int] = {}
        for rep in range(REPS):
            for name, (call, wanted) in (cases | (once if rep == 0 else {})).items():
                base = bare()
                counter.take()
                t0 = time.process_time()
                page = call()
                spent = time.process_time() - t0
                calls = counter.take()
                got = [t.id for t in page.tickets]
                if wanted is not None and got != wanted:
                    raise RuntimeError(f"search bench: {name} shows {got[:5]}, expected {wanted[:5]}")
                if wanted is None and any(t.status != "new" for t in page.tickets):
                    raise RuntimeError(f"search bench: {name} shows a ticket not new")
                op = ops.setdefault(name, Op(name, calls))
                if op.calls != calls:
                    raise RuntimeError(f"search bench: {name} made {calls}, before {op.calls}")
                op.cpu_s.append(spent)
                op.baseline_s.append(base)
                shown[name] = len(got)
                log(f"search: {name}: {ops_text(calls)}, {spent:.2f} s CPU (bare {base:.2f} s)")
            log(f"search: rep {rep + 1}/{REPS} done")
    return SearchResult(seeding, ops, shown, count)


# -- report ----------------------------------------------------------------------
def rows(result: SearchResult) -> list[Any]:
    from bench.report import Row, ms, yes

    out = []
    for name, op in result.ops.items():
        dynamodb = sum(n for k, n in op.calls.items() if k.startswith("dynamodb."))
        scans = op.calls.get("dynamodb.Scan", 0)
        out.append(
            Row(
                f"Search: {name}; {result.tickets:,} tickets",
                f"{dynamodb} request{'' if dynamodb == 1 else 's'} ({ops_text(op.calls)}), {ms(min(op.cpu_s))} CPU",
                f"1 bare Query of the queue, {ms(min(op.baseline_s))}",
                f"{op.ratio:.2f}x time",
                "no Scan",
                yes(scans == 0),
            )
        )
    return out


def details(result: SearchResult) -> str:
    s = result.seeding
    lines = [
        "## Search",
        "",
        f"{result.tickets:,} tickets (the queue benchmark's mix) from {CUSTOMERS:,} customers, half at "
        f"`{BIG_DOMAIN}` and half at {SMALL_DOMAINS} small domains, subjects of two words from a "
        f"Zipf-distributed vocabulary of {WORDS:,} (German and Japanese words among the commonest); "
        f"{s.terms:,} term items (id, address, domain, two words: `message_terms`) written into moto's "
        f"backend in {s.wall_s:.0f} s. Every answer below was checked against the one computed from "
        "the seeded tickets.",
        "",
        f"| search | requests (exact) | tickets shown | CPU, best of {REPS} | bare queue Query, best | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, op in result.ops.items():
        lines.append(
            f"| {name} | {ops_text(op.calls)} | {result.shown[name]} | {min(op.cpu_s) * 1000:.1f} ms | "
            f"{min(op.baseline_s) * 1000:.1f} ms | {op.ratio:.2f}x{' (one run)' if len(op.cpu_s) == 1 else ''} |"
        )
    lines += [
        "",
        "A one-term search is one Query of the term's partition (newest first, up to 100 sort "
        "keys) and one BatchGetItem of the page's tickets, however many tickets have the term; "
        "a page further in starts at the cursor's key (`sk < :below`). Several terms are "
        "intersected by leapfrogging: each partition is entered at the newest ticket the others "
        "still allow (`sk <= :at`), so a rare term beside a common one costs a Query or two "
        "more, not a read of the common partition; each further Query of a partition asks for "
        "twice the keys of the one before (up to 1,600), so a common word entered again at "
        "every few candidates of another costs a few Queries a page, not dozens. Filters (mailbox, status, assignee) apply "
        "to the tickets as they are, after the BatchGetItem: a filter that leaves few tickets "
        "reads more candidates, up to 1,000 a page, and then answers a short page with a "
        "cursor. Customer history is one Query of the `byrequester` index (plus the GetItem "
        "of the ticket whose requester it is).",
        "",
        "moto reads a Query of the table by its partition (a term, a ticket) but answers a Query "
        "of an index (the queue's bare Query, customer history) by scanning every item (600,000 "
        "here): the time ratios say more about moto than about DynamoDB, where each Query reads "
        "only its partition's keys. The requests are the figure that carries over: a one-term "
        "page reads about 4 KB of sort keys (1 RCU, eventually consistent) and 25 tickets.",
    ]
    return "\n".join(lines) + "\n"
