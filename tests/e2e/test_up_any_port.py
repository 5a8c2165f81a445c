"""`inbound up --smtp-port 0 --http-port 0`: any free ports, and everything names the real ones.

GIVEN `inbound up` asked for port 0 for SMTP and HTTP (as tests/support/local_up starts every
one), WHEN it is ready, THEN the banner names two real ports, stack.json (what every other
command reads) names the same ones, the console answers on its port, and a mail sent to the
SMTP port becomes a ticket that `inbound tickets list` (finding the stack through stack.json)
shows. On the shared stack: its start is the one asked for port 0.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.support.local_up import LocalStackRun, mail, run_inbound, send, ticket_of

pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack]

_READY = re.compile(r"^inbound ready smtp=127\.0\.0\.1:(\d+) http=http://127\.0\.0\.1:(\d+)$")


def test_port_0_listens_on_free_ports_and_says_which(local_stack: LocalStackRun) -> None:
    up = local_stack.current
    assert "--smtp-port" in up.proc.args and up.proc.args[up.proc.args.index("--smtp-port") + 1] == "0"
    assert up.proc.args[up.proc.args.index("--http-port") + 1] == "0"
    found = next(m for line in up.lines if (m := _READY.match(line)))
    smtp_port, http_port = int(found.group(1)), int(found.group(2))
    assert smtp_port and http_port and smtp_port != http_port
    runtime = json.loads((up.data_dir / "stack.json").read_text())
    assert (runtime["smtp"], runtime["http"]) == (
        f"127.0.0.1:{smtp_port}",
        f"http://127.0.0.1:{http_port}",
    )
    assert (up.smtp_port, up.http_port) == (smtp_port, http_port)
    with urllib.request.urlopen(f"{up.http}/api/health", timeout=10) as answer:  # noqa: S310
        assert answer.status == 200

    msg = mail("Any port will do")
    send(up, msg)
    ticket = ticket_of(up, msg, timeout=60)

    listed = run_inbound(up, "tickets", "list", "--all")
    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if ticket.id in line]
    assert "Any port will do" in line
