"""Burst: 1,000 mails over SMTP to `inbound up`, against bare SMTP acceptance of the same mails.

Measured: a fresh `inbound up` (its own process, a temporary data dir) takes MAILS mails
from SENDERS concurrent SMTP connections; the clock runs from the first connection until
every mail answered 250 has its delivery record (the pipeline's outcome: the ticket is
filed and its acknowledgement asked for). Each mail comes from its own customer (a burst
of new tickets; no acknowledgement cap applies), a mix of plain, HTML and attachment mail.

Baseline, in the same run: the same mails from the same senders to a bare aiosmtpd
listener in its own process that answers 250 and keeps nothing: what SMTP acceptance
alone costs on this machine now. The goal is absolute (15 mails/s on 2 cores); the ratio
says how far the pipeline is from the wire. The load average is printed with the result:
the machine is shared, so a figure taken under load says little.

CPU is counted for the whole process tree, apart: `inbound up`'s own process (moto, SMTP,
the pollers) and its worker processes (the Lambda handlers, `inbound up --workers`; a
replaced worker's time too). INBOUND_BURST_WORKERS=N runs `inbound up --workers N`.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

MAILS = int(os.environ.get("INBOUND_BURST_MAILS", "1000"))
SENDERS = 10
# `inbound up --workers N` (unset: its default, one worker process per CPU; 0: none).
WORKERS = os.environ.get("INBOUND_BURST_WORKERS", "")
GOAL = 15.0  # mails per second
SETTLE_SECONDS = 1800
POLL_SECONDS = 0.5
_BARE = """
import sys, time
from aiosmtpd.controller import Controller
class Keep:
    async def handle_DATA(self, server, session, envelope):
        return "250 Ok bare"
c = Controller(Keep(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=40 * 2**20)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


@dataclass(frozen=True)
class BurstResult:
    mails: int
    senders: int
    bare_s: float
    accepted_s: float  # until the last 250 from inbound up
    filed_s: float  # until the last delivery record
    cpu_s: float  # inbound up's process CPU during the burst
    workers_cpu_s: float  # its worker processes' (Lambda containers) CPU during the burst
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    @property
    def rate(self) -> float:
        return self.mails / self.filed_s

    @property
    def bare_rate(self) -> float:
        return self.mails / self.bare_s


def mails(count: int = MAILS) -> list[tuple[str, bytes]]:
    """(envelope sender, wire bytes) of the burst, the same on both sides."""
    out = []
    for n in range(count):
        msg = EmailMessage()
        sender = f"customer{n}@shop{n}.test"
        msg["From"] = f"Customer {n} <{sender}>"
        msg["To"] = "support@example.com"
        msg["Subject"] = f"Order {n} did not arrive"
        msg["Message-ID"] = f"<burst{n}.{os.getpid()}@shop{n}.test>"
        msg.set_content(f"Hello,\n\nmy order {n} has not arrived yet.\n\nThanks\n")
        if n % 3 == 1:
            msg.add_alternative(f"<p>Hello,</p><p>my order <b>{n}</b> is late.</p>", subtype="html")
        if n % 10 == 2:
            payload = bytes((n + i) % 256 for i in range(20_000))
            msg.add_attachment(payload, maintype="application", subtype="pdf", filename=f"receipt-{n}.pdf")
        out.append((sender, msg.as_bytes(policy=SMTP)))
    return out


def _free_port() -> int:
    from inbound.local.embedded import free_port

    return free_port()


def _bare_seconds(batch: list[tuple[str, bytes]]) -> float:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _BARE, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        _capture_ids(port, batch)
        return time.perf_counter() - started
    finally:
        proc.communicate(input="", timeout=30)


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name (field 3, the state, is [0])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU of `inbound up`'s own process, and of its workers (the Lambda containers): the
    live ones plus those it has reaped (a replaced container's time is in cutime/cstime)."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = _stat(pid)
    own = (int(fields[11]) + int(fields[12])) / tick
    workers = (int(fields[13]) + int(fields[14])) / tick
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(int(entry.name))
        except OSError:
            continue  # gone meanwhile
        if int(child[1]) == pid:
            workers += (int(child[11]) + int(child[12])) / tick
    return own, workers


class _Up:
    """`inbound up` in a temporary folder, stopped with SIGINT."""

    def __init__(self, data_dir: Path) -> None:
        self.smtp_port, http_port = _free_port(), _free_port()
        command = [
            str(Path(sys.executable).with_name("inbound")),
            "up",
            "--smtp-port",
            str(self.smtp_port),
            "--http-port",
            str(http_port),
            "--data-dir",
            str(data_dir),
            *(["--workers", WORKERS] if WORKERS else []),
        ]
        self.log = open(data_dir.parent / "up.stderr", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.endpoint = ""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("inbound aws endpoint="):
                self.endpoint = line.partition("=")[2].strip()
                break
        if not self.endpoint:
            raise RuntimeError(f"inbound up did not start; see {self.log.name}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self) -> None:
        self.proc.send_signal(2)
        self.proc.wait(timeout=120)
        self.log.close()


def _unfiled(client: Any, table: str, ses_ids: list[str]) -> list[str]:
    """The mails without a delivery record yet, in order: one BatchGetItem of the oldest
    100 a round, so that the measurement does not load the stack it measures."""
    keys = [{"pk": {"S": f"DELIVERY#{i}"}, "sk": {"S": "DELIVERY"}} for i in ses_ids[:100]]
    got = client.batch_get_item(RequestItems={table: {"Keys": keys, "ProjectionExpression": "pk"}})
    found = {item["pk"]["S"].removeprefix("DELIVERY#") for item in got["Responses"].get(table, [])}
    return [i for i in ses_ids if i not in found]


def _pipeline(
    batch: list[tuple[str, bytes]], log: Callable[[str], None]
) -> tuple[float, float, float, float]:
    """(seconds until the last 250, seconds until every delivery record, inbound up's own
    CPU, its workers' CPU)."""
    import boto3

    from inbound.local.embedded import REGION, offline_credentials

    offline_credentials()
    with tempfile.TemporaryDirectory(prefix="inbound-burst-") as tmp:
        up = _Up(Path(tmp) / "data")
        try:
            db = boto3.session.Session().client("dynamodb", region_name=REGION, endpoint_url=up.endpoint)
            cpu_before = _cpu_seconds(up.proc.pid)
            started = time.perf_counter()
            replies = _capture_ids(up.smtp_port, batch)
            accepted = time.perf_counter() - started
            log(f"burst: {len(replies)} mails accepted by inbound up in {accepted:.1f} s")
            deadline = started + SETTLE_SECONDS
            waiting = list(replies)
            while waiting:
                checked = waiting[:100]
                waiting = _unfiled(db, "inbound-local-tickets", waiting)
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"not every mail filed after {SETTLE_SECONDS} s")
                if waiting and waiting[0] in checked:  # the oldest are not all filed yet
                    time.sleep(POLL_SECONDS)
            filed = time.perf_counter() - started
            cpu_after = _cpu_seconds(up.proc.pid)
            return accepted, filed, cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]
        finally:
            up.stop()


def _capture_ids(port: int, batch: list[tuple[str, bytes]]) -> list[str]:
    """Every mail, SENDERS connections at once; the last word of each DATA's 250 reply
    (inbound up's SES message id). The same code sends to both sides."""
    ids: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def one_connection(share: list[tuple[str, bytes]]) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=300) as smtp:
                smtp.ehlo()
                for sender, raw in share:
                    smtp.mail(sender)
                    smtp.rcpt("support@example.com")
                    code, reply = smtp.data(raw)
                    if code != 250:
                        raise RuntimeError(f"{code} {reply!r}")
                    with lock:
                        ids.append(reply.decode().split()[-1])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_connection, args=(batch[s::SENDERS],)) for s in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return ids


