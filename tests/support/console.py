"""One tab of the staff console in chromium, with everything a payload could leave behind:
the fixtures of the browser tests (tests/e2e/test_console.py, tests/security/test_console_xss.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium_context
from tests.support.local_up import ROOT, LocalStackRun, UpProcess, eventually

ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 20_000
TITLE = "inbound · support queue"


@dataclass
class Console:
    """One browser tab on the console, with everything a payload could leave behind."""

    page: Any
    up: UpProcess
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accept_dialogs: bool = False  # what the `console` fixture answers a confirm() with

    def open(self) -> Console:
        self.page.goto(f"{self.up.http}/")
        self.page.locator("#login-form").wait_for()
        return self

    def sign_in(self, email: str, password: str) -> None:
        form = self.page.locator("#login-form")
        form.locator("input[name=email]").fill(email)
        form.locator("input[name=password]").fill(password)
        form.locator("button[type=submit]").click()

    def tickets_listed(self) -> list[str]:
        return self.page.locator("#tickets li").evaluate_all("items => items.map(i => i.dataset.ticket)")

    def served(self, path: str) -> bool:
        """Whether the console's server was asked for `path` (its request log is on stderr).
        Chromium runs sandboxed frames apart, so the server is the witness, not the page."""
        return f'"GET {path}' in self.up.stderr_path.read_text(errors="replace")

    def assert_nothing_ran(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert not [url for url in self.requests if "/pwned" in url], self.requests
        assert not self.served("/pwned")
        assert self.page.evaluate("() => window.__xss") is None
        # notify.js may put the unseen count in front: "(2) inbound · support queue".
        assert re.fullmatch(r"(\(\d+\) )?" + re.escape(TITLE), self.page.title()), self.page.title()
        # The mail frames themselves. (Frames nested in a mail never get a script context:
        # they inherit the sandbox, and Playwright would wait for one forever.)
        # A re-rendered mail (after "Show remote images") is a new iframe: Playwright learns of
        # its srcdoc navigation a moment after the server saw the frame's requests, so wait,
        # through Playwright's own clock so that its events keep arriving meanwhile.
        mail_frames: list[Any] = []
        for _ in range(50):
            mail_frames = [f for f in self.page.main_frame.child_frames if f.url == "about:srcdoc"]
            if mail_frames:
                break
            self.page.wait_for_timeout(200)
        assert mail_frames, "no mail frame to look into"
        for frame in mail_frames:
            assert frame.evaluate("() => window.__xss") is None, "a script ran in the mail frame"


def screenshot(page: Any, name: str) -> Path:
    """A picture of the page, kept in test-artifacts/ (CI keeps the folder)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def admin_signs_in(console: Console, data_dir: Path, email: str, password: str) -> Any:
    """An admin made by `inbound staff add --role admin` signs in with the one-time password it
    printed and sets `password`; the page, at the desk."""
    added = subprocess.run(
        [inbound_executable(), "staff", "add", email, "--role", "admin", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    page = console.open().page
    console.sign_in(email, added.stdout.split("one-time password: ", 1)[1].split()[0])
    form = page.locator("#new-password-form")
    form.locator("input[name=new_password]").fill(password)
    form.locator("input[name=repeat]").fill(password)
    form.locator("button[type=submit]").click()
    page.locator("#desk").wait_for()
    return page


def wait_for_sent(page: Any, text: str, timeout: float = TIMEOUT_MS / 1000) -> None:
    """Until a sent message (`.message.out`) on the page shows `text`. The console sends a
    reply as markdown and shows it as the HTML that left, in a sandboxed mail frame, so the
    words are in the frame's document, not in the list item's own text."""
    sent = page.locator(".message.out")
    frames = page.frame_locator(".message.out iframe.mail")

    def shown() -> bool | None:
        if sent.filter(has_text=text).count():
            return True
        for i in range(page.locator(".message.out iframe.mail").count()):
            if frames.nth(i).locator("body").filter(has_text=text).count():
                return True
        return None

    eventually(shown, timeout, f"a sent message saying {text!r}")


def scrolls_sideways(page: Any) -> bool:
    """Whether the page is wider than the window (a phone would scroll it sideways)."""
    return bool(page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"))


def cut_off_sideways(locator: Any) -> bool:
    """Whether something inside the element (a dialog) is wider than it: cut off at its right
    edge, reached only by scrolling the dialog sideways."""
    return bool(locator.evaluate("e => e.scrollWidth > e.clientWidth"))


def top_bar_rows_apart(page: Any) -> float:
    """How far apart (px) the middles of the top bar's visible tools are: about 0 when they
    are on one row, a row's height when one wrapped."""
    return float(
        page.evaluate(
            """() => {
  const tools = [...document.querySelectorAll('#desk-tools > *, header.topbar #language')]
    .filter((e) => e.getClientRects().length);
  const middles = tools.map((e) => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
  return Math.max(...middles) - Math.min(...middles);
}"""
        )
    )


def within_window(locator: Any) -> bool:
    """Whether the element is shown whole inside the window (scrolled into view first)."""
    locator.scroll_into_view_if_needed()
    return bool(
        locator.evaluate(
            """e => { const r = e.getBoundingClientRect();
                      return r.width > 0 && r.left >= 0 && r.top >= 0
                        && r.right <= window.innerWidth && r.bottom <= window.innerHeight; }"""
        )
    )


def inbound_executable() -> str:
    """The `inbound` command of this virtualenv."""
    return str(Path(sys.executable).with_name("inbound"))


def suppress(endpoint: str, address: str, reason: str = "BOUNCE") -> None:
    """`inbound suppression import -` on the stack at `endpoint`: `address` on the list."""
    subprocess.run(
        [inbound_executable(), "suppression", "import", "-", "--endpoint-url", endpoint],
        input=f"{address},{reason}\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture(scope="module")
def browser(chromium_executable: Path) -> Iterator[Any]:
    with chromium_context(chromium_executable) as context:
        context.set_default_timeout(TIMEOUT_MS)
        yield context


@pytest.fixture
def console(browser: Any, local_stack: LocalStackRun) -> Iterator[Console]:
    page = browser.new_page()
    tab = Console(page, local_stack.current)
    page.on(
        "dialog",
        lambda dialog: (
            tab.dialogs.append(dialog.message),
            dialog.accept() if tab.accept_dialogs else dialog.dismiss(),
        ),
    )
    page.on("request", lambda request: tab.requests.append(request.url))
    page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    try:
        yield tab
    finally:
        page.close()
    assert tab.errors == [], f"the console threw: {tab.errors}"
