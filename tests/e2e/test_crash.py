"""`kill -9` during a burst: nothing answered 250 is lost, no ticket number is handed out twice.

GIVEN `inbound up` in a temporary folder and a thread sending mail over SMTP, WHEN the
process is killed with SIGKILL right after a random one of the burst's `250`s and started
again (a few times; 20 with INBOUND_LONG=1), THEN after the last start every mail that got its `250`
has a delivery record and sits on a ticket, and every acknowledgement in the outbox names
the ticket that holds the mail it answers (a number re-issued after a crash would name
another customer's ticket), one acknowledgement per ticket number.

Each mail comes from its own address and domain, so no acknowledgement cap applies. The
seed is printed; INBOUND_CRASH_SEED replays a run.
"""

from __future__ import annotations

import os
import random
import re
import signal
import smtplib
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

import pytest

from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
from tests.support.local_up import STOP_TIMEOUT, TICKETS_TABLE, UpProcess, start_up

pytestmark = pytest.mark.e2e

LONG = os.environ.get("INBOUND_LONG") == "1"
KILLS = 20 if LONG else 2
PER_BURST = 40
SETTLE_SECONDS = 300
_TICKET = re.compile(r"\bT-\d+\b")


@dataclass
class Accepted:
    ses_id: str
    message_id: str


@dataclass
class Burst:
    accepted: list[Accepted] = field(default_factory=list)
    refused: int = 0


def _mail(cycle: int, n: int) -> tuple[str, EmailMessage]:
    sender = f"c{cycle}m{n}@crash{cycle}x{n}.test"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = f"Crash {cycle}-{n}: my order is late"
    msg["Message-ID"] = make_msgid(idstring=f"crash{cycle}x{n}", domain="crash.test")
    msg.set_content(f"Order {cycle * 1000 + n} has not arrived.\n")
    return sender, msg


def _send_burst(up: UpProcess, cycle: int, burst: Burst, kill_after: int) -> None:
    """Deliver until the server dies, killing it once `kill_after` mails got their 250 (the
    mails before are somewhere between the journal and the outbox); a mail counts only
    once its 250 came back."""
    try:
        with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=30) as smtp:
            smtp.ehlo()
            for n in range(PER_BURST):
                sender, msg = _mail(cycle, n)
                code, reply = smtp.mail(sender)
                if code == 250:
                    code, reply = smtp.rcpt("support@example.com")
                if code == 250:
                    code, reply = smtp.data(msg.as_bytes(policy=SMTP))
                if code == 250:
                    burst.accepted.append(Accepted(reply.decode().split()[-1], str(msg["Message-ID"])))
                    if len(burst.accepted) == kill_after:
                        up.proc.send_signal(signal.SIGKILL)
                else:
                    burst.refused += 1
                    smtp.rset()
    except (OSError, smtplib.SMTPException):
        return  # killed mid-burst: what was not answered 250 was never accepted


def _kill_during_burst(up: UpProcess, cycle: int, rng: random.Random) -> Burst:
    # After a random 250, not after a random time: killed 0.2-4 s in (as this was), both
    # bursts of a run had all their 250s already, so no kill fell between a 250 and S3.
    burst, kill_after = Burst(), rng.randint(1, PER_BURST - 1)
    sender = threading.Thread(target=_send_burst, args=(up, cycle, burst, kill_after), name=f"burst-{cycle}")
    sender.start()
    sender.join(timeout=120)
    up.proc.wait(timeout=STOP_TIMEOUT)
    assert kill_after <= len(burst.accepted) < PER_BURST, f"cycle {cycle}: the kill did not cut the burst"
    return burst


def _delivered(up: UpProcess, ses_ids: list[str]) -> dict[str, str]:
    """ses id -> outcome, for the ids with a delivery record."""
    db, found = up.client("dynamodb"), {}
    for start in range(0, len(ses_ids), 100):
        keys = [{"pk": {"S": f"DELIVERY#{i}"}, "sk": {"S": "DELIVERY"}} for i in ses_ids[start : start + 100]]
        request = {TICKETS_TABLE: {"Keys": keys, "ProjectionExpression": "pk, outcome"}}
        while request:
            got = db.batch_get_item(RequestItems=request)
            for item in got["Responses"].get(TICKETS_TABLE, []):
                found[item["pk"]["S"].partition("#")[2]] = item["outcome"]["S"]
            request = got.get("UnprocessedKeys") or {}
    return found


def _acknowledgements(data_dir: Path) -> list[tuple[str, str]]:
    """(ticket id named in the subject, In-Reply-To) of every mail in the outbox."""
    found = []
    for path in sorted((data_dir / "outbox").glob("*.eml")):
        headers = BytesHeaderParser().parsebytes(path.read_bytes())
        named = _TICKET.search(str(headers["Subject"] or ""))
        found.append((named.group(0) if named else "", str(headers["In-Reply-To"] or "").strip()))
    return found


def _wait_for(what: str, probe, timeout: float = SETTLE_SECONDS):
    deadline = time.monotonic() + timeout
    while (result := probe()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.5)
    return result


def test_kill_9_during_bursts_loses_nothing_and_reuses_no_ticket_number(tmp_path: Path) -> None:
    seed = int(os.environ.get("INBOUND_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    data_dir, started = tmp_path / "data", []
    accepted: list[Accepted] = []
    try:
        for cycle in range(KILLS):
            up = start_up(data_dir, tmp_path, started)
            burst = _kill_during_burst(up, cycle, rng)
            accepted += burst.accepted
            print(f"cycle {cycle}: {len(burst.accepted)} accepted before the kill, {burst.refused} refused")
        assert accepted, f"seed {seed}: no mail was accepted before any kill"
        up = start_up(data_dir, tmp_path, started)
        ids = [a.ses_id for a in accepted]

        outcomes = _wait_for(
            "a delivery record for every mail answered 250",
            lambda: found if len(found := _delivered(up, ids)) == len(ids) else None,
        )
        assert set(outcomes.values()) == {"created"}, f"seed {seed}: {sorted(set(outcomes.values()))}"

        store = DynamoDBTickets(up.client("dynamodb"), TICKETS_TABLE)
        ticket_of: dict[str, str] = {}
        for a in accepted:
            bare = a.message_id.strip("<>")
            hits = store.tickets_by_message_ids("support", [bare, f"<{bare}>"])
            assert hits, f"seed {seed}: {a.message_id} (SES {a.ses_id}) is on no ticket"
            ticket_of[a.message_id] = next(iter(hits.values()))
        assert len(set(ticket_of.values())) == len(accepted), f"seed {seed}: two mails on one ticket"

        wanted = set(ticket_of)

        def all_acknowledged() -> list[tuple[str, str]] | None:
            found = _acknowledgements(data_dir)
            return found if wanted <= {answered for _, answered in found} else None

        acks = _wait_for("an acknowledgement of every ticket", all_acknowledged)
        numbers = [t for t, _ in acks]
        assert len(numbers) == len(set(numbers)), f"seed {seed}: a ticket number acknowledged twice"
        for number, answered in acks:
            # A mail can be filed without its sender seeing the 250 (killed in between):
            # the sender retries it, and its acknowledgement is checked all the same.
            bare = answered.strip("<>")
            holder = ticket_of.get(answered) or next(
                iter(store.tickets_by_message_ids("support", [bare, answered]).values()), None
            )
            assert holder == number, (
                f"seed {seed}: the acknowledgement naming {number} answered {answered}, which is on {holder}"
            )
        print(f"seed {seed}: {KILLS} kills, {len(accepted)} mails answered 250, all filed, {len(acks)} acks")
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()
