"""`inbound up` as a real subprocess: started, restarted, and always killed at the end."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from inbound.local.embedded import REGION, free_port

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90
STOP_TIMEOUT = 60


def _inbound_command() -> list[str]:
    script = Path(sys.executable).parent / "inbound"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inbound.cli"]


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


def start_up(data_dir: Path, logs: Path, started: list[UpProcess], extra: tuple[str, ...] = ()) -> UpProcess:
    """Start `inbound up` (with `extra` arguments) and wait for its ready and endpoint lines."""
    smtp_port, http_port = free_port(), free_port()
    stderr_path = logs / f"up-{len(started)}.stderr"
    command = _inbound_command() + [
        "up",
        "--smtp-port",
        str(smtp_port),
        "--http-port",
        str(http_port),
        "--data-dir",
        str(data_dir),
        *extra,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
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
        ready = ready or line.startswith("inbound ready ")
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


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("inbound-up")
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
def chromium_executable() -> Path:
    """Debian's chromium for the browser tests, installed with apt-get when missing."""
    from tests.e2e.browser import ensure_chromium

    return ensure_chromium()
