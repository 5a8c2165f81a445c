"""Cold start: `import app` plus the services a function's first event needs, from the
unpacked Lambda package, against `import boto3` and one client, each in a fresh interpreter.

Each service is built by its first use (chalicelib/wiring/), so what a cold start costs
depends on the function: the ingest function's handler asks for `services().ingest` (which
builds the S3 and DynamoDB clients it needs), a staff API request for `services().auth` and
`services().desk`. The ingest is the goal's figure; the API request is measured beside it.

The measured side is what Lambda runs: `inbound package --stage dev` (chalice's zip with
the compiled bytecode inbound/stage/bytecode.py adds), unpacked into a task directory. Both
sides run as `python -I -S -B -c CODE` with the working directory in the task directory:
isolated from the repository and its virtual environment (no site-packages, no .pth
hooks, no PYTHON* variables), and writing no `__pycache__` (`-B`, what
PYTHONDONTWRITEBYTECODE=1 does; /var/task is read-only on Lambda). sys.path is the task
directory, then a directory holding only what the Lambda runtime provides (boto3 and its
dependencies, linked from this environment), as /var/task comes before /var/runtime on
Lambda. A check run first proves every other imported module came from the task directory.

Another row times the ingest's cold start from the same package without its bytecode
(chalice's zip as it is), to show what the bytecode buys. Children run with fake credentials, IMDS disabled and
`socket.connect` refused, so building clients provably makes no request. Each child is
timed wall-clock from the parent (interpreter start-up included on both sides), its CPU
time from the parent's rusage of children; the median of N runs of each kind (the same N
for all), the kinds interleaved so drift hits all alike. Building the package needs chalice's cache (.chalice/deployments) or PyPI.

Wall-clock on a shared machine moves with its load, so where valgrind is installed each
kind (and one that builds every service, the figure before services were built on first
use) also runs once under callgrind: instruction counts give ratios the load cannot move
(valgrind is slow: two to three minutes).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench import cold_first_message

REPO = Path(__file__).resolve().parents[1]
RUNS = 11
GOAL = 1.3
# What the Lambda Python runtime brings besides the standard library (/var/runtime).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

_NO_NETWORK = (
    "import socket\n"
    "def _refuse(*args, **kwargs):\n"
    "    raise OSError('cold-start bench: no network allowed')\n"
    "socket.socket.connect = _refuse\n"
    "socket.socket.connect_ex = _refuse\n"
)
# What the ingest function's handler does before its first record: `services().ingest`.
MEASURED = "import app\nfrom chalicelib.wiring import services\nservices().ingest\n"
# A staff API request: the token check (`services().auth`), then the desk.
API = "import app\nfrom chalicelib.wiring import services\nservices().auth\nservices().desk\n"
# Every service built: what one container never needs, and what `build_services` built before.
EVERY_SERVICE = (
    "import app\n"
    "from chalicelib.wiring import services\n"
    "svc = services()\n"
    "for name in ('ingest', 'suspended', 'desk', 'auth', 'outbound', 'feedback', 'suppression',\n"
    "             'sweeper', 'sign_in_guard', 'search', 'announcements', 'announcement_sender',\n"
    "             'presence'):\n"
    "    getattr(svc, name)\n"
)
BASELINE = "import boto3\nboto3.session.Session().client('s3', region_name='us-east-1')\n"
# Appended to MEASURED once, untimed: where every module outside the standard library came from.
_ORIGINS = (
    "import json\n"
    "print(json.dumps({n: getattr(m, '__file__', None) or next(iter(getattr(m, '__path__', [])), None)\n"
    "    for n, m in list(sys.modules.items()) if '.' not in n and n not in sys.stdlib_module_names}))\n"
)


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


@dataclass(frozen=True)
class ColdStart:
    timings: dict[str, Timing]  # median per kind: measured (ingest), api, source, baseline
    runs: int
    pycs: int
    load: tuple[float, float, float]  # 1, 5, 15-minute load average when the timed runs began
    # callgrind's count per kind: measured, api, every, baseline, and the first message's
    # (first, first_baseline: bench/cold_first_message.py); None without valgrind
    instructions: dict[str, int] | None = None

    @property
    def measured(self) -> Timing:
        return self.timings["measured"]

    @property
    def baseline(self) -> Timing:
        return self.timings["baseline"]

    def ratio(self, kind: str = "measured") -> float:
        return self.timings[kind].wall_s / self.baseline.wall_s

    def cpu_ratio(self, kind: str = "measured") -> float:
        return self.timings[kind].cpu_s / self.baseline.cpu_s

    def instruction_ratio(self, kind: str = "measured") -> float | None:
        if not self.instructions:
            return None
        return self.instructions[kind] / self.instructions["baseline"]


def _env() -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONDONTWRITEBYTECODE": "1",  # -I ignores it; -B below does the same
    }


def _child(code: str, path: list[Path]) -> str:
    return _NO_NETWORK + f"import sys\nsys.path[:0] = {[str(p) for p in path]!r}\n" + code


def _run(code: str, cwd: Path) -> tuple[Timing, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(elapsed, cpu), done.stdout


def _instructions(code: str, cwd: Path) -> int:
    """Instructions the child executes, counted by callgrind (deterministic, unlike time)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        + [sys.executable, "-I", "-S", "-B", "-c", code],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    collected = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or not collected:
        raise RuntimeError(
            f"cold-start child under callgrind failed ({done.returncode}):\n{done.stderr[-2000:]}"
        )
    return int(collected.group(1))


