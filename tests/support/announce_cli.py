"""`inbound ...` run against a local stack's data dir from the e2e tests of announcements,
and an announcement's status as `inbound announce status --json` prints it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_up import inbound_command


def inbound_in(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`inbound ARGS --data-dir DATA_DIR`, its output captured; a failure fails the test unless
    `check` is False."""
    done = subprocess.run(
        [*inbound_command(), *args, "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=120
    )
    if check and done.returncode != 0:
        pytest.fail(f"inbound {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def announcement_status(data_dir: Path, announcement: str) -> dict[str, Any]:
    return dict(json.loads(inbound_in(data_dir, "announce", "status", announcement, "--json").stdout))
