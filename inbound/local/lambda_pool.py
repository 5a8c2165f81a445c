"""`inbound up`'s Lambda containers: worker processes that run the SQS sources' handlers.

The pollers (`event_sources.Poller`) stay in `inbound up`'s process: they receive, build
the event, delete what succeeded. Only `handler(event, context)` runs in a container
(`lambda_container`), a process of its own, so that botocore's client side and the
handlers' own work use a core the process holding moto does not. While a container runs
an invocation, the poller's thread answers its AWS requests from moto (`moto_direct.answer`,
the guard in front of moto included) and gets back its return value, or the traceback of
the exception it raised (the whole batch is then retried, as today).

There are `size` containers (one per CPU): more would only queue at moto, which answers
in one process. Lambda gives each concurrent invocation a container of its own, though,
so invocations that hold one while sleeping (an announcement pacing its sends at SES's
rate sleeps between them) do not count: while they run and others wait, more containers
are started, up to the pollers' total, and those above `size` end after a minute idle.
Sleeping is what is left of an invocation's time once its container's time on a CPU, on
a run queue waiting for one (/proc/PID/schedstat) and waiting for this process's answers
are taken away. It used to be its wall-clock time: on a starved machine (load 13 on 2
CPUs) a batch of 10 mails takes 10-15 s, so busy ingest invocations counted as holding,
the pool started containers (each importing the app, more CPU for a machine that had
none) and retired them a minute later, over and over. A slow container is no reason for
more; a dead one is still seen at once (its process ended: `_forget_dead`).

A container that dies (a crash, the OOM killer) fails the invocation it was running (its
batch comes back after the visibility timeout, as in Lambda) and is replaced. Containers
are started by one supervising thread, which lives as long as the pool: PR_SET_PDEATHSIG
fires when the thread that started a process ends.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from inbound.local import moto_direct
from inbound.local.lambda_container import (
    Container,
    ContainersDidNotStart,
    Setup,
    ran_seconds,
    start_containers,
    stop_containers,
)

log = logging.getLogger("inbound.local")

CHECK_SECONDS = 0.5  # how often the supervisor looks for containers that died
TAKE_SECONDS = 1.0
LONG_INVOCATION_SECONDS = 10.0  # a container asleep this long in one invocation does not count as capacity
IDLE_SECONDS = 60.0  # a container above the pool's size idle this long ends


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


class PoolClosed(Exception):
    """No container will take the invocation: the pool is closed or could not start one."""


class _Forwarded(NamedTuple):
    """A container's prepared request, as `moto_direct.answer` reads it."""

    method: str
    url: str
    headers: dict[str, Any]
    body: bytes


class LambdaPool:
    """`size` containers of the app imported with `environment`, clients of `endpoint`;
    up to `most` while long invocations hold some (`scale_up_to`)."""

    def __init__(self, size: int, environment: dict[str, str], endpoint: str) -> None:
        self.size = self.most = size
        self.long_invocation_seconds = LONG_INVOCATION_SECONDS
        self.setup = Setup.of(environment, endpoint)
        self._cond = threading.Condition()  # guards _idle, _all, _waiting and the busy marks
        self._idle: list[Container] = []
        self._all: list[Container] = []
        self._waiting = 0  # invocations waiting for a container
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

    def scale_up_to(self, most: int) -> None:
        """At most `most` containers while long invocations hold some (the module's docstring)."""
        self.most = max(self.size, most)

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
            with self._cond:
                container.since = time.monotonic()
                container.busy = False
                if not container.broken:
                    self._idle.append(container)
                    self._cond.notify()

    def close(self) -> None:
        """Containers get end-of-file and exit; those that do not in time are killed."""
        self._closing.set()
        if self._supervisor.is_alive() and threading.current_thread() is not self._supervisor:
            self._supervisor.join()

    def _run(self, container: Container, invocation: tuple[Any, ...]) -> Any:
        conn = container.conn
        conn.send(invocation)
        while True:
            message = conn.recv()
            if message[0] == "aws":
                conn.send(_answer(_Forwarded(*message[1:5])))
                container.waited += time.monotonic() - message[5]
            elif message[0] == "done":
                return message[1]
            else:
                raise InvocationFailed(f"the handler raised in its container:\n{message[1]}")

    def _take(self) -> Container:
        with self._cond:
            self._waiting += 1
            try:
                while not self._closing.is_set():
                    while self._idle:
                        container = self._idle.pop()  # the last used: warm, and the others may retire
                        if container.proc.poll() is None and not container.broken:
                            container.busy, container.since = True, time.monotonic()
                            container.ran_when_taken = ran_seconds(container.proc.pid)
                            container.waited = 0.0
                            return container
                    self._cond.wait(TAKE_SECONDS)
            finally:
                self._waiting -= 1
        raise PoolClosed("the lambda containers are stopping")

    def _supervise(self) -> None:
        try:
            self._add(start_containers(self.setup, self.size))
        except BaseException as exc:  # noqa: BLE001 - handed to start(), which raises it
            self._failure = exc
        self._started.set()
        while self._failure is None and not self._closing.wait(CHECK_SECONDS):
            self._forget_dead()
            self._retire_idle()
            wanted = self._wanted()
            if not wanted:
                continue
            if len(self._all) >= self.size:
                log.info("lambda containers: long invocations hold them; starting %d more", wanted)
            try:
                self._add(start_containers(self.setup, wanted))
            except (OSError, ContainersDidNotStart) as exc:
                log.warning("lambda container: could not start another (%s); trying again", exc)
        self._stop_all()

    def _add(self, containers: list[Container]) -> None:
        with self._cond:
            self._all.extend(containers)
            self._idle.extend(containers)
            self._cond.notify_all()

    def _forget_dead(self) -> None:
        with self._cond:
            dead = [c for c in self._all if c.proc.poll() is not None]
            for container in dead:
                self._all.remove(container)
                if container in self._idle:
                    self._idle.remove(container)
        for container in dead:
            container.conn.close()
            log.warning(
                "lambda container %d exited with code %s; starting another",
                container.proc.pid,
                container.proc.returncode,
            )

    def _wanted(self) -> int:
        """Containers to start: back to `size`, and more while long invocations hold some
        and others wait."""
        now = time.monotonic()
        with self._cond:
            short = [c for c in self._all if not self._sleeping(c, now)]
            missing = self.size - len(short) if self._waiting else self.size - len(self._all)
            return max(0, min(missing, self.most - len(self._all)))

    def _sleeping(self, container: Container, now: float) -> bool:
        """Whether its invocation has slept for `long_invocation_seconds` (the module's docstring)."""
        took = now - container.since
        if not container.busy or took <= self.long_invocation_seconds:
            return False
        ran, before = ran_seconds(container.proc.pid), container.ran_when_taken
        if ran is None or before is None:
            return True  # the kernel does not say: its wall-clock time counts
        return took - (ran - before) - container.waited > self.long_invocation_seconds

    def _retire_idle(self) -> None:
        """Containers above `size` idle for a while end, as Lambda's do."""
        now = time.monotonic()
        with self._cond:
            spare = len(self._all) - self.size
            retired = [c for c in self._idle if now - c.since > IDLE_SECONDS][: max(0, spare)]
            for container in retired:
                self._idle.remove(container)
                self._all.remove(container)
        stop_containers(retired)

    def _stop_all(self) -> None:
        with self._cond:
            stopping, self._all, self._idle = list(self._all), [], []
        stop_containers(stopping)


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
