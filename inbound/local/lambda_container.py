"""One Lambda container of `inbound up`: a worker process that imports `app.py` as a fresh
Lambda container would and runs the invocations `lambda_pool` hands it, one at a time.

`inbound up` is one Python process holding moto; with the handlers in its threads, botocore's
client side and the handlers' own work (parsing mail, the domain) shared one core with
moto under the GIL. Here they run in their own process. Its AWS clients do not open
sockets: botocore's `before-send` ships each prepared request (method, URL, headers,
body bytes: what the socket would carry) over the connection to the parent, which answers
it from the same guarded WSGI application (`moto_direct.answer`) and sends back status,
headers and body. The AWS contract hook runs here, on the client side, as it does in
every other client of the stack.

The container dies with `inbound up`: the kernel kills it when the parent goes
(PR_SET_PDEATHSIG), and a connection that ends (the parent gone) ends the process at once,
mid-invocation too: everything it could write lives in the parent's moto, and it never
writes after the parent died.

Run as `python -m inbound.local.lambda_container FD PARENT_PID`; the first message on FD is
the setup (`environment`, `endpoint`, logging `levels` and `format`). The parent's side,
starting and stopping containers, is at the end of this module.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """SIGKILL when the parent ends; gone already if it ended before this line."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


class Transport:
    """botocore `before-send`: requests for the stack's endpoint go to the parent process."""

    def __init__(self, conn: Connection, endpoint: str) -> None:
        self.conn, self.prefix = conn, endpoint.rstrip("/") + "/"
        self.lock = threading.Lock()  # one request on the connection at a time

    def __call__(self, request: Any, **_: Any) -> Any:
        from inbound.local import moto_direct

        url = str(request.url)
        if not url.startswith(self.prefix):
            return None  # not the stack's endpoint: botocore sends it
        headers = dict(request.headers.items())
        body = moto_direct.body_bytes(request.body)
        try:
            with self.lock:
                # The send time (CLOCK_MONOTONIC: one clock for every process) lets the pool
                # count the time this process waits for the answer (lambda_pool, `waited`).
                self.conn.send(("aws", request.method, url, headers, body, time.monotonic()))
                status, answer_headers, content = self.conn.recv()
        except (EOFError, OSError):
            os._exit(1)  # the parent is gone: nothing more may be written anywhere
        return moto_direct.aws_response(url, status, answer_headers, content)

    def install(self) -> None:
        from botocore import handlers

        handlers.BUILTIN_HANDLERS.append(("before-send", self))


def _logging(setup: dict[str, Any]) -> None:
    """The parent's levels and format, on the stderr both share: each line appears once."""
    levels: dict[str, int] = setup["levels"]
    logging.basicConfig(level=levels.get("", logging.WARNING), stream=sys.stderr, format=setup["format"])
    for name, level in levels.items():
        if name:
            logging.getLogger(name).setLevel(level)


def _invoke(handlers: dict[str, Any], message: tuple[Any, ...]) -> tuple[str, Any]:
    from inbound.local.event_sources import lambda_context

    _, handler_string, name, event, timeout = message
    try:
        if handler_string not in handlers:
            module, _, attribute = handler_string.rpartition(".")  # "app.ingest"
            handlers[handler_string] = getattr(importlib.import_module(module), attribute)
        result = handlers[handler_string](event, lambda_context(name, timeout))
    # The container's outermost boundary, as Lambda's runtime: a handler that raises fails
    # its invocation (the parent retries the batch) and the container lives on.
    except Exception:  # noqa: BLE001
        return "raised", traceback.format_exc()
    return "done", result


def serve(conn: Connection) -> int:
    from inbound.local import aws_contract, heap
    from inbound.local.chalice_host import import_app

    setup = conn.recv()
    _logging(setup)
    aws_contract.install()
    Transport(conn, setup["endpoint"]).install()
    import_app(setup["environment"])
    heap.settle()
    conn.send(("ready", os.getpid()))
    handlers: dict[str, Any] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return 0  # the parent closed the pool (or is gone)
        if message[0] != "invoke":
            return 0
        reply = _invoke(handlers, message)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return 0
        except Exception:  # noqa: BLE001 - a result that cannot be pickled: a failed invocation
            conn.send(("raised", traceback.format_exc()))


