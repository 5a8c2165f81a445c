"""The gate CI runs (.ci/run -> make check): lint, types and tests, and no silent pass; the
pre-commit hooks run the same, split between commit and push.

GIVEN the Makefile, WHEN CI runs `make check`, THEN ruff, ruff format, mypy and the whole
suite run; AND a test run that selects no test at all (pytest's exit code 5: a wrong path
or marker) fails the target after printing pytest's summary, instead of passing green.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAMP = ".venv/.installed"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*args: str) -> subprocess.CompletedProcess[str]:
    # -o STAMP: take the virtual environment as installed, never reinstall it from a test.
    return subprocess.run(
        ["make", "--no-print-directory", "-o", STAMP, *args],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MAKE"))},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_ci_runs_make_check_which_is_lint_types_and_the_whole_suite():
    assert "make check" in (ROOT / ".ci" / "run").read_text()

    planned = make("-n", "check")

    assert planned.returncode == 0, planned.stderr
    commands = [line.split()[:3] for line in planned.stdout.splitlines() if line.startswith(".venv/bin/")]
    assert commands == [
        [".venv/bin/ruff", "check", "app.py"],
        [".venv/bin/ruff", "format", "--check"],
        [".venv/bin/mypy", "chalicelib", "inbound"],
        [".venv/bin/pytest", "-ra", "-n"],
    ]


def test_a_test_run_that_selects_no_test_fails_and_prints_the_summary():
    # CI's own target; one small file in one process (no xdist workers to start) keeps it short.
    done = make("test", "PARALLEL=", "PYTEST_ARGS=tests/unit/test_gate.py -k no_test_is_named_like_this")

    assert done.returncode != 0
    assert "Error 5" in done.stderr
    summary = done.stdout.splitlines()[-1]
    assert "deselected" in summary, summary


def test_pre_commit_and_pre_push_together_run_what_make_check_runs():
    """Each commit: lint, types and the fast tier (the edit loop); each push: the whole suite.
    `pre-commit install` installs both hook types."""
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    stages = {hook["id"]: hook.get("stages", config["default_stages"]) for hook in hooks}
    on_commit = [hook["entry"] for hook in hooks if stages[hook["id"]] == ["pre-commit"]]
    on_push = [hook["entry"] for hook in hooks if stages[hook["id"]] == ["pre-push"]]

    planned = make("-n", "lint", "types")

    assert planned.returncode == 0, planned.stderr
    lint_and_types = [line for line in planned.stdout.splitlines() if line.startswith(".venv/bin/")]
    assert on_commit == [*lint_and_types, "make test-fast"]
    assert on_push == ["make test"]
    assert len(on_commit) + len(on_push) == len(hooks)
    assert set(config["default_install_hook_types"]) == {"pre-commit", "pre-push"}
    assert "check: lint types test\n" in (ROOT / "Makefile").read_text()
    assert {hook["language"] for hook in hooks} == {"system"}, "hooks use the project's .venv, no download"


def test_lint_limits_complexity_and_asks_for_the_simpler_form_with_each_exception_named():
    import tomllib

    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]

    assert {"C90", "SIM"} <= set(lint["select"])
    assert lint["mccabe"]["max-complexity"] <= 13
    assert not {"C90", "C901", "SIM"} & set(lint.get("ignore", [])), "exceptions are named rules or files"
    exempt = [path for path, rules in lint["per-file-ignores"].items() if "C901" in rules]
    assert all((ROOT / path).is_file() for path in exempt), exempt
