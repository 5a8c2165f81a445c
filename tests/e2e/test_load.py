"""Load: messages over SMTP from concurrent senders to `inbound up` (1,000 from 20 in the long mode).

GIVEN a fresh local stack, WHEN 10 senders each deliver 12 messages over their own SMTP
connection (a mix of plain, HTML and attachment mail; each sender's last message is a
re-send of its first, as a retrying MTA would do), THEN every delivery is accounted for:
one delivery record per accepted SES message id, each distinct Message-ID on exactly one
ticket message, nothing left in `incoming/`, nothing quarantined.

INBOUND_LONG=1 runs 20 senders of 50 messages each; `INBOUND_LOAD_SENDERS` /
`INBOUND_LOAD_PER_SENDER` set other sizes. The figures (throughput, slowest message) are
printed, never asserted.
"""

from __future__ import annotations

import os
import smtplib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

import pytest

from tests.support.local_up import TICKETS_TABLE, LocalStackRun, UpProcess

pytestmark = pytest.mark.e2e

LONG = os.environ.get("INBOUND_LONG") == "1"
# The default still has every kind of mail (plain, HTML from n=1, an attachment at n=2) and
# each sender's re-send; the long mode is the 1,000 messages of the load goal.
SENDERS = int(os.environ.get("INBOUND_LOAD_SENDERS", "20" if LONG else "10"))
PER_SENDER = int(os.environ.get("INBOUND_LOAD_PER_SENDER", "50" if LONG else "12"))
SETTLE_TIMEOUT = float(os.environ.get("INBOUND_LOAD_TIMEOUT", "900"))
RETRIES = 8  # a 4xx answer is retried, as an MTA would, with a short backoff


@dataclass
class Sent:
    """One accepted SMTP transaction: SES's message id and when the sender got its 250."""

    ses_id: str
    message_id: str
    accepted_at: float


@dataclass
class Ledger:
    sent: list[Sent] = field(default_factory=list)
    retried: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sent: Sent) -> None:
        with self.lock:
            self.sent.append(sent)


def message(sender: int, n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Customer {sender} <customer{sender}@load.test>"
    msg["To"] = "support@example.com"
    msg["Subject"] = f"Load {sender}-{n}: order {sender * 1000 + n} did not arrive"
    msg["Message-ID"] = make_msgid(idstring=f"load{sender}x{n}", domain="load.test")
    text = f"Hello,\n\nmy order {sender * 1000 + n} has not arrived yet.\n\nThanks\n"
    msg.set_content(text)
    if n % 3 == 1:
        msg.add_alternative(
            f"<p>Hello,</p><p>my order <b>{sender * 1000 + n}</b> is late.</p>", subtype="html"
        )
    if n % 10 == 2:
        payload = bytes((sender * 31 + n + i) % 256 for i in range(20_000))
        msg.add_attachment(payload, maintype="application", subtype="pdf", filename=f"receipt-{n}.pdf")
    return msg


def deliver(smtp: smtplib.SMTP, msg: EmailMessage, sender: str, ledger: Ledger) -> Sent:
    """One SMTP transaction; SES answers DATA with `250 Ok <ses-message-id>`."""
    raw = msg.as_bytes(policy=SMTP)  # CRLF line ends, as on the wire
    for attempt in range(RETRIES):
        code, _ = smtp.mail(sender)
        if code == 250:
            code, _ = smtp.rcpt("support@example.com")
        if code == 250:
            code, reply = smtp.data(raw)
            if code == 250:
                return Sent(reply.decode().split()[-1], str(msg["Message-ID"]), time.monotonic())
        smtp.rset()
        with ledger.lock:
            ledger.retried += 1
        time.sleep(0.2 * (attempt + 1))
    raise AssertionError(f"{msg['Message-ID']}: refused {RETRIES} times (last code {code})")


def run_sender(up: UpProcess, sender: int, ledger: Ledger, errors: list[BaseException]) -> None:
    try:
        address = f"customer{sender}@load.test"
        with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=120) as smtp:
            smtp.ehlo()
            first = message(sender, 0)
            ledger.add(deliver(smtp, first, address, ledger))
            for n in range(1, PER_SENDER - 1):
                ledger.add(deliver(smtp, message(sender, n), address, ledger))
            ledger.add(deliver(smtp, first, address, ledger))  # the MTA's re-send
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)


