"""A real browser for the console tests: Debian's chromium driven by Playwright for Python.

Playwright's own browser download cannot be reached from here, so the tests use
`/usr/bin/chromium` and install it with apt when it is missing (CI runs as root). One
headless chromium per pytest process, with no background networking, serves every browser
test; each module (each agent) gets a fresh context of it, with its own storage, cookies and
tabs. Playwright takes it down at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def chromium_context(executable: Path, locale: str = "en-GB") -> Iterator[Any]:
    """A fresh browser context (its own storage, cookies and tabs) in this process's chromium."""
    with chromium_contexts(executable, 1, locale) as (context,):
        yield context


@contextmanager
def chromium_contexts(executable: Path, count: int, locale: str = "en-GB") -> Iterator[tuple[Any, ...]]:
    """`count` fresh contexts (nothing shared between them or with any other: one per agent)
    in this process's chromium; `locale` is the browser's language (navigator.languages,
    Accept-Language). Closed on leaving; the chromium stays for the next module."""
    browser = _shared_chromium(executable)
    contexts: list[Any] = []
    try:
        for _ in range(count):
            contexts.append(
                browser.new_context(viewport=VIEWPORT, locale=locale, timezone_id="Europe/Berlin")
            )
        yield tuple(contexts)
    finally:
        for context in contexts:
            context.close()


# One chromium per pytest process (each xdist worker has its own), started by the first test
# that asks and closed by `close_chromium` when the session ends (the `chromium_executable`
# fixture): a start costs seconds, a context a few milliseconds.
_RUNNING: dict[Path, tuple[Any, Any]] = {}


def _shared_chromium(executable: Path) -> Any:
    if executable not in _RUNNING:
        sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extras")
        playwright = sync_api.sync_playwright().start()
        try:
            browser = playwright.chromium.launch(
                executable_path=str(executable),
                headless=True,
                args=CHROMIUM_ARGS,
                timeout=60_000,  # to start; a browser that does not come up fails the test
            )
        except BaseException:
            playwright.stop()
            raise
        _RUNNING[executable] = (playwright, browser)
    return _RUNNING[executable][1]


def close_chromium() -> None:
    """Close this process's chromium (Playwright ends it and its children) and its driver."""
    while _RUNNING:
        _, (playwright, browser) = _RUNNING.popitem()
        try:
            browser.close()
        finally:
            playwright.stop()


@pytest.fixture(scope="session")
def chromium_executable() -> Iterator[Path]:
    """Debian's chromium for the browser tests, installed with apt-get when missing; the one
    chromium the session's browser tests started is closed at its end."""
    yield ensure_chromium()
    close_chromium()
