"""Exactly once under failure: crash at every AWS call, redeliver, compare with a clean run.

INBOUND_LONG=1 also fails every pair of calls in one run (171 runs of each kind for
the 19 calls of the workflow).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.services.notifications import decode
from chalicelib.wiring import build_services
from tests.support.deliver import notification_for
from tests.support.embedded import empty_stack
from tests.support.fault_injection import FaultInjector
from tests.support.mail_factory import make_mail

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8
LONG = os.environ.get("INBOUND_LONG") == "1"


def _workflow(stack, services):
    """A new mail with an attachment, then a reply that threads by references."""
    notes = [
        notification_for(
            stack, make_mail(message_id="<w1@customer.org>", attachments=(("a.pdf", "application/pdf", PDF),))
        ),
        notification_for(
            stack,
            make_mail(subject="Re: Printer", in_reply_to="<w1@customer.org>", message_id="<w2@customer.org>"),
        ),
    ]
    return notes


def _run(services, bucket, note, attempts=6):
    """Deliver like SQS: retry the same notification until it succeeds."""
    for _ in range(attempts):
        try:
            return services.ingest.ingest(decode(note, bucket))
        except (ClientError, ReadTimeoutError):
            continue
    raise AssertionError("never succeeded")


def _state(stack):
    """What a user would see: tickets by number (a number is spent only by its commit, so
    a retried delivery leaves no gap), their messages and files, and the ticket counter."""
    tickets = stack.tickets
    db = stack.client("dynamodb")
    items = []
    for page in db.get_paginator("scan").paginate(TableName=stack.settings.tickets_table):
        items += page["Items"]
    ticket_ids = sorted(i["id"]["S"] for i in items if i.get("type", {}).get("S") == "ticket")
    seen = []
    for tid in ticket_ids:
        ticket = tickets.get_ticket(tid)
        messages = [
            (
                m.subject,
                m.sender,
                m.thread_signal,
                tuple((a.key.split("/")[1], a.sha256) for a in m.attachments),
            )
            for m in tickets.messages(tid)
        ]
        seen.append((tid, ticket.subject, ticket.message_count, ticket.attachment_count, tuple(messages)))
    s3 = sorted(
        "/".join(k.split("/")[:2]) if k.startswith("attachments/") else k.split("/", 1)[0]
        for k in stack.keys("")
    )
    return seen, s3, tickets.ticket_counter()


def _fault_plans(total_calls: int) -> list[set[int]]:
    """Which calls fail in each run: each one alone; with INBOUND_LONG=1 also every pair
    (a retry failing again, or a second step failing after the first was retried)."""
    plans = [{n} for n in range(total_calls)]
    if LONG:
        plans += [set(pair) for pair in itertools.combinations(range(total_calls), 2)]
    return plans


@pytest.mark.timeout(7200 if LONG else 1800, method="thread")
@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_a_failure_at_any_aws_call_loses_and_doubles_nothing(kind):
    from inbound.local.embedded import embedded_stack

    with embedded_stack(stage="clean") as clean:
        injector = FaultInjector(clean.session)
        services = build_services(clean.settings, clean.session)
        notes = _workflow(clean, services)
        injector.calls.clear()
        for note in notes:
            _run(services, clean.settings.mail_bucket, note)
        total_calls = len(injector.calls)
        expected = _state(clean)

    assert expected[0][0][:3] == ("T-1001", "Printer on fire", 2)  # the reply threaded into it
    assert expected[2] == 1
    # One provisioned stack for every plan (provisioning costs seconds), emptied before each
    # as the `stack` fixture empties it between tests, with services built afresh.
    with embedded_stack(stage="faulty") as stack:
        injector = FaultInjector(stack.session, kind)
        for fail_at in _fault_plans(total_calls):
            empty_stack(stack)
            services = build_services(stack.settings, stack.session)
            notes = _workflow(stack, services)
            injector.calls.clear()
            injector.fail_at = fail_at
            for note in notes:
                _run(services, stack.settings.mail_bucket, note)
            injector.fail_at = None
            assert len(injector.calls) > max(fail_at), (fail_at, injector.calls)
            assert _state(stack) == expected, (
                f"fault at calls {sorted(fail_at)}: {[injector.calls[n] for n in sorted(fail_at)]}"
            )
            assert stack.keys("incoming/") == []


def test_twenty_parallel_deliveries_of_one_notification_store_one_message():
    """GIVEN one notification delivered 20 times at once (moto's server: real HTTP, real threads)
    THEN one message is stored and every other run answers duplicate."""
    from inbound.local.embedded import moto_server, stack_at

    with moto_server() as endpoint:
        _twenty_parallel(stack_at(endpoint, stage="parallel"))


def _twenty_parallel(stack):
    note = notification_for(stack, make_mail(attachments=(("a.pdf", "application/pdf", PDF),)))
    bucket = stack.settings.mail_bucket
    outcomes, errors = [], []
    barrier = threading.Barrier(20)

    def work():
        barrier.wait()
        try:
            outcomes.append(stack.ingest.ingest(decode(note, bucket)))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    kinds = sorted(o.outcome for o in outcomes)
    assert kinds.count("created") == 1 and kinds.count("duplicate") == 19
    ticket = {o.ticket for o in outcomes}
    assert len(ticket) == 1
    [message] = stack.tickets.messages(ticket.pop())
    assert hashlib.sha256(PDF).hexdigest() == message.attachments[0].sha256
    assert stack.keys("incoming/") == []
