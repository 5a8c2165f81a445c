"""`inbound up` runs the queue-driven handlers in worker processes (its Lambda containers).

GIVEN `inbound up --workers 2`, WHEN mail arrives, THEN it becomes a ticket with the
ingest running in a worker process; a worker killed with SIGKILL is replaced and mail
keeps flowing; `kill -9` of `inbound up` takes its workers with it. `--workers 0` runs
the handlers in the main process, as before; a bad count is one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.local_up import (
    UpProcess,
    eventually,
    inbound_command,
    mail,
    send,
    start_up,
    ticket_of,
)

pytestmark = pytest.mark.e2e

CONTAINER = "inbound.local.lambda_container"


def _containers(parent: int) -> set[int]:
    """Live worker processes whose parent is `parent`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if stat[0] != "Z" and int(stat[1]) == parent and CONTAINER.encode() in command:
            found.add(int(entry.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _log_once_created(up: UpProcess, tickets: int) -> str | None:
    """inbound up's whole stderr, once the ingest logged `tickets` new tickets (a worker logs
    its line after the ticket is stored)."""
    log = up.stderr_path.read_text(errors="replace")
    return log if log.count("ingest: created") >= tickets else None


@pytest.fixture
def started(tmp_path: Path):
    ups: list[UpProcess] = []
    yield lambda *extra: start_up(tmp_path / "data", tmp_path, ups, extra=tuple(extra))
    for up in ups:
        up.stop()


def test_mail_is_filed_by_workers_that_are_replaced_when_they_die(started) -> None:
    up = started("--workers", "2")
    workers = _containers(up.proc.pid)
    assert len(workers) == 2

    first = mail("Parcel lost")
    send(up, first)
    assert ticket_of(up, first).subject == "Parcel lost"
    eventually(lambda: _log_once_created(up, 1), what="the first invocation to end")
    os.kill(min(workers), signal.SIGKILL)

    def two_again() -> set[int] | None:
        found = _containers(up.proc.pid)
        return found if len(found) == 2 and found != workers else None

    replaced = eventually(two_again, what="a new worker in place of the killed one")
    second = mail("Parcel still lost")
    send(up, second)

    assert ticket_of(up, second).subject == "Parcel still lost"
    assert min(workers) not in replaced
    log = eventually(lambda: _log_once_created(up, 2), what="both tickets' log lines")
    assert "starting another" in log
    assert log.count("ingest: created") == 2  # each worker's line once, not twice


def test_kill_9_of_inbound_up_takes_its_workers_along(started) -> None:
    up = started("--workers", "2")
    workers = _containers(up.proc.pid)
    assert len(workers) == 2

    up.proc.kill()
    up.proc.wait()

    eventually(lambda: True if not _alive(workers) else None, timeout=10, what="the workers to end")


def test_workers_0_runs_the_handlers_in_the_main_process(started) -> None:
    up = started("--workers", "0")
    msg = mail("In process")
    send(up, msg)

    assert ticket_of(up, msg).subject == "In process"
    assert _containers(up.proc.pid) == set()


def test_a_bad_worker_count_is_one_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [*inbound_command(), "up", "--workers", "-2", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "'-2' is not a number of processes" in out.stderr