def run(log: Callable[[str], None] = print, count: int = MAILS) -> BurstResult:
    batch = mails(count)
    load_before = os.getloadavg()
    log(f"burst: load average {load_before[0]:.1f} before")
    bare = _bare_seconds(batch)
    log(f"burst: bare SMTP acceptance of {count} mails in {bare:.1f} s")
    accepted, filed, cpu, workers_cpu = _pipeline(batch, log)
    return BurstResult(count, SENDERS, bare, accepted, filed, cpu, workers_cpu, load_before, os.getloadavg())


def rows(result: BurstResult) -> list[Any]:
    from bench.report import Row, yes

    return [
        Row(
            f"Local burst: {result.mails:,} mails over SMTP from {result.senders} senders to `inbound up`, "
            f"all filed (load {result.load_before[0]:.1f})",
            f"{result.rate:.1f} mails/s ({result.filed_s:.1f} s; "
            f"{_per_mail(result.cpu_s + result.workers_cpu_s, result)} ms CPU/mail: "
            f"{_per_mail(result.cpu_s, result)} main, {_per_mail(result.workers_cpu_s, result)} workers)",
            f"{result.bare_rate:.0f} mails/s bare SMTP acceptance ({result.bare_s:.1f} s)",
            f"{result.filed_s / result.bare_s:.1f}x time",
            f"≥ {GOAL:g} mails/s",
            yes(result.rate >= GOAL),
        )
    ]


def _per_mail(cpu_s: float, result: BurstResult) -> str:
    return f"{cpu_s / result.mails * 1000:.0f}"


def details(result: BurstResult) -> str:
    b, a = result.load_before, result.load_after
    return "\n".join(
        [
            "## Local burst",
            "",
            f"{result.mails:,} mails (a third with an HTML part, a tenth with a 20 KB attachment), "
            f"each from its own customer, over {result.senders} concurrent SMTP connections. "
            f"`inbound up` answered the last 250 after {result.accepted_s:.1f} s and had filed "
            f"every mail after {result.filed_s:.1f} s ({result.rate:.1f} mails/s); its own process used "
            f"{result.cpu_s:.1f} s of CPU ({_per_mail(result.cpu_s, result)} ms per mail; moto, SMTP "
            "and the pollers: at most one core's worth at a time), its worker processes (the Lambda "
            f"handlers) {result.workers_cpu_s:.1f} s ({_per_mail(result.workers_cpu_s, result)} ms "
            "per mail). Bare aiosmtpd took the "
            f"same mails in {result.bare_s:.1f} s. Load average before: {b[0]:.1f} {b[1]:.1f} "
            f"{b[2]:.1f}; after: {a[0]:.1f} {a[1]:.1f} {a[2]:.1f} (2 CPUs, shared).",
            "",
        ]
    )