def scan(up: UpProcess, prefix: str, projection: str) -> list[dict]:
    db = up.client("dynamodb")
    kwargs = {
        "TableName": TICKETS_TABLE,
        "FilterExpression": "begins_with(pk, :p)",
        "ExpressionAttributeValues": {":p": {"S": prefix}},
        "ProjectionExpression": projection,
        "ExpressionAttributeNames": {"#o": "outcome"} if "#o" in projection else None,
    }
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    found: list[dict] = []
    while True:
        page = db.scan(**kwargs)
        found.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def settle(up: UpProcess, ledger: Ledger) -> dict[str, float]:
    """Poll the delivery records of the accepted ids (BatchGetItem, 100 at a time) and note
    when each first appears: its latency is that moment minus the sender's 250."""
    db = up.client("dynamodb")
    pending = {s.ses_id: s for s in ledger.sent}
    seen: dict[str, float] = {}
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while pending:
        if time.monotonic() > deadline:
            pytest.fail(
                f"{len(pending)} of {len(ledger.sent)} deliveries unrecorded after {SETTLE_TIMEOUT} s"
            )
        ids = list(pending)
        for start in range(0, len(ids), 100):
            keys = [{"pk": {"S": f"DELIVERY#{i}"}, "sk": {"S": "DELIVERY"}} for i in ids[start : start + 100]]
            request = {TICKETS_TABLE: {"Keys": keys, "ProjectionExpression": "pk"}}
            while request:
                got = db.batch_get_item(RequestItems=request)
                now = time.monotonic()
                for item in got["Responses"].get(TICKETS_TABLE, []):
                    ses_id = item["pk"]["S"].partition("#")[2]
                    if ses_id in pending:
                        seen[ses_id] = now - pending.pop(ses_id).accepted_at
                request = got.get("UnprocessedKeys") or {}
        time.sleep(0.25)
    return seen


def incoming_keys(up: UpProcess) -> list[str]:
    s3 = up.client("s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("inbound-local-mail-")
    )
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="incoming/")
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_every_message_from_concurrent_senders_is_accounted_for(local_stack: LocalStackRun) -> None:
    up = local_stack.current
    ledger, errors = Ledger(), []
    started = time.monotonic()
    threads = [
        threading.Thread(target=run_sender, args=(up, s, ledger, errors), name=f"sender-{s}")
        for s in range(SENDERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    sent_for = time.monotonic() - started
    total = SENDERS * PER_SENDER
    assert len(ledger.sent) == total
    assert len({s.ses_id for s in ledger.sent}) == total  # SES ids are unique per delivery

    latencies = settle(up, ledger)
    elapsed = time.monotonic() - started

    records = scan(up, "DELIVERY#", "pk, sk, #o")
    outcomes = Counter(r["outcome"]["S"] for r in records if r["sk"]["S"] == "DELIVERY")
    distinct = total - SENDERS  # each sender's re-send repeats its first Message-ID
    assert outcomes == {"created": distinct, "duplicate": SENDERS}, outcomes

    messages = scan(up, "TICKET#", "pk, sk, message_id, direction")
    inbound = [m for m in messages if m["sk"]["S"].startswith("MSG#") and m["direction"]["S"] == "inbound"]
    per_message_id = Counter(m["message_id"]["S"].strip("<>") for m in inbound)
    wanted = {s.message_id.strip("<>") for s in ledger.sent}
    assert set(per_message_id) == wanted, "a Message-ID is missing or unexpected"
    assert max(per_message_id.values()) == 1, [m for m, c in per_message_id.items() if c > 1][:5]
    tickets = {m["pk"]["S"] for m in inbound}
    assert len(tickets) == distinct
    assert incoming_keys(up) == []

    slowest = max(latencies.values())
    ordered = sorted(latencies.values())
    print(
        f"\nload: {total} messages from {SENDERS} senders; SMTP accepted all in {sent_for:.1f} s "
        f"({ledger.retried} 4xx retried); all recorded after {elapsed:.1f} s = "
        f"{total / elapsed:.1f} messages/s; latency p50 {ordered[len(ordered) // 2]:.2f} s, "
        f"p95 {ordered[int(len(ordered) * 0.95)]:.2f} s, slowest {slowest:.2f} s"
    )
