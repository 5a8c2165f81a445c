"""`kill -9` with work waiting on the local stack's queues and in its emulated SES: none lost.

GIVEN a ticket of `bounce@simulator.amazonses.com` and a reply held for undo-send (its SQS
message on the outbox queue, delayed by the undo window), WHEN `inbound up` is killed with
SIGKILL once a snapshot holds that message, and started again, THEN the reply is sent, once.
WHEN it is killed again the moment the reply reached the emulated SES's outbox (its Send
and Bounce events not yet on the feedback queue), and started again, THEN the bounce is
applied: the address is on the suppression list, and the reply was not sent a second time.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.crash_points import on_disk
from tests.support.local_up import (
    STOP_TIMEOUT,
    UpProcess,
    eventually,
    mail,
    run_inbound,
    send,
    start_up,
    ticket_of,
)

pytestmark = pytest.mark.e2e

BOUNCING = "bounce@simulator.amazonses.com"
OUTBOX_QUEUE = "inbound-local-outbox"
UNDO_SECONDS = 12  # long enough for a snapshot (every second or two) and the kill before it runs out


def _held_reply(up: UpProcess, ticket_id: str, text: str) -> None:
    """The console's Send with undo: the API holds the reply (202) for the undo window."""
    runtime = json.loads((up.data_dir / "stack.json").read_text())
    creds = json.loads((up.data_dir / "credentials.json").read_text())
    auth = up.client("cognito-idp").initiate_auth(
        ClientId=runtime["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": creds["username"], "PASSWORD": creds["password"]},
    )
    request = urllib.request.Request(
        f"{up.http}/api/tickets/{ticket_id}/reply",
        data=json.dumps({"text": text, "undo": True}).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {auth['AuthenticationResult']['IdToken']}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert answer.status == 202


def _snapshot_queue(data_dir: Path, name: str) -> list[dict[str, object]] | None:
    manifest = data_dir / "state" / "state.json"
    try:
        return list(json.loads(manifest.read_text()).get("sqs", {}).get(name, []))
    except (OSError, ValueError):
        return None  # being replaced right now


def _replies(data_dir: Path, text: str) -> int:
    return sum(text in p.read_text(errors="replace") for p in (data_dir / "outbox").glob("*.eml"))


def _kill(up: UpProcess) -> None:
    up.proc.send_signal(signal.SIGKILL)
    up.proc.wait(timeout=STOP_TIMEOUT)


def test_a_held_reply_and_its_bounce_survive_kill_9(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INBOUND_SEND_DELAY_SECONDS", str(UNDO_SECONDS))
    data_dir, started = tmp_path / "data", []
    text = "Your refund is on its way (crash test)."
    try:
        up = start_up(data_dir, tmp_path, started)
        first = mail("Where is my refund?")
        first.replace_header("From", BOUNCING)
        send(up, first)
        ticket_id = ticket_of(up, first).id
        _held_reply(up, ticket_id, text)
        eventually(
            lambda: True if _snapshot_queue(data_dir, OUTBOX_QUEUE) else None,
            timeout=30,
            what="a snapshot holding the held reply's message",
        )
        _kill(up)
        assert _replies(data_dir, text) == 0, "the undo window ran out before the kill: nothing was tested"

        up = start_up(data_dir, tmp_path, started)
        deadline = time.monotonic() + UNDO_SECONDS + 60
        while not _replies(data_dir, text):  # polled closely: the kill must beat SES's events
            assert time.monotonic() < deadline, f"the held reply was never sent:\n{up.stderr()}"
            time.sleep(0.01)
        _kill(up)
        assert _replies(data_dir, text) == 1
        at_kill = on_disk(data_dir)  # the events' file not yet held by a snapshot: the start publishes it
        assert at_kill.pending == ("events",) and at_kill.snapshot_published == 0, at_kill

        up = start_up(data_dir, tmp_path, started)

        def bounced() -> bool | None:
            # "BOUNCE": the stack's own list, which only the Bounce event feeds. The emulated SES
            # account-level list (SES_ACCOUNT_BOUNCE) learns the address when the send is made.
            done = run_inbound(up, "suppression", "check", BOUNCING, "--json")
            found = json.loads(done.stdout) if done.returncode == 0 else {}
            return True if found.get("reason") == "BOUNCE" else None

        eventually(bounced, timeout=60, what="the bounce on the stack's suppression list")
        time.sleep(3)  # a reply sent again would be in the outbox by now
        assert _replies(data_dir, text) == 1, "the held reply was sent twice"
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()
