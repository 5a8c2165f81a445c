"""`inbound up` as a real subprocess (started, restarted, and always killed at the end), and the
ways the end-to-end tests talk to it: SMTP in, its emulated AWS, its outbox.

A little over 300 lines on purpose: forty e2e modules import from here, and the process, its
fixtures and the probes that wait on it change together."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chalicelib.adapters.dynamodb_tickets import DynamoDBTickets
from chalicelib.domain.tickets import StoredMessage, Ticket
from inbound.local.embedded import REGION

ROOT = Path(__file__).resolve().parents[2]
_READY = re.compile(r"^inbound ready smtp=[^ ]*:(\d+) http=http://[^ ]*:(\d+)$")
READY_TIMEOUT = 90
STOP_TIMEOUT = 60


def inbound_command() -> list[str]:
    script = Path(sys.executable).parent / "inbound"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inbound.cli"]


def run_inbound(up: UpProcess, *argv: str) -> subprocess.CompletedProcess[str]:
    """`inbound ARGV --data-dir <up's>` from the project folder, its output captured."""
    return subprocess.run(
        [*inbound_command(), *argv, "--data-dir", str(up.data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# One process closes them all: `inbound tickets close` per ticket would start Python 50 times.
_CLOSE_ALL = """
import contextlib, io, json, sys
from inbound.cli import main
data_dir = sys.argv[1]
listed = io.StringIO()
with contextlib.redirect_stdout(listed):
    code = main(["tickets", "list", "--status", "new,open,pending", "--all", "--json", "--data-dir", data_dir])
if code:
    sys.exit(code)
for line in listed.getvalue().splitlines():
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["tickets", "close", json.loads(line)["id"], "--data-dir", data_dir])
    if code:
        sys.exit(code)
"""


def close_the_working_queue(up: UpProcess) -> None:
    """Close every ticket earlier tests left open on a shared stack (in any order), so the
    console's queue (50 to a page) lists this test's tickets and `n` claims the one it expects."""
    done = subprocess.run(
        [sys.executable, "-c", _CLOSE_ALL, str(up.data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def tickets_cli(up: UpProcess, *argv: str) -> str:
    """`inbound tickets ARGV` against up's API from the project folder; its output (it must succeed)."""
    done = subprocess.run(
        [*inbound_command(), "tickets", *argv, "--data-dir", str(up.data_dir), "--url", up.http],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class UpProcess:
    """One running `inbound up`: its ports, its AWS endpoint and its output so far."""

    proc: subprocess.Popen[str]
    smtp_port: int
    http_port: int
    data_dir: Path
    stderr_path: Path
    endpoint: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def client(self, name: str) -> Any:
        """A client of this run's moto server (never real AWS: the endpoint is always given)."""
        import boto3

        return boto3.session.Session(region_name=REGION).client(
            name, region_name=REGION, endpoint_url=self.endpoint
        )

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-6000:]

    def stop(self) -> int:
        """SIGINT, as Ctrl-C would; the exit code once it has shut down (saving state)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"inbound up did not stop within {STOP_TIMEOUT} s:\n{self.stderr()}")
        time.sleep(0.2)  # let the reader thread collect the last lines
        return int(self.proc.returncode)


def _read_lines(proc: subprocess.Popen[str], into: queue.Queue[str | None]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        into.put(line.rstrip("\n"))
    into.put(None)


def start_up(
    data_dir: Path,
    logs: Path,
    started: list[UpProcess],
    extra: tuple[str, ...] = (),
    ports: tuple[int, int] | None = None,
) -> UpProcess:
    """Start `inbound up` (with `extra` arguments, on `ports` (SMTP, HTTP), else on port 0: any
    free ones, which its ready line names) and wait for its ready and endpoint lines."""
    smtp_port, http_port = ports or (0, 0)
    stderr_path = logs / f"up-{len(started)}.stderr"
    command = inbound_command() + [
        "up",
        "--smtp-port",
        str(smtp_port),
        "--http-port",
        str(http_port),
        "--data-dir",
        str(data_dir),
        *extra,
    ]
    # Replies leave at once unless a test asks for the undo window (tests/e2e/test_console_composer.py).
    # A disable takes effect within 3 s instead of 30 (Settings.staff_check_seconds), so the
    # browser test that waits for it does not wait half a minute.
    env = {
        "INBOUND_SEND_DELAY_SECONDS": "0",
        "INBOUND_STAFF_CHECK_SECONDS": "3",
        **os.environ,
        "PYTHONUNBUFFERED": "1",
    }
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    up = UpProcess(proc, smtp_port, http_port, data_dir, stderr_path)
    started.append(up)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc, lines), daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    ready = False
    while not (ready and up.endpoint):
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"inbound up not ready within {READY_TIMEOUT} s:\n{up.stderr()}")
        if line is None:
            pytest.fail(f"inbound up exited with {proc.wait()} before it was ready:\n{up.stderr()}")
        up.lines.append(line)
        if found := _READY.match(line):
            ready, up.smtp_port, up.http_port = True, int(found.group(1)), int(found.group(2))
        if line.startswith("inbound aws endpoint="):
            up.endpoint = line.partition("=")[2].strip()
    threading.Thread(target=_drain, args=(lines, up), daemon=True).start()
    return up


def _drain(lines: queue.Queue[str | None], up: UpProcess) -> None:
    while (line := lines.get()) is not None:
        up.lines.append(line)


@dataclass
class LocalStackRun:
    """The module's `inbound up`, restartable on the same data dir."""

    data_dir: Path
    logs: Path
    started: list[UpProcess] = field(default_factory=list)

    @property
    def current(self) -> UpProcess:
        return self.started[-1]

    def restart(self) -> tuple[int, UpProcess]:
        code = self.current.stop()
        return code, start_up(self.data_dir, self.logs, self.started)

    def credentials(self) -> dict[str, str]:
        return dict(json.loads((self.data_dir / "credentials.json").read_text()))