def _runtime_dir(dest: Path) -> Path:
    """A directory holding only the runtime's packages, linked from this environment."""
    dest.mkdir()
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"cold-start bench: {name} is not installed here")
        origin = Path(spec.origin)
        source = origin.parent if spec.submodule_search_locations else origin
        (dest / source.name).symlink_to(source)
    return dest


def _package(dest: Path) -> Path:
    """`inbound package --stage dev`, unpacked into dest/task."""
    from inbound.stage.package import package

    package("dev", dest / "out", REPO)
    task = dest / "task"
    with zipfile.ZipFile(dest / "out" / "deployment.zip") as archive:
        archive.extractall(task)
    return task


def _check_origins(task: Path, path: list[Path]) -> None:
    _, out = _run(_child(EVERY_SERVICE + _ORIGINS, path), task)
    origins: dict[str, str | None] = json.loads(out.strip().splitlines()[-1])
    elsewhere = {
        name: origin
        for name, origin in origins.items()
        if name not in RUNTIME_PROVIDED
        and name not in ("__main__", "__mp_main__")
        and not (origin and Path(origin).resolve().is_relative_to(task.resolve()))
    }
    if elsewhere:
        raise RuntimeError(f"cold-start bench: imported from outside the package: {elsewhere}")


def run(runs: int = RUNS) -> ColdStart:
    with tempfile.TemporaryDirectory(prefix="inbound-cold-start-") as tmp:
        base = Path(tmp)
        task = _package(base)
        runtime = _runtime_dir(base / "runtime")
        source = base / "source"
        shutil.copytree(task, source, ignore=shutil.ignore_patterns("__pycache__"))
        files_before = sorted(p for p in task.rglob("*"))
        pycs = sum(1 for p in files_before if p.suffix == ".pyc")

        _check_origins(task, [task, runtime])
        kinds = {
            "measured": (_child(MEASURED, [task, runtime]), task),
            "api": (_child(API, [task, runtime]), task),
            "source": (_child(MEASURED, [source, runtime]), source),
            "baseline": (_child(BASELINE, [runtime]), task),
        }
        for code, cwd in kinds.values():  # one discarded run of each: page cache warm for all
            _run(code, cwd)
        load = os.getloadavg()
        timed: dict[str, list[Timing]] = {kind: [] for kind in kinds}
        for _ in range(runs):
            for kind, (code, cwd) in kinds.items():
                timed[kind].append(_run(code, cwd)[0])
        instructions = None
        if shutil.which("valgrind"):
            counted = {**kinds, "every": (_child(EVERY_SERVICE, [task, runtime]), task)}
            instructions = {
                kind: _instructions(*counted[kind]) for kind in ("measured", "api", "every", "baseline")
            }
            instructions["first"], instructions["first_baseline"] = cold_first_message.count(task, runtime)
        if sorted(p for p in task.rglob("*")) != files_before:
            raise RuntimeError("cold-start bench: a child wrote into the task directory")

    def median(kind: str) -> Timing:
        return Timing(
            statistics.median(t.wall_s for t in timed[kind]), statistics.median(t.cpu_s for t in timed[kind])
        )

    return ColdStart({kind: median(kind) for kind in kinds}, runs, pycs, load, instructions)
