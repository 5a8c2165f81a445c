"""`kill -9` at each point between two of the local stack's writes: nothing lost, nothing twice.

The writes, in order, and the tests that kill between them (inbound/local/crash_point.py
names the points; INBOUND_CRASH_AT makes `inbound up` kill itself there):

| write | kill after it, before the next | covered by |
| --- | --- | --- |
| journal entry (accepted/, fsynced) (`journaled`) | before S3, the notification and `250` | here |
| `250` | before S3 and the notification | test_crash (bursts) |
| S3 `incoming/` and the notification (moto's memory) | before ingest files it | test_crash |
| ticket, delivery record, a send held for the next save | before the snapshot | test_crash |
| state.json naming the send (`saved-sends`) | before the journal, SES files and sends are let go | here |
| SES's files for the send, fsynced (`ses-files`) | before the outbox lists it | here |
| the outbox's .eml (`outbox-file`) | before its index line | here |
| outbox index line | before SES's events are published | test_crash_queues |
| events on the feedback queue (`published`) | before a snapshot holds them | here |
| snapshot holding them | before their file is retired | `saved-sends` here (same step) |
| mail handed back to the SMTP listener, answered 250 (`mailed-back`) | before its file goes | here |

GIVEN `inbound up` that kills itself at the point, WHEN staff reply to a ticket of SES's
bounce simulator (the reply bounces) or of its out-of-office address (an auto-reply comes
back over SMTP), THEN after the kill and a start the outbox holds the reply once (one
file, one index line), the bounce is on the suppression list, and the auto-reply was
filed once. WHEN the kill comes after a mail is journaled but before its `250`, and the
sender sends it again, THEN it is filed once (the other copy a duplicate), acknowledged once.
"""

from __future__ import annotations

import json
import smtplib
from pathlib import Path

import pytest

from tests.support.local_up import (
    TICKETS_TABLE,
    UpProcess,
    eventually,
    mail,
    run_inbound,
    send,
    send_as_sender,
    start_up,
    ticket_of,
    tickets,
)

pytestmark = pytest.mark.e2e

BOUNCING = "bounce@simulator.amazonses.com"
AWAY = "ooto@simulator.amazonses.com"
REPLY = "Your order left the warehouse today."


def _killed_at(point: str, sender: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list):
    """`inbound up` killed at `point` by the reply to the mail `sender` wrote (SES's simulator
    addresses get no acknowledgement: no person reads them); the mail and a fresh start."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("INBOUND_CRASH_AT", point)
    up = start_up(data_dir, tmp_path, started)
    msg = mail(f"Crash at {point}: where is my order?")
    msg.replace_header("From", sender)
    send_as_sender(up, msg, "support@example.com")
    ticket_id = ticket_of(up, msg, timeout=60).id
    run_inbound(up, "tickets", "reply", ticket_id, REPLY, "--url", up.http)  # answered before the kill
    code = up.proc.wait(timeout=120)
    assert code == -9, f"inbound up was not killed at {point} (exit {code}):\n{up.stderr()}"
    monkeypatch.delenv("INBOUND_CRASH_AT")
    return msg, start_up(data_dir, tmp_path, started)


def _settled(up: UpProcess) -> bool | None:
    """Nothing left to do: no journal entry, SES file or raw mail in incoming/ (but the outcome)."""
    pending = [*(up.data_dir / "accepted").glob("*"), *(up.data_dir / "ses-pending").glob("*")]
    s3 = up.client("s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("inbound-local-mail")
    )
    incoming = s3.list_objects_v2(Bucket=bucket, Prefix="incoming/").get("KeyCount", 0)
    return True if not pending and not incoming else None


def _outbox(data_dir: Path) -> tuple[int, int]:
    """(.eml files, index lines) of the outbox."""
    lines = (data_dir / "outbox" / "index.jsonl").read_text().splitlines()
    return len(list((data_dir / "outbox").glob("*.eml"))), len([line for line in lines if line.strip()])


def _outcomes(up: UpProcess) -> list[str]:
    """Every delivery record's outcome (a scan: this is a test, not a request path)."""
    db, found, start = up.client("dynamodb"), [], {}
    while True:
        page = db.scan(
            TableName=TICKETS_TABLE,
            FilterExpression="sk = :d",
            ExpressionAttributeValues={":d": {"S": "DELIVERY"}},
            **start,
        )
        found += [item["outcome"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return sorted(found)
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _bounced(up: UpProcess) -> bool | None:
    done = run_inbound(up, "suppression", "check", BOUNCING, "--json")
    return True if done.returncode == 0 and json.loads(done.stdout).get("reason") == "BOUNCE" else None


@pytest.mark.parametrize("point", ["saved-sends", "ses-files", "outbox-file", "published"])
def test_a_kill_between_two_writes_of_a_send_loses_no_bounce_and_sends_nothing_twice(
    point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[UpProcess] = []
    try:
        msg, up = _killed_at(point, BOUNCING, tmp_path, monkeypatch, started)

        ticket_of(up, msg, timeout=60)
        eventually(
            lambda: _bounced(up), timeout=60, what="the acknowledgement's bounce on the suppression list"
        )
        eventually(lambda: _settled(up), timeout=60, what="the journal, SES's files and incoming/ emptied")
        assert _outbox(up.data_dir) == (1, 1), "the reply is not in the outbox once"
        assert _outcomes(up) == ["created"]
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()


def test_a_kill_after_mail_handed_back_was_answered_files_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[UpProcess] = []
    try:
        msg, up = _killed_at("mailed-back", AWAY, tmp_path, monkeypatch, started)

        ticket = ticket_of(up, msg, timeout=60)
        eventually(
            lambda: True if "auto_reply" in _outcomes(up) else None, timeout=60, what="the auto-reply filed"
        )
        eventually(lambda: _settled(up), timeout=60, what="the journal, SES's files and incoming/ emptied")
        outcomes = _outcomes(up)
        assert outcomes.count("auto_reply") == 1, f"the auto-reply was filed twice: {outcomes} ({ticket.id})"
        assert set(outcomes) <= {"created", "auto_reply", "duplicate"}
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()


def test_a_kill_before_the_250_of_a_journaled_mail_files_it_once_when_the_sender_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[UpProcess] = []
    data_dir = tmp_path / "data"
    msg = mail("Crash before the 250: where is my order?")
    try:
        monkeypatch.setenv("INBOUND_CRASH_AT", "journaled")
        up = start_up(data_dir, tmp_path, started)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            send(up, msg)
        assert up.proc.wait(timeout=120) == -9, up.stderr()
        monkeypatch.delenv("INBOUND_CRASH_AT")
        up = start_up(data_dir, tmp_path, started)
        send(up, msg)  # the sender's retry: it never saw a 250

        ticket = ticket_of(up, msg, timeout=60)
        eventually(
            lambda: True if len(_outcomes(up)) == 2 else None, timeout=60, what="both copies' outcomes"
        )
        eventually(lambda: _settled(up), timeout=60, what="the journal, SES's files and incoming/ emptied")
        assert _outcomes(up) == ["created", "duplicate"]
        kinds = [m.kind for m in tickets(up).messages(ticket.id)]  # stored before any send leaves
        assert kinds.count("acknowledgement") == 1, kinds
        eventually(
            lambda: True if (data_dir / "outbox" / "index.jsonl").exists() else None,
            what="the acknowledgement",
        )
        assert _outbox(data_dir) == (1, 1), "the mail was acknowledged twice"
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()
