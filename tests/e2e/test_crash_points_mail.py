"""`kill -9` between two writes of mail coming in (inbound/local/crash_point.py; the table of
every write and its test is test_crash_points'): nothing lost, nothing filed twice.

GIVEN `inbound up` that kills itself once an accepted mail is in the journal but before its
`250` (`journaled`), WHEN it starts again and the sender, who saw no `250`, sends the mail
again, THEN it is filed once (the other copy a duplicate) and acknowledged once. GIVEN one
that kills itself once the second mail the emulated SES hands back was answered `250` but
before its file is gone (`mailed-back:2`), WHEN it starts again, THEN each handed-back mail
is filed once and its second copy is a duplicate.

The mails handed back are the out-of-office replies of ooto@simulator.amazonses.com: one to
the acknowledgement (simulator addresses are acknowledged like anyone) and one to the staff
reply, each with its own Message-ID. Killed at the first hand-back (the acknowledgement's
reply, as a rule), the staff reply was sent before the kill or refused by it, a race: the
gate of 8 December (00:03 UTC) counted `auto_reply` twice (and one `duplicate`) against an
expected once, and read it as one mail filed twice. It was two mails, each filed once; the
copy handed back again after the kill, under a new SES message id, was the duplicate. Killed
at the second, both replies are surely out. What that gate suspected is real for mail filed
on no ticket (an auto-reply that threads nowhere, a mailed bounce report): that was
recognised again by its SES message id only, and is now by its Message-ID and fingerprint
(domain/message_claims.py). tests/services/test_same_mail_again.py proves that on fakes, and
is what `make test` runs for this kill; `mailed-back` itself runs with INBOUND_LONG=1 only
(a kill and a start are half a minute, and `make test` is over its 8 minutes).
"""

from __future__ import annotations

import os
import smtplib
from pathlib import Path

import pytest

from tests.support.crash_points import killed_at, outbox_counts, outcomes, replies_in_outbox, settled
from tests.support.local_up import UpProcess, eventually, mail, send, start_up, ticket_of, tickets

pytestmark = pytest.mark.e2e

AWAY = "ooto@simulator.amazonses.com"


@pytest.mark.skipif(
    os.environ.get("INBOUND_LONG") != "1", reason="INBOUND_LONG=1: a kill and a start (see the module)"
)
def test_a_kill_after_mail_handed_back_was_answered_files_each_mail_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[UpProcess] = []
    try:
        msg, at_kill, up = killed_at("mailed-back:2", AWAY, tmp_path, monkeypatch, started)
        # Both sends out; the second mail handed back still on disk, the first one's gone.
        assert at_kill.outbox == (2, 2) and at_kill.pending.count("reply") == 1, at_kill

        ticket = ticket_of(up, msg, timeout=60)
        eventually(
            lambda: True if len(outcomes(up)) == 4 else None,
            timeout=60,
            what="both replies and the copy filed",
        )
        eventually(lambda: settled(up), timeout=60, what="the journal, SES's files and incoming/ emptied")
        assert outcomes(up) == ["auto_reply", "auto_reply", "created", "duplicate"], ticket.id
        away = [m.message_id for m in tickets(up).messages(ticket.id) if m.kind == "auto_reply"]
        assert len(away) == len(set(away)) == 2, f"an out-of-office reply was filed twice: {away}"
        assert outbox_counts(up.data_dir) == (2, 2), "the acknowledgement and the reply, once each"
        assert replies_in_outbox(up.data_dir) == 1, "the staff reply is not in the outbox once"
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
        eventually(lambda: True if len(outcomes(up)) == 2 else None, timeout=60, what="both copies' outcomes")
        eventually(lambda: settled(up), timeout=60, what="the journal, SES's files and incoming/ emptied")
        assert outcomes(up) == ["created", "duplicate"]
        kinds = [m.kind for m in tickets(up).messages(ticket.id)]  # stored before any send leaves
        assert kinds.count("acknowledgement") == 1, kinds
        eventually(
            lambda: True if (data_dir / "outbox" / "index.jsonl").exists() else None,
            what="the acknowledgement",
        )
        assert outbox_counts(data_dir) == (1, 1), "the mail was acknowledged twice"
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()
