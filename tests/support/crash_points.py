"""`inbound up` killed at a named point between two writes (inbound/local/crash_point.py), and
the probes the crash-point tests read after the start that follows."""

from __future__ import annotations

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


def killed_at(
    point: str, sender: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[UpProcess]
):
    """`inbound up` killed at `point` (`NAME` or `NAME:N`, crash_point.py) by what the mail
    `sender` wrote sets off: its acknowledgement (a simulator address is acknowledged like
    anyone) or the staff reply sent next, which may meet a stack killed by the first; the
    mail and a fresh start."""
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
    """(.eml files, index lines) of the outbox."""
    lines = (data_dir / "outbox" / "index.jsonl").read_text().splitlines()
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
