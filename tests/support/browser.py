"""A real browser for the console tests: Debian's chromium driven by Playwright for Python.

Playwright's own browser download cannot be reached from here, so the tests use
`/usr/bin/chromium` and install it with apt when it is missing (CI runs as root). The
browser runs headless with a fresh profile and no background networking, and is always
taken down: Playwright closes it, and whatever survives (found by its unique profile
directory, so only processes these tests started) is killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_TIMEOUT = 900
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--password-store=basic",
]
VIEWPORT = {"width": 1366, "height": 860}  # a common laptop screen


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt-get when absent; skips only when it cannot be."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        # A Japanese font too, so the search screenshots show the text and not empty boxes.
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "fonts-ipafont-gothic"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=INSTALL_TIMEOUT)
        if done.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
    if not CHROMIUM.exists():
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


def _processes_using(marker: str) -> list[int]:
    """Ids of processes whose command line names `marker` (our unique profile dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in command:
            found.append(int(entry.name))
    return found


def _kill_leftovers(marker: str) -> list[int]:
    leftovers = _processes_using(marker)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return leftovers


@contextmanager
def chromium_context(executable: Path, locale: str = "en-GB") -> Iterator[Any]:
    """A headless chromium with a fresh profile, as one Playwright browser context."""
    with chromium_contexts(executable, 1, locale) as (context,):
        yield context


@contextmanager
def chromium_contexts(executable: Path, count: int, locale: str = "en-GB") -> Iterator[tuple[Any, ...]]:
    """`count` headless chromiums, each with its own fresh profile (nothing shared: one per
    agent), under one Playwright (its sync API runs one at a time in a thread); `locale` is
    the browser's language (navigator.languages, Accept-Language)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extras")
    profiles = [tempfile.mkdtemp(prefix="inbound-chromium-") for _ in range(count)]
    try:
        with sync_api.sync_playwright() as playwright, ExitStack() as opened:
            contexts = []
            for profile in profiles:
                context = playwright.chromium.launch_persistent_context(
                    profile,
                    executable_path=str(executable),
                    headless=True,
                    args=CHROMIUM_ARGS,
                    viewport=VIEWPORT,
                    locale=locale,
                    timezone_id="Europe/Berlin",
                    timeout=60_000,  # to start; a browser that does not come up fails the test
                )
                opened.callback(context.close)
                contexts.append(context)
            yield tuple(contexts)
    finally:
        deadline = time.monotonic() + 5
        while any(_processes_using(p) for p in profiles) and time.monotonic() < deadline:
            time.sleep(0.1)
        for profile in profiles:
            _kill_leftovers(profile)
            shutil.rmtree(profile, ignore_errors=True)
