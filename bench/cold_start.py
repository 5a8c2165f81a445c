"""Cold start: `import app` plus `build_services(Settings.from_env())` from the unpacked
Lambda package, against `import boto3` and one client, each in a fresh interpreter.

The measured side is what Lambda runs: `inbound package --stage dev` (chalice's zip with
the compiled bytecode inbound/stage/bytecode.py adds), unpacked into a task directory. Both
sides run as `python -I -S -B -c CODE` with the working directory in the task directory:
isolated from the repository and its virtual environment (no site-packages, no .pth
hooks, no PYTHON* variables), and writing no `__pycache__` (`-B`, what
PYTHONDONTWRITEBYTECODE=1 does; /var/task is read-only on Lambda). sys.path is the task
directory, then a directory holding only what the Lambda runtime provides (boto3 and its
dependencies, linked from this environment), as /var/task comes before /var/runtime on
Lambda. A check run first proves every other imported module came from the task directory.

A second row times the same package without its bytecode (chalice's zip as it is), to show
what the bytecode buys. Children run with fake credentials, IMDS disabled and
`socket.connect` refused, so building clients provably makes no request. Each child is
timed wall-clock from the parent (interpreter start-up included on both sides), its CPU
time from the parent's rusage of children; best of N, the kinds interleaved so drift hits
all alike. Building the package needs chalice's cache (.chalice/deployments) or PyPI.

Wall-clock on a shared machine moves with its load, so where valgrind is installed the
measured and baseline children also run once each under callgrind: their instruction
counts give a ratio the load cannot move (valgrind is slow: about a minute).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 7
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
MEASURED = (
    "import app\n"
    "from chalicelib.settings import Settings\n"
    "from chalicelib.wiring import build_services\n"
    "build_services(Settings.from_env())\n"
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
    measured: Timing  # the package with bytecode
    source_only: Timing  # the same package without it
    baseline: Timing
    runs: int
    pycs: int
    load: tuple[float, float, float]  # 1, 5, 15-minute load average when the timed runs began
    instructions: tuple[int, int] | None = None  # callgrind's count: measured, baseline

    @property
    def instruction_ratio(self) -> float | None:
        return self.instructions[0] / self.instructions[1] if self.instructions else None

    @property
    def ratio(self) -> float:
        return self.measured.wall_s / self.baseline.wall_s

    @property
    def source_ratio(self) -> float:
        return self.source_only.wall_s / self.baseline.wall_s

    @property
    def cpu_ratio(self) -> float:
        return self.measured.cpu_s / self.baseline.cpu_s


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
    _, out = _run(_child(MEASURED + _ORIGINS, path), task)
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
            instructions = (_instructions(*kinds["measured"]), _instructions(*kinds["baseline"]))
        if sorted(p for p in task.rglob("*")) != files_before:
            raise RuntimeError("cold-start bench: a child wrote into the task directory")

    def best(kind: str) -> Timing:
        return Timing(min(t.wall_s for t in timed[kind]), min(t.cpu_s for t in timed[kind]))

    return ColdStart(best("measured"), best("source"), best("baseline"), runs, pycs, load, instructions)
