"""`inbound up --smtp-port 0 --http-port 0`: any free ports, and everything names the real ones.

GIVEN `inbound up` asked for port 0 for SMTP and HTTP, WHEN it is ready, THEN the banner
names two real ports, stack.json (what every other command reads) names the same ones,
the console answers on its port, and a mail sent to the SMTP port becomes a ticket that
`inbound tickets list` (finding the stack through stack.json) shows.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from tests.support.local_up import UpProcess, eventually, mail, run_inbound, send, start_up

pytestmark = pytest.mark.e2e

_READY = re.compile(r"^inbound ready smtp=127\.0\.0\.1:(\d+) http=http://127\.0\.0\.1:(\d+)$")


def test_port_0_listens_on_free_ports_and_says_which(tmp_path: Path) -> None:
    started: list[UpProcess] = []
    try:
        up = start_up(tmp_path / "data", tmp_path, started, ports=(0, 0))
        found = next(m for line in up.lines if (m := _READY.match(line)))
        smtp_port, http_port = int(found.group(1)), int(found.group(2))
        assert smtp_port and http_port and smtp_port != http_port
        runtime = json.loads((up.data_dir / "stack.json").read_text())
        assert (runtime["smtp"], runtime["http"]) == (
            f"127.0.0.1:{smtp_port}",
            f"http://127.0.0.1:{http_port}",
        )
        up.smtp_port, up.http_port = smtp_port, http_port
        with urllib.request.urlopen(f"{up.http}/api/health", timeout=10) as answer:  # noqa: S310
            assert answer.status == 200

        send(up, mail("Any port will do"))

        def listed() -> str | None:
            done = run_inbound(up, "tickets", "list")
            return done.stdout if "Any port will do" in done.stdout else None

        assert "T-1001" in eventually(listed, timeout=60, what="the mail on the list")
    finally:
        for run in started:
            run.stop()