def _running(base: Path) -> Iterator[LocalStackRun]:
    """`inbound up` on a data dir under `base`, stopped (every start of it) afterwards."""
    run = LocalStackRun(data_dir=base / "data", logs=base)
    try:
        start_up(run.data_dir, run.logs, run.started)
        yield run
    finally:
        for up in run.started:
            if up.proc.poll() is None:
                up.proc.send_signal(signal.SIGINT)
                try:
                    up.proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    up.proc.kill()
                    up.proc.wait()


@pytest.fixture(scope="session")
def shared_local_stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], LocalStackRun]]:
    """The `inbound up` of each group of modules marked `shared_stack(GROUP)` (default "console"),
    one per group in this pytest process (each xdist worker has its own), started when a module
    of the group first asks and stopped when the session ends: a start and a stop cost 10-20 s,
    once instead of once per module. Its data is whatever the group's tests left, in any order."""
    with contextlib.ExitStack() as running:
        runs: dict[str, LocalStackRun] = {}

        def group(name: str) -> LocalStackRun:
            if name not in runs:
                base = tmp_path_factory.mktemp(f"inbound-up-shared-{name}")
                runs[name] = running.enter_context(contextlib.contextmanager(_running)(base))
            return runs[name]

        yield group


@pytest.fixture(scope="module")
def local_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The module's `inbound up`: its own, or with `pytestmark = pytest.mark.shared_stack` (or
    `shared_stack("restarts")`) its group's. A shared module's tests use their own addresses,
    subjects and staff, and assert nothing about tickets, mail or staff they did not make; only
    the "restarts" group's tests restart it."""
    shared = request.node.get_closest_marker("shared_stack")
    if shared:
        yield request.getfixturevalue("shared_local_stacks")(shared.args[0] if shared.args else "console")
        return
    yield from _running(tmp_path_factory.mktemp("inbound-up"))


T = TypeVar("T")
TICKETS_TABLE = "inbound-local-tickets"
SECRET_PARAMETER = "/inbound/local/reply-token-secret"
CUSTOMER = "alice@customer.org"


def eventually(probe: Callable[[], T | None], timeout: float = 30.0, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what or probe}")
        time.sleep(0.2)


def mail(
    subject: str, to: str = "support@example.com", attachment: tuple[str, bytes] | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Alice Example <{CUSTOMER}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.org")
    msg.set_content(f"{subject}: please help.")
    if attachment:
        name, payload = attachment
        msg.add_attachment(payload, maintype="application", subtype="octet-stream", filename=name)
    return msg


def send(up: UpProcess, msg: EmailMessage, to: list[str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg, from_addr=CUSTOMER, to_addrs=to or [str(msg["To"])])


def tickets(up: UpProcess) -> DynamoDBTickets:
    return DynamoDBTickets(up.client("dynamodb"), TICKETS_TABLE)


def ticket_of(up: UpProcess, msg: EmailMessage, timeout: float = 30.0) -> Ticket:
    """The ticket the pipeline stored `msg` on, once it has."""
    store, message_id = tickets(up), str(msg["Message-ID"]).strip("<>")

    def probe() -> Ticket | None:
        found = store.tickets_by_message_ids("support", [message_id, f"<{message_id}>"])
        ticket_id = next(iter(found.values()), None)
        return store.get_ticket(ticket_id) if ticket_id else None

    return eventually(probe, timeout, f"a ticket for {message_id}")


def stored_message(up: UpProcess, ticket: Ticket, msg: EmailMessage) -> StoredMessage:
    wanted = str(msg["Message-ID"]).strip("<>")
    return eventually(
        lambda: next(
            (m for m in tickets(up).messages(ticket.id) if m.message_id.strip("<>") == wanted), None
        ),
        what=f"message {wanted} on {ticket.id}",
    )


def secret_of(up: UpProcess) -> str:
    """The reply-token secret, as the Lambda reads it from SSM."""
    parameter = up.client("ssm").get_parameter(Name=SECRET_PARAMETER, WithDecryption=True)["Parameter"]
    return str(parameter["Value"])


def mail_bucket(up: UpProcess) -> str:
    names = [b["Name"] for b in up.client("s3").list_buckets()["Buckets"]]
    return next(name for name in names if name.startswith("inbound-local-mail-"))


def s3_bytes(up: UpProcess, key: str) -> bytes:
    return bytes(up.client("s3").get_object(Bucket=mail_bucket(up), Key=key)["Body"].read())


def send_as_sender(up: UpProcess, msg: EmailMessage, rcpt: str) -> None:
    """`msg` over SMTP to `rcpt`, its From address as the envelope sender."""
    with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg, from_addr=parseaddr(str(msg["From"]))[1], to_addrs=[rcpt])


def local_outbox(data_dir: Path) -> list[dict]:
    """What the emulated SES has sent so far: what `inbound outbox --json` prints, one dict a
    line, read as it reads it (tests/e2e/test_redrive_local.py runs the command itself).
    In this process: the tests poll it, and a command costs half a second of CPU each time."""
    from inbound.local.ses_outbox import read_outbox

    return read_outbox(data_dir)
