"""README.md as a test: every command of its ```sh blocks, run verbatim, in order, in a
fresh folder where `inbound up` runs, from a shell with no AWS credentials.

Each command must exit 0 without a traceback; where README shows a command's output (a
```json output or ```text output block right after its ```sh block), the output must
have that shape: the same JSON keys and value types, or the same lines with `…` standing
for any text. README names the default ports (2525, 8000), so the stack and the commands
share a network namespace of their own: nothing else on the machine collides with them,
and they can reach nothing but their own loopback. `make ...` lines are not run (see
SKIPPED for why); everything else is.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_up import ROOT

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
SKIPPED = {
    "make run": "this test starts `.venv/bin/inbound up` (what `make run` runs) in the folder itself",
    "make test": "the test suite, of which this test is a part",
    "make install": "the folder's .venv is the project's installed one (a symlink)",
}
# What README must go on showing; a parser that finds nothing would otherwise pass.
MUST_RUN = (
    "swaks ",
    "python3 -c",
    ".venv/bin/inbound outbox",
    ".venv/bin/inbound tickets list --json",
    ".venv/bin/inbound tickets reply",
    ".venv/bin/inbound tickets forward",
    ".venv/bin/inbound sla set",
    ".venv/bin/inbound sla show",
    ".venv/bin/inbound staff role",
    ".venv/bin/inbound staff remove",
    ".venv/bin/inbound staff add",
    ".venv/bin/inbound staff list",
    ".venv/bin/inbound staff disable",
    ".venv/bin/inbound suppression check",
    ".venv/bin/inbound reputation",
    ".venv/bin/inbound report",
    ".venv/bin/inbound process",
)
READY_LINE = "inbound ready smtp=127.0.0.1:2525 http=http://127.0.0.1:8000"  # as README says
TIMEOUT = 120


@dataclass
class Step:
    line: int  # in README.md
    command: str
    output: tuple[str, str] | None = None  # ("json" | "text", the block README shows)


def readme_steps(text: str) -> list[Step]:
    """Each command of the ```sh blocks, with the output block that follows its block."""
    steps: list[Step] = []
    lines = text.splitlines()
    index, last_block = 0, list[Step]()
    while index < len(lines):
        fence = re.fullmatch(r"```(\S*)(?: (\w+))?\s*", lines[index])
        if not fence:
            if lines[index].strip().startswith("```"):
                raise AssertionError(f"README.md:{index + 1}: a fence this test does not read")
            index += 1
            continue
        end = lines.index("```", index + 1)
        body, start = lines[index + 1 : end], index + 1
        if fence.group(1) == "sh":
            last_block = _commands(body, start)
            steps += last_block
        elif fence.group(2) == "output":
            assert last_block, f"README.md:{start}: an output block after no ```sh block"
            last_block[-1].output = (fence.group(1), "\n".join(body))
            last_block = []
        else:
            last_block = []
        index = end + 1
    return steps


def _commands(body: list[str], first_line: int) -> list[Step]:
    found: list[Step] = []
    pending = ""
    for offset, raw in enumerate(body, start=1):
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        pending += raw[:-1] + " " if raw.endswith("\\") else raw
        if not raw.endswith("\\"):
            found.append(Step(first_line + offset, pending))
            pending = ""
    return found


# -- comparing with what README shows ------------------------------------------------------
def shape_differences(want: Any, got: Any, path: str = "$") -> list[str]:
    """Where `got` has other keys or value types than README's `want` (values may differ)."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: an object in README, {type(got).__name__} printed"]
        diffs = [f"{path}: keys {sorted(set(want) ^ set(got))} differ"] if set(want) != set(got) else []
        for key in sorted(set(want) & set(got)):
            diffs += shape_differences(want[key], got[key], f"{path}.{key}")
        return diffs
    if isinstance(want, list):
        if not isinstance(got, list):
            return [f"{path}: a list in README, {type(got).__name__} printed"]
        return [
            d for n, item in enumerate(got) if want for d in shape_differences(want[0], item, f"{path}[{n}]")
        ]
    if type(want) is not type(got):
        return [f"{path}: {type(want).__name__} in README, {type(got).__name__} printed ({got!r})"]
    return []


def output_differences(kind: str, shown: str, printed: str) -> list[str]:
    if kind == "json":
        try:
            examples = [json.loads(shown)]
        except ValueError:
            examples = [json.loads(line) for line in shown.splitlines() if line.strip()]
        rows = [json.loads(line) for line in printed.splitlines() if line.strip()]
        if not rows:
            return ["nothing printed"]
        return [d for row in rows for d in shape_differences(examples[0], row)]
    if kind == "text":
        patterns = [re.escape(line.rstrip()).replace("…", ".*") for line in shown.splitlines()]
        remaining = [line.rstrip() for line in printed.splitlines()]
        for pattern in patterns:
            while remaining and not re.fullmatch(pattern, remaining[0]):
                remaining.pop(0)
            if not remaining:
                return [f"no line matches {pattern!r}"]
            remaining.pop(0)
        return []
    return [f"README shows output as {kind!r}, which this test cannot compare"]


def test_the_readme_parser_reads_commands_continuations_and_output_blocks():
    text = 'x\n```sh\nmake run  # a\n# note\ncmd one \\\n  two\n```\n\n```json output\n{"a": 1}\n```\n'
    steps = readme_steps(text)
    assert [(s.line, s.command) for s in steps] == [(3, "make run  # a"), (6, "cmd one    two")]
    assert steps[1].output == ("json", '{"a": 1}') and steps[0].output is None
    assert shape_differences({"a": 1, "b": [{"c": None}]}, {"a": 2, "b": [{"c": None}]}) == []
    assert shape_differences({"a": 1}, {"a": "1", "z": 0}) == [
        "$: keys ['z'] differ",
        "$.a: int in README, str printed ('1')",
    ]
    assert output_differences("text", "guard: ok (…)\nday  x", "guard: ok (fine)\nday  x\n1 2") == []
    assert output_differences("text", "guard: ok (…)", "guard: paused (x)") != []


# -- the folder and its stack ------------------------------------------------------------
def _fresh_env(home: Path) -> dict[str, str]:
    """A new user's shell: no AWS credentials, profile, config or region."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(home), "LANG": "C.UTF-8"}


