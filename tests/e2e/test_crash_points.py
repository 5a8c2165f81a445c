"""`kill -9` at each point between two of the local stack's writes: nothing lost, nothing twice.

The writes, in order, and the tests that kill between them (inbound/local/crash_point.py
names the points; INBOUND_CRASH_AT makes `inbound up` kill itself there):

| write | kill after it, before the next | covered by |
| --- | --- | --- |
| journal entry (accepted/, fsynced) (`journaled`) | before S3, the notification and `250` | test_crash_points_mail |
| `250` | before S3 and the notification | test_crash (bursts) |
| S3 `incoming/` and the notification (moto's memory) | before ingest files it | test_crash |
| ticket, delivery record, a send held for the next save | before the snapshot | test_crash |
| state.json naming the send (`saved-sends`) | before the journal, SES files and sends are let go | here |
| SES's files for the send, fsynced (`ses-files`) | before the outbox lists it | here |
| the outbox's .eml (`outbox-file`) | before its index line | here |
| outbox index line | before SES's events are published | test_crash_queues |
| events on the feedback queue (`published`) | before a snapshot holds them | here |
| snapshot holding them (`saved-published`) | before their file is retired | here |
| mail handed back to the SMTP listener, answered 250 (`mailed-back`) | before its file goes | test_crash_points_mail |

GIVEN `inbound up` that kills itself at the point, WHEN staff reply to a ticket of SES's
bounce simulator (the reply bounces; the address gets no acknowledgement, being one no
person reads, so the reply is the only send), THEN the data dir at the kill shows the kill
landed where its row says (AT_KILL), the start publishes again exactly the events no
snapshot holds (AGAIN), and the outbox holds the reply once (one file, one index line, the
reply's text) and the bounce is on the suppression list. Only `saved-sends` runs in `make
test`; the others with INBOUND_LONG=1 (each kill and start is half a minute, and `make test`
has 8 minutes; test_crash_queues kills near them).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.support.crash_points import (
    AtKill,
    killed_at,
    outbox_counts,
    outcomes,
    replies_in_outbox,
    settled,
)
from tests.support.local_up import UpProcess, eventually, run_inbound, ticket_of

pytestmark = pytest.mark.e2e

BOUNCING = "bounce@simulator.amazonses.com"
LONG = os.environ.get("INBOUND_LONG") == "1"
# The data dir as the kill left it.
AT_KILL = {
    "saved-sends": AtKill(snapshot_sends=1, pending=(), outbox=(0, 0), snapshot_published=0),
    "ses-files": AtKill(snapshot_sends=1, pending=("events",), outbox=(0, 0), snapshot_published=0),
    "outbox-file": AtKill(snapshot_sends=1, pending=("events",), outbox=(1, 0), snapshot_published=0),
    "published": AtKill(snapshot_sends=1, pending=("events",), outbox=(1, 1), snapshot_published=0),
    "saved-published": AtKill(snapshot_sends=0, pending=("events",), outbox=(1, 1), snapshot_published=1),
}
# SES's files the start publishes again: those on disk that the snapshot does not hold.
AGAIN = {"saved-sends": 0, "ses-files": 1, "outbox-file": 1, "published": 1, "saved-published": 0}
POINTS = ["saved-sends"] + (["outbox-file", "ses-files", "published", "saved-published"] if LONG else [])


def _bounced(up: UpProcess) -> bool | None:
    done = run_inbound(up, "suppression", "check", BOUNCING, "--json")
    return True if done.returncode == 0 and json.loads(done.stdout).get("reason") == "BOUNCE" else None


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_between_two_writes_of_a_send_loses_no_bounce_and_sends_nothing_twice(
    point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[UpProcess] = []
    try:
        msg, at_kill, up = killed_at(point, BOUNCING, tmp_path, monkeypatch, started)
        assert at_kill == AT_KILL[point], f"the kill did not land at {point}"
        again = re.search(r"(\d+) of SES's events or mails sent again", up.stderr())
        assert again is not None and int(again.group(1)) == AGAIN[point], up.stderr()

        ticket_of(up, msg, timeout=60)
        eventually(lambda: _bounced(up), timeout=60, what="the reply's bounce on the suppression list")
        eventually(lambda: settled(up), timeout=60, what="the journal, SES's files and incoming/ emptied")
        assert outbox_counts(up.data_dir) == (1, 1), "not one send in the outbox"
        assert replies_in_outbox(up.data_dir) == 1, "the one send is not the staff reply"
        assert outcomes(up) == ["created"]
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()
