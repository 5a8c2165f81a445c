"""The large-message benchmark's processes: each measured step runs in a fresh child (started
through a small launcher, so its ru_maxrss holds nothing inherited), and moto's server in a
process of its own. `measure` takes the step's time and its memory peaks above idle."""

from __future__ import annotations

import binascii
import gc
import hashlib
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.large_message_mail import small_mail

REPO = Path(__file__).resolve().parents[1]
REGION = "us-east-1"


# -- measuring inside a child --
def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Set VmHWM back to the current RSS; False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kb("VmHWM") <= _status_kb("VmRSS") + 64


def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(step: Callable[[], Any], traced: bool) -> tuple[dict[str, Any], Any]:
    """Run `step` once from the idle state: seconds and peaks above idle, in bytes."""
    gc.collect()
    idle = _status_kb("VmRSS")
    reset = _reset_peak()
    hwm_before, maxrss_before = _status_kb("VmHWM"), _maxrss_kb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    figures: dict[str, Any] = {"seconds": seconds, "reset": reset, "idle_rss": idle * 1024}
    if traced:
        figures["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # Without the reset, an earlier peak above idle hides part of the step's: a lower bound.
    base = idle if reset else max(idle, hwm_before)
    figures["rss_peak"] = (_status_kb("VmHWM") - base) * 1024
    figures["maxrss_peak"] = (_maxrss_kb() - max(idle, maxrss_before)) * 1024
    figures["maxrss_inherited"] = maxrss_before > hwm_before + 64
    return figures, result


def child(spec: dict[str, Any]) -> dict[str, Any]:
    kind, traced = spec["kind"], spec["traced"]
    if kind == "ingest":
        return _ingest_child(spec, traced)
    if kind == "s3":
        return _s3_child(spec, traced)
    path = spec["path"]
    start, end = spec["offsets"]
    if kind == "stdlib":
        from bench.typical_mail import baseline

        baseline(small_mail(0))

        def step() -> Any:
            return baseline(Path(path).read_bytes())

    elif kind == "mailparser":
        import mailparser

        mailparser.parse_from_bytes(small_mail(0))

        def step() -> Any:
            return mailparser.parse_from_bytes(Path(path).read_bytes())

    elif kind == "floor":

        def step() -> Any:
            raw = Path(path).read_bytes()
            return hashlib.sha256(binascii.a2b_base64(memoryview(raw)[start:end])).hexdigest()

    else:
        raise ValueError(f"unknown kind {kind!r}")
    figures, _ = measure(step, traced)
    return figures


def _ingest_child(spec: dict[str, Any], traced: bool) -> dict[str, Any]:
    from inbound.local.embedded import offline_credentials

    offline_credentials()
    from chalicelib.services import notifications
    from chalicelib.settings import Settings
    from chalicelib.wiring import build_services

    env = {**spec["outputs"], "AWS_REGION": REGION, "INBOUND_ENDPOINT_URL": spec["endpoint"]}
    settings = Settings.from_env(env)
    services = build_services(settings)
    bucket = settings.mail_bucket
    warm = services.ingest.ingest(notifications.decode(spec["warm_note"], bucket))
    if warm.outcome != "created":
        raise RuntimeError(f"warm-up mail: {warm.outcome} ({warm.reason})")
    delivery = notifications.decode(spec["note"], bucket)
    figures, outcome = measure(lambda: services.ingest.ingest(delivery), traced)
    figures["outcome"] = outcome.outcome
    figures["reason"] = outcome.reason
    figures["ticket"] = outcome.ticket
    figures["attachments"] = [dict(a) for a in outcome.attachments]
    return figures


def _s3_child(spec: dict[str, Any], traced: bool) -> dict[str, Any]:
    from inbound.local.embedded import offline_credentials

    offline_credentials()
    from chalicelib.settings import Settings
    from chalicelib.wiring import build_services

    env = {**spec["outputs"], "AWS_REGION": REGION, "INBOUND_ENDPOINT_URL": spec["endpoint"]}
    store = build_services(Settings.from_env(env)).ingest.ports.store
    bucket, key, name = store.bucket, spec["key"], spec["key"].rpartition("/")[2]
    store.put_attachment(f"attachments/warm/{name}", b"warm", "text/plain", "warm.txt")

    def step() -> Any:
        _, raw = store.get_raw_within(bucket, key, 2**31)
        with open(spec["payload_path"], "rb") as payload:
            store.put_attachment(
                f"attachments/s3/{name}/1-a.bin", payload, "application/octet-stream", "a.bin"
            )
        store.archive(bucket, key, name, "2026-11-27T10:00:01.000Z")
        return len(raw)

    figures, _ = measure(step, traced)
    return figures


# -- starting the processes --
@contextmanager
def moto_process() -> Iterator[str]:
    """moto's server in a process of its own, on loopback; yields its endpoint."""
    from inbound.local.embedded import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.large_message", "--serve", str(port)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # one log line per request
        text=True,
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        assert server.stdin is not None
        server.stdin.close()  # the server stops when its stdin closes
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def serve(port: int) -> None:
    from inbound.local.embedded import moto_server

    with moto_server(port=port):
        print("ready", flush=True)
        sys.stdin.read()


# A process inherits, at exec, the peak RSS of the process it was forked from as its
# ru_maxrss, and clear_refs cannot reset that: children are started from this small
# launcher, not from the bench's own (large) process, so that ru_maxrss stays readable.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.large_message", "--child", json.dumps(spec)]
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{spec['kind']} child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