def _ensure_tools() -> None:
    missing = [t for t in ("unshare", "nsenter", "ip") if shutil.which(t) is None]
    if os.geteuid() != 0 or missing:
        pytest.skip(
            "README's commands use the fixed ports 2525 and 8000, so they run in a network namespace "
            f"of their own, which needs root and unshare, nsenter, ip (missing: {missing or 'none'})"
        )
    if shutil.which("swaks") is None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "swaks"],
        ):
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
            if done.returncode != 0:
                pytest.fail(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


@dataclass
class Folder:
    path: Path
    env: dict[str, str]
    up: subprocess.Popen[str]

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """`command` verbatim, by bash, in the folder and the stack's network namespace."""
        argv = ["nsenter", f"--net=/proc/{self.up.pid}/ns/net", "--", "bash", "-c", command]
        return subprocess.run(
            argv, cwd=self.path, env=self.env, capture_output=True, text=True, timeout=TIMEOUT
        )

    def tickets(self) -> int:
        done = self.run(".venv/bin/inbound tickets list --json --status all --limit 100")
        return len(done.stdout.splitlines()) if done.returncode == 0 else -1


@pytest.fixture
def readme_folder(tmp_path: Path):
    _ensure_tools()
    folder, home = tmp_path / "work", tmp_path / "home"
    folder.mkdir()
    home.mkdir()
    (folder / ".venv").symlink_to(Path(sys.prefix))
    env = _fresh_env(home)
    log = open(tmp_path / "up.stderr", "w")  # noqa: SIM115 - closed below, after the process
    up = subprocess.Popen(
        ["unshare", "--net", "--", "sh", "-c", "ip link set lo up && exec .venv/bin/inbound up"],
        cwd=folder,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: lines.put(up.stdout.readline() if up.stdout else ""), daemon=True
        ).start()
        try:
            first = lines.get(timeout=TIMEOUT).rstrip("\n")  # "" when it died first
        except queue.Empty:
            first = f"nothing within {TIMEOUT} s"
        stderr = (tmp_path / "up.stderr").read_text()[-4000:]
        assert first == READY_LINE, f"inbound up printed {first!r}:\n{stderr}"
        yield Folder(folder, env, up)
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()
        log.close()


def test_every_readme_command_runs_as_written_in_a_fresh_shell(readme_folder: Folder) -> None:
    steps = readme_steps(README.read_text())
    ran, mails = [], 0
    for step in steps:
        skipped = next((why for make, why in SKIPPED.items() if step.command.startswith(make)), None)
        if skipped:
            continue
        done = readme_folder.run(step.command)
        where = f"README.md:{step.line}: {step.command}"
        assert done.returncode == 0, f"{where}\nexit {done.returncode}\n{done.stderr[-3000:]}"
        assert "Traceback" not in done.stderr, f"{where}\n{done.stderr[-3000:]}"
        if step.output:
            differences = output_differences(*step.output, done.stdout)
            assert differences == [], f"{where}\nREADME shows:\n{step.output[1]}\nprinted:\n{done.stdout}"
        if "2525" in step.command:  # a mail: wait for its ticket, as a reader glances at the console
            mails += 1
            deadline = time.monotonic() + TIMEOUT
            while readme_folder.tickets() < mails and time.monotonic() < deadline:
                time.sleep(0.5)
            assert readme_folder.tickets() >= mails, f"{where}: no ticket for it within {TIMEOUT} s"
        ran.append(step.command)
    missing = [m for m in MUST_RUN if not any(c.startswith(m) for c in ran)]
    assert missing == [], f"README no longer shows: {missing}"
