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
| snapshot holding them | before their file is retired | `saved-sends` here (same step) |
| mail handed back to the SMTP listener, answered 250 (`mailed-back`) | before its file goes | test_crash_points_mail |

(`journaled` and `mailed-back`: test_crash_points_mail.) GIVEN `inbound up` that kills itself
at the point, WHEN staff reply to a ticket of SES's bounce simulator (the reply bounces),
THEN after the kill and a start the outbox holds the reply once (one file, one index line)
and the bounce is on the suppression list. `outbox-file`, `ses-files` and `published` run
with INBOUND_LONG=1 (each kill and start is half a minute, and `make test` has 8 minutes;
test_crash_queues kills near them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.crash_points import killed_at, outbox_counts, outcomes, settled
from tests.support.local_up import UpProcess, eventually, run_inbound, ticket_of

pytestmark = pytest.mark.e2e

BOUNCING = "bounce@simulator.amazonses.com"
POINTS = ["saved-sends"] + (
    ["outbox-file", "ses-files", "published"] if os.environ.get("INBOUND_LONG") == "1" else []
)


def _bounced(up: UpProcess) -> bool | None:
    done = run_inbound(up, "suppression", "check", BOUNCING, "--json")
    return True if done.returncode == 0 and json.loads(done.stdout).get("reason") == "BOUNCE" else None


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_between_two_writes_of_a_send_loses_no_bounce_and_sends_nothing_twice(
    point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[UpProcess] = []
    try:
        msg, up = killed_at(point, BOUNCING, tmp_path, monkeypatch, started)

        ticket_of(up, msg, timeout=60)
        eventually(
            lambda: _bounced(up), timeout=60, what="the acknowledgement's bounce on the suppression list"
        )
        eventually(lambda: settled(up), timeout=60, what="the journal, SES's files and incoming/ emptied")
        assert outbox_counts(up.data_dir) == (1, 1), "the reply is not in the outbox once"
        assert outcomes(up) == ["created"]
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()
