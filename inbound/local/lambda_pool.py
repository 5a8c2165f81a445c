"""`inbound up`'s Lambda containers: worker processes that run the SQS sources' handlers.

The pollers (`event_sources.Poller`) stay in `inbound up`'s process: they receive, build
the event, delete what succeeded. Only `handler(event, context)` runs in a container
(`lambda_container`), a process of its own, so that botocore's client side and the
handlers' own work use a core the process holding moto does not. While a container runs
an invocation, the poller's thread answers its AWS requests from moto (`moto_direct.answer`,
the guard in front of moto included) and gets back its return value, or the traceback of
the exception it raised (the whole batch is then retried, as today).

A container that dies (a crash, the OOM killer) fails the invocation it was running (its
batch comes back after the visibility timeout, as in Lambda) and is replaced. Containers
are started by one supervising thread, which lives as long as the pool: PR_SET_PDEATHSIG
fires when the thread that started a process ends.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from inbound.local import moto_direct

log = logging.getLogger("inbound.local")

START_SECONDS = 120  # importing app.py on a loaded machine
STOP_SECONDS = 10
CHECK_SECONDS = 0.5  # how often the supervisor looks for containers that died
TAKE_SECONDS = 1.0


def default_size() -> int:
    """One container per CPU this process may use, at least one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus)


class ContainerDied(Exception):
    """The container ended during an invocation; its batch is retried."""


class InvocationFailed(Exception):
    """The handler raised in its container; the message carries the container's traceback."""


class ContainersDidNotStart(RuntimeError):
    """A container exited or stayed silent while importing the app."""


class PoolClosed(Exception):
    """No container will take the invocation: the pool is closed or could not start one."""


class _Forwarded(NamedTuple):
    """A container's prepared request, as `moto_direct.answer` reads it."""

    method: str
    url: str
    headers: dict[str, Any]
    body: bytes


@dataclass(eq=False)
class _Container:
    proc: subprocess.Popen[bytes]
    conn: Connection
    broken: bool = False


@dataclass
class _Setup:
    environment: dict[str, str]
    endpoint: str
    levels: dict[str, int] = field(default_factory=dict)
    format: str = "%(levelname)s %(name)s: %(message)s"


def _logging_setup() -> tuple[dict[str, int], str]:
    """This process's logger levels and line format, for the containers to copy."""
    levels = {"": logging.getLogger().level}
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            levels[name] = logger.level
    handlers = logging.getLogger().handlers
    formatter = handlers[0].formatter if handlers else None
    fmt = getattr(formatter, "_fmt", None) or "%(levelname)s %(name)s: %(message)s"
    return levels, fmt


class LambdaPool:
    """`size` containers of the app imported with `environment`, clients of `endpoint`."""

    def __init__(self, size: int, environment: dict[str, str], endpoint: str) -> None:
        levels, fmt = _logging_setup()
        self.size = size
        self.setup = _Setup(dict(environment), endpoint, levels, fmt)
        self._idle: queue.Queue[_Container] = queue.Queue()
        self._all: list[_Container] = []
        self._closing = threading.Event()
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._supervisor = threading.Thread(target=self._supervise, name="lambda-containers", daemon=True)

    def start(self) -> None:
        """Start every container (they import the app side by side with the caller's work)."""
        self._supervisor.start()

    def ready(self) -> None:
        """Wait until each container has imported the app; raise when one could not."""
        self._started.wait()
        if self._failure is not None:
            self.close()
            raise self._failure

    def handler(self, handler_string: str, name: str, timeout_seconds: int) -> Callable[[Any, Any], Any]:
        """What a poller calls as the function's handler: the invocation, in a container."""

        def invoke(event: dict[str, Any], _context: Any) -> Any:
            return self.invoke(handler_string, name, event, timeout_seconds)

        return invoke

    def invoke(self, handler_string: str, name: str, event: dict[str, Any], timeout_seconds: int) -> Any:
        container = self._take()
        try:
            return self._run(container, ("invoke", handler_string, name, event, timeout_seconds))
        except (EOFError, OSError) as exc:
            container.broken = True
            code = container.proc.poll()
            raise ContainerDied(
                f"lambda container {container.proc.pid} ended during an invocation of {name}"
                f" (exit code {code}); its batch is retried"
            ) from exc
        finally:
            if container.broken:
                container.proc.kill()  # the supervisor replaces it
            else:
                self._idle.put(container)

    def close(self) -> None:
        """Containers get end-of-file and exit; those that do not in time are killed."""
        self._closing.set()
        if self._supervisor.is_alive() and threading.current_thread() is not self._supervisor:
            self._supervisor.join()

    def _run(self, container: _Container, invocation: tuple[Any, ...]) -> Any:
        conn = container.conn
        conn.send(invocation)
        while True:
            message = conn.recv()
            if message[0] == "aws":
                conn.send(_answer(_Forwarded(*message[1:])))
            elif message[0] == "done":
                return message[1]
            else:
                raise InvocationFailed(f"the handler raised in its container:\n{message[1]}")

    def _take(self) -> _Container:
        while not self._closing.is_set():
            try:
                container = self._idle.get(timeout=TAKE_SECONDS)
            except queue.Empty:
                continue
            if container.proc.poll() is None and not container.broken:
                return container
        raise PoolClosed("the lambda containers are stopping")

    def _supervise(self) -> None:
        try:
            for container in self._spawn(self.size):
                self._all.append(container)
                self._idle.put(container)
        except BaseException as exc:  # noqa: BLE001 - handed to start(), which raises it
            self._failure = exc
        self._started.set()
        while self._failure is None and not self._closing.wait(CHECK_SECONDS):
            self._replace_dead()
        self._stop_all()

    def _replace_dead(self) -> None:
        dead = [c for c in self._all if c.proc.poll() is not None]
        for container in dead:
            self._all.remove(container)
            container.conn.close()
            log.warning(
                "lambda container %d exited with code %s; starting another",
                container.proc.pid,
                container.proc.returncode,
            )
        if not dead:
            return
        try:
            for container in self._spawn(len(dead)):
                self._all.append(container)
                self._idle.put(container)
        except (OSError, ContainersDidNotStart) as exc:
            log.warning("lambda container: could not start another (%s); trying again", exc)

    def _spawn(self, count: int) -> list[_Container]:
        """Start `count` containers side by side; each once it has imported the app."""
        started = [self._start_one() for _ in range(count)]
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

    def _start_one(self) -> _Container:
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
                env={**os.environ, **self.setup.environment},
            )
        conn = Connection(ours.detach())
        conn.send(self.setup.__dict__)
        return _Container(proc, conn)

    def _stop_all(self) -> None:
        for container in self._all:
            container.conn.close()
        deadline = time.monotonic() + STOP_SECONDS
        for container in self._all:
            try:
                container.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                container.proc.kill()
                container.proc.wait()
        self._all.clear()


def _answer(request: _Forwarded) -> tuple[int, list[tuple[str, str]], bytes]:
    """moto's answer to a container's request, as the socket would have carried it."""
    # The boundary between a container and moto: an error answering one request is that
    # request's 500 (what moto's server answers over the socket), never the poller's end.
    try:
        answered = moto_direct.answer(request)
    except Exception as exc:  # noqa: BLE001
        log.exception("lambda container: %s %s failed in the local AWS", request.method, request.url)
        return 500, [("Content-Type", "text/plain")], f"{type(exc).__name__}: {exc}\n".encode()
    if answered is None:
        return 502, [("Content-Type", "text/plain")], b"not served by this stack\n"
    return answered
