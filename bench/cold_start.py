"""Cold start: `import app` plus `build_services(Settings.from_env())` in a fresh process,
against a fresh process that only imports boto3 and creates one client.

Both children run with fake credentials, IMDS disabled and `socket.connect`
refused, so building clients provably makes no request. Each child is timed
wall-clock from the parent (interpreter start-up included on both sides);
best of N, the two kinds interleaved so drift hits both alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 5
GOAL = 1.5

_NO_NETWORK = (
    "import socket\n"
    "def _refuse(*args, **kwargs):\n"
    "    raise OSError('cold-start bench: no network allowed')\n"
    "socket.socket.connect = _refuse\n"
    "socket.socket.connect_ex = _refuse\n"
)
MEASURED = _NO_NETWORK + (
    "import app\n"
    "from chalicelib.settings import Settings\n"
    "from chalicelib.wiring import build_services\n"
    "build_services(Settings.from_env())\n"
)
BASELINE = _NO_NETWORK + ("import boto3\nboto3.session.Session().client('s3', region_name='us-east-1')\n")


@dataclass(frozen=True)
class ColdStart:
    measured_s: float
    baseline_s: float
    runs: int

    @property
    def ratio(self) -> float:
        return self.measured_s / self.baseline_s


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_SESSION_TOKEN="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def _run(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def run(runs: int = RUNS) -> ColdStart:
    env = _env()
    # One discarded run of each: .pyc files written, page cache warm, for both alike.
    _run(MEASURED, env)
    _run(BASELINE, env)
    measured, baseline = [], []
    for _ in range(runs):
        measured.append(_run(MEASURED, env))
        baseline.append(_run(BASELINE, env))
    return ColdStart(min(measured), min(baseline), runs)
