"""`inbound up` killed at a named point between two writes (inbound/local/crash_point.py), and
the probes the crash-point tests read after the start that follows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.local_up import (
    TICKETS_TABLE,
    UpProcess,
    mail,
    run_inbound,
    send_as_sender,
    start_up,
    ticket_of,
)

REPLY = "Your order left the warehouse today."


@dataclass(frozen=True)
class AtKill:
    """What the data dir held the moment `inbound up` died: where the kill landed."""

    snapshot_sends: int  # sends the snapshot on disk names (let go after it, delivered again at a start)
    pending: tuple[str, ...]  # SES's files not yet retired, by kind: events, reply (mail handed back), ...
    outbox: tuple[int, int]  # (.eml files, index lines)
    snapshot_published: int  # event files the snapshot says are on the feedback queue


def killed_at(
    point: str, sender: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[UpProcess]
) -> tuple[EmailMessage, AtKill, UpProcess]:
    """`inbound up` killed at `point` (`NAME` or `NAME:N`, crash_point.py) by what the mail
    `sender` wrote sets off: its acknowledgement or the staff reply (REPLY) sent next. An
    address no person reads (bounce@simulator.amazonses.com) gets no acknowledgement (the
    guard's automatic_recipient), so its first send is the reply; ooto@ gets both. The mail,
    the data dir as the kill left it, and a fresh start."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("INBOUND_CRASH_AT", point)
    up = start_up(data_dir, tmp_path, started)
    msg = mail(f"Crash at {point}: where is my order?")
    msg.replace_header("From", sender)
    send_as_sender(up, msg, "support@example.com")
    ticket_id = ticket_of(up, msg, timeout=60).id
    # Answered before the kill: a send waits for the save that kills (stack.save).
    replied = run_inbound(up, "tickets", "reply", ticket_id, REPLY, "--url", up.http)
    assert replied.returncode == 0, f"the staff reply failed before the kill: {replied.stderr}"
    code = up.proc.wait(timeout=120)
    assert code == -9, f"inbound up was not killed at {point} (exit {code}):\n{up.stderr()}"
    at_kill = on_disk(data_dir)
    monkeypatch.delenv("INBOUND_CRASH_AT")
    return msg, at_kill, start_up(data_dir, tmp_path, started)


def on_disk(data_dir: Path) -> AtKill:
    state = json.loads((data_dir / "state" / "state.json").read_text())
    pending = sorted(
        p.name.removesuffix(".json").rpartition(".")[2] for p in (data_dir / "ses-pending").glob("*")
    )
    return AtKill(len(state["sends"]), tuple(pending), outbox_counts(data_dir), len(state["published"]))


def replies_in_outbox(data_dir: Path) -> int:
    """The outbox's .eml files that hold the staff reply's text."""
    return sum(REPLY in p.read_text(errors="replace") for p in (data_dir / "outbox").glob("*.eml"))


def settled(up: UpProcess) -> bool | None:
    """Nothing left to do: no journal entry, SES file or raw mail in incoming/ (but the outcome)."""
    pending = [*(up.data_dir / "accepted").glob("*"), *(up.data_dir / "ses-pending").glob("*")]
    s3 = up.client("s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("inbound-local-mail")
    )
    incoming = s3.list_objects_v2(Bucket=bucket, Prefix="incoming/").get("KeyCount", 0)
    return True if not pending and not incoming else None


def outbox_counts(data_dir: Path) -> tuple[int, int]:
    """(.eml files, index lines) of the outbox (none before its first send)."""
    index = data_dir / "outbox" / "index.jsonl"
    lines = index.read_text().splitlines() if index.exists() else []
    return len(list((data_dir / "outbox").glob("*.eml"))), len([line for line in lines if line.strip()])


def outcomes(up: UpProcess) -> list[str]:
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
