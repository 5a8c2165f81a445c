"""Every mailbox the local stack is given is real: its mail is filed under it, not the default.

GIVEN `inbound up --mailbox support --mailbox billing --mailbox sales`, WHEN a customer
writes to sales@example.com, THEN the ticket is in the `sales` mailbox (without the option
the receipt rule's domain-wide recipient accepted it, and routing filed it under support),
and `inbound tickets list --mailbox sales` lists it. A mailbox at another domain is one
line saying what to give instead, before anything starts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.local_up import (
    ROOT,
    eventually,
    inbound_command,
    mail,
    send,
    start_up,
    tickets,
    tickets_cli,
)

pytestmark = pytest.mark.e2e


def test_mail_to_a_third_configured_mailbox_is_filed_under_it(tmp_path: Path) -> None:
    started: list = []
    try:
        up = start_up(
            tmp_path / "data",
            tmp_path,
            started,
            extra=("--mailbox", "support", "--mailbox", "billing", "--mailbox", "sales"),
        )
        msg = mail("Quote for 40 seats", to="sales@example.com")
        send(up, msg)
        bare = str(msg["Message-ID"]).strip("<>")
        found = eventually(
            lambda: tickets(up).tickets_by_message_ids("sales", [bare, f"<{bare}>"]) or None,
            what="the mail on a ticket of the sales mailbox",
        )
        ticket_id = next(iter(found.values()))
        assert tickets(up).get_ticket(ticket_id).mailbox == "sales"
        assert ticket_id in tickets_cli(up, "list", "--mailbox", "sales")
    finally:
        for run in started:
            run.stop()


def test_a_mailbox_at_another_domain_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [*inbound_command(), "up", "--mailbox", "sales@other.example", "--data-dir", str(tmp_path / "d")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "inbound up: --mailbox 'sales@other.example' is not a mailbox at example.com"
        " (give a name such as sales, or sales@example.com)"
    ]