def main(argv: list[str]) -> int:
    fd, parent = int(argv[1]), int(argv[2])
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    gc.disable()  # importing the app only adds what lives as long as the container (heap.settle)
    return serve(Connection(fd))


# The parent's side: starting and stopping containers (`lambda_pool` runs them).

START_SECONDS = 120  # importing app.py on a loaded machine
STOP_SECONDS = 10


class ContainersDidNotStart(RuntimeError):
    """A container exited or stayed silent while importing the app."""


@dataclass(eq=False)
class Container:
    proc: subprocess.Popen[bytes]
    conn: Connection
    broken: bool = False
    busy: bool = False
    since: float = field(default_factory=time.monotonic)  # last taken or given back
    # Of the invocation it runs: its CPU and run-queue seconds when taken, and the seconds
    # it waited for the parent's answers to its AWS requests (lambda_pool's `_sleeping`).
    ran_when_taken: float | None = None
    waited: float = 0.0


def ran_seconds(pid: int) -> float | None:
    """Seconds the process has run on a CPU plus waited on a run queue for one (Linux's
    /proc/PID/schedstat); None where the kernel does not say."""
    try:
        with open(f"/proc/{pid}/schedstat") as stats:
            on_cpu, run_queue = stats.read().split()[:2]
    except (OSError, ValueError):
        return None
    return (int(on_cpu) + int(run_queue)) / 1e9


@dataclass
class Setup:
    """A container's first message: the app's environment, the endpoint its requests are
    for, and the parent's logger levels and line format (`_logging` copies them)."""

    environment: dict[str, str]
    endpoint: str
    levels: dict[str, int]
    format: str

    @classmethod
    def of(cls, environment: dict[str, str], endpoint: str) -> Setup:
        levels = {"": logging.getLogger().level}
        for name, logger in logging.root.manager.loggerDict.items():
            if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
                levels[name] = logger.level
        handlers = logging.getLogger().handlers
        formatter = handlers[0].formatter if handlers else None
        fmt = getattr(formatter, "_fmt", None) or "%(levelname)s %(name)s: %(message)s"
        return cls(dict(environment), endpoint, levels, fmt)


def start_containers(setup: Setup, count: int) -> list[Container]:
    """Start `count` containers side by side; return once each has imported the app."""
    started = [_start_one(setup) for _ in range(count)]
    deadline = time.monotonic() + START_SECONDS
    for container in started:
        ready = container.conn.poll(max(0.0, deadline - time.monotonic()))
        try:
            if not ready or container.conn.recv()[0] != "ready":
                raise EOFError
        except (EOFError, OSError):
            for other in started:
                other.proc.kill()
            raise ContainersDidNotStart(
                "a lambda container did not start (see the lines above); --workers 0 runs"
                " the handlers in this process"
            ) from None
    return started


def _start_one(setup: Setup) -> Container:
    ours, theirs = socket.socketpair()
    with theirs:
        command = [
            sys.executable,
            "-m",
            "inbound.local.lambda_container",
            str(theirs.fileno()),
            str(os.getpid()),
        ]
        proc = subprocess.Popen(
            command,
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=2,  # onto stderr: stdout carries only `inbound up`'s announcements
            env={**os.environ, **setup.environment},
        )
    conn = Connection(ours.detach())
    conn.send(setup.__dict__)
    return Container(proc, conn)


def stop_containers(containers: list[Container]) -> None:
    """End-of-file for each: it exits; one that does not in time is killed."""
    for container in containers:
        container.conn.close()
    deadline = time.monotonic() + STOP_SECONDS
    for container in containers:
        try:
            container.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            container.proc.kill()
            container.proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
