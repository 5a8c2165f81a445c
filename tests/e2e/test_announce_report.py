"""The announcements' done-when against `inbound up`, and their report in the console.

GIVEN requesters who wrote in over SMTP (some on the suppression list, some the mailbox
simulator's bounce and complaint addresses), WHEN an announcement to all of them is sent
and `inbound up` is killed with SIGKILL half way, started again and the send resumed,
THEN each allowed requester is in the emulated SES outbox exactly once, the suppressed
are refused with their reason and never sent, no second saw more sends than the account's
MaxSendRate (over a few seconds), the simulator's addresses end bounced and complained; some recipients then
open the mail, follow its link or unsubscribe with one click (the tracked image, link and
List-Unsubscribe URL of the mail in the outbox), and the report (CLI and the console's
Announcements screen, screenshots in test-artifacts/) shows every status and the funnel.

Size: REQUESTERS (120) in `make test`; 500 with INBOUND_LONG=1. Measured on this machine
(2 shared cores) with INBOUND_LONG=1: see bench/RESULTS.md, "Announcements: 500 requesters".

Over 300 lines on purpose: one scenario (send, kill, resume, engage, report) whose steps
build on each other.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.parse
import urllib.request
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from chalicelib.services.announcement_sending import SEND_CONCURRENCY
from inbound.local.ses_sending import RATE_WINDOW
from tests.support.announce_cli import announcement_status, inbound_in
from tests.support.browser import chromium_context
from tests.support.console import Console, screenshot
from tests.support.local_up import eventually, send_as_sender, start_up

pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack, pytest.mark.timeout(1800)]
LONG = os.environ.get("INBOUND_LONG") == "1"
REQUESTERS = 500 if LONG else 120  # 120: three batches, so the kill comes half way
SUBJECT = "Login outage, {name}"
MAX_SEND_RATE = 14  # GetAccount's MaxSendRate on the local stack (inbound/local/ses_account_api.py)
ADMIN, PASSWORD = "announcer@example.com", "An-Announcer-9-Password"


def _audience(n: int) -> dict[str, list[str]]:
    """Who writes in, by what the announcement should do with them."""
    # The audience goes out in address order: these first, the simulator's after them. The
    # local snapshot keeps no SQS messages (inbound/local/state.py), so SES events still on
    # the feedback queue when the stack is killed are lost here (AWS would deliver them):
    # the simulator's bounces and complaints come after the restart.
    everyone = [f"ada{k:03d}@r{k:03d}.test" for k in range(n)]
    share = max(2, n // 20)  # 5% each
    return {
        "suppressed": everyone[:share],
        "bounce": [f"bounce+r{k}@simulator.amazonses.com" for k in range(share)],
        "complaint": [f"complaint+r{k}@simulator.amazonses.com" for k in range(share)],
        "plain": everyone[share : n - 2 * share],
    }


def _writes_in(sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@example.com", "Cannot log in"
    msg["Message-ID"] = make_msgid(domain="customer.test")
    msg.set_content("The login page says 500.")
    return msg


def _outbox(data: Path) -> list[dict[str, Any]]:
    index = data / "outbox" / "index.jsonl"
    if not index.exists():
        return []
    return [json.loads(line) for line in index.read_text().splitlines() if line.strip()]


def _announced(data: Path) -> list[dict[str, Any]]:
    return [r for r in _outbox(data) if r["subject"].startswith("Login outage, ")]


def _mail_of(data: Path, record: dict[str, Any]) -> Any:
    return message_from_string((data / "outbox" / record["file"]).read_text(), policy=policy.default)


def _fetch(url: str, form: bytes | None = None) -> int:
    """One GET (or POST of `form`), redirects not followed: a click's target is elsewhere."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(url, data=form, method="POST" if form else "GET")
    if form:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.build_opener(Stay).open(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _settled(data: Path, announcement: str, looks: list[int]) -> dict[str, Any] | None:
    """The status once nobody is pending or being sent, nobody merely `sent` is still
    waiting for SES's events of this run, and the outbox stopped growing (three looks)."""
    status = announcement_status(data, announcement)
    busy = status["counts"]["pending"] + status["counts"]["sending"]
    looks.append(-1 if busy else len(_announced(data)))
    return status if len(looks) >= 3 and len(set(looks[-3:])) == 1 and looks[-1] >= 0 else None


def test_an_announcement_to_requesters_survives_a_kill_and_reports_every_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chromium_executable: Path
) -> None:
    # No acknowledgements (a mailbox that answers authenticated senders only, and every
    # local sender is not): the simulator's addresses must meet the announcement first.
    monkeypatch.setenv("INBOUND_ACK_AUTHENTICATED_ONLY", "*")
    data, started = tmp_path / "data", []
    groups = _audience(REQUESTERS)
    everyone = [a for group in groups.values() for a in group]
    allowed = [a for a in everyone if a not in groups["suppressed"]]
    try:
        up = start_up(data, tmp_path, started)
        begun = time.monotonic()
        for sender in everyone:
            send_as_sender(up, _writes_in(sender), "support@example.com")
        (tmp_path / "suppressed.txt").write_text("\n".join(groups["suppressed"]) + "\n")
        inbound_in(data, "suppression", "import", str(tmp_path / "suppressed.txt"))
        # Nothing on `inbound up` is authenticated: its requesters are included on purpose.
        create = (
            "announce", "create", "--status", "new", "--include-unauthenticated",
            "--subject", SUBJECT, "--text", "We know, {name}.",
        )  # fmt: skip
        html = '<p>We know, {name}. <a href="https://status.example.com/login">Status page</a></p>'
        (tmp_path / "body.html").write_text(html)
        eventually(
            lambda: (
                True
                if json.loads(inbound_in(data, *create, "--dry-run", "--json").stdout)["audience_count"]
                == len(everyone)
                else None
            ),
            timeout=60 + len(everyone),
            what=f"{len(everyone)} tickets filed",
        )
        filed = time.monotonic()
        created = json.loads(
            inbound_in(data, *create, "--html-file", str(tmp_path / "body.html"), "--json").stdout
        )
        announcement = created["id"]
        inbound_in(data, "announce", "send", announcement)

        # WHEN inbound up dies half way through the send, and is started again
        before = eventually(
            lambda: found if len(found := _announced(data)) >= len(allowed) // 3 else None,
            timeout=120 + len(everyone),
            what="a third of the mail out",
        )
        up.proc.send_signal(signal.SIGKILL)
        up.proc.wait(timeout=30)
        # Started again as an operator does, on the same ports: the links mailed before
        # (one-click unsubscribe, tracking) point at them.
        up = start_up(data, tmp_path, started, ports=(up.smtp_port, up.http_port))
        inbound_in(data, "announce", "send", announcement)  # the batches in flight wait 30 minutes otherwise
        looks: list[int] = []
        status = eventually(
            lambda: _settled(data, announcement, looks), timeout=300 + len(everyone), what="the resumed send"
        )
        sent_at = time.monotonic()
        # The simulator's bounces and complaints follow their mail by a moment (record_feedback
        # reads them off the feedback queue, behind every Send and Delivery event before them).
        simulated = set(groups["bounce"] + groups["complaint"])

        def simulator_settled() -> dict[str, Any] | None:
            found = announcement_status(data, announcement)
            states = {r["state"] for r in found["recipients"] if r["address"] in simulated}
            return found if states <= {"bounced", "complained"} else None

        status = eventually(
            simulator_settled, timeout=120 + len(everyone), what="the simulator's bounces and complaints"
        )

        # THEN each allowed recipient exactly once, the suppressed never, under the rate
        got = [a for r in _announced(data) for a in r["to"]]
        wrong = {a: got.count(a) for a in set(got) | set(allowed) if got.count(a) != 1}
        said = {
            r["address"]: (r["state"], r["reason"]) for r in status["recipients"] if r["address"] in wrong
        }
        assert sorted(got) == sorted(allowed), (wrong, said)
        assert len(before) < len(allowed), "the kill came after the send had finished"
        peaks = json.loads((data / "ses-send-rate.json").read_text())
        [peak] = [n for name, n in peaks.items() if name.endswith("-announcements")]
        # Each invocation paces at its share of the rate; at a window's edge a send's trip to
        # SES may carry one more of each into it (SEND_CONCURRENCY invocations at once).
        assert peak <= MAX_SEND_RATE * RATE_WINDOW + SEND_CONCURRENCY, peaks
        states = {r["address"]: (r["state"], r["reason"].partition(":")[0]) for r in status["recipients"]}
        assert {states[a] for a in groups["suppressed"]} == {("refused", "suppressed")}
        assert {states[a][0] for a in groups["bounce"]} == {"bounced"}
        assert {states[a][0] for a in groups["complaint"]} == {"complained"}
        assert {states[a][0] for a in groups["plain"]} <= {
            "delivered",
            "sent",
        }  # sent: events lost in the kill

        # WHEN some open the mail, some follow its link, some unsubscribe with one click
        mails = {r["to"][0]: _mail_of(data, r) for r in _announced(data)}
        plain = groups["plain"]
        share = max(2, len(plain) // 10)
        openers, clickers, quitters = plain[:share], plain[share : 2 * share], plain[2 * share : 3 * share]
        for address in openers + clickers:
            html_part = mails[address].get_body(("html",)).get_content()
            [pixel] = re.findall(r'src="([^"]*/track/open/[^"]*)"', html_part)
            assert _fetch(pixel.replace("&amp;", "&")) == 200
            if address in clickers:
                [link] = re.findall(r'href="([^"]*/track/click/[^"]*)"', html_part)
                assert _fetch(link.replace("&amp;", "&")) == 302
        for address in quitters:
            url = str(mails[address]["List-Unsubscribe"]).split(",")[0].strip(" <>")
            assert _fetch(url, urllib.parse.urlencode({"List-Unsubscribe": "One-Click"}).encode()) == 200

        # THEN the report counts each of them, once
        def reported() -> dict[str, Any] | None:
            found = announcement_status(data, announcement)
            counts = found["counts"]
            done = (counts["unsubscribed"], found["opened"], found["clicked"])
            return found if done == (len(quitters), len(openers) + len(clickers), len(clickers)) else None

        report = eventually(reported, timeout=120, what="opens, clicks and opt-outs in the report")
        marks = {r["address"]: (r["opens"], r["clicks"]) for r in report["recipients"]}
        assert {marks[a] for a in openers} == {(1, 0)} and {marks[a] for a in clickers} == {(1, 1)}
        counts = report["counts"]
        assert (counts["refused"], counts["bounced"], counts["complained"]) == (
            len(groups["suppressed"]),
            len(groups["bounce"]),
            len(groups["complaint"]),
        )
        assert counts["pending"] == counts["sending"] == 0 and report["total"] == len(everyone)
        assert report["state"] == "done"
        print(
            f"{len(everyone)} requesters: filed in {filed - begun:.0f} s, sent (kill -9 after "
            f"{len(before)} mails, restart) in {sent_at - filed:.0f} s; {len(got)} mails, each once; "
            f"at most {peak} sends in {RATE_WINDOW:.0f} s (MaxSendRate {MAX_SEND_RATE}/s); {counts}; "
            f"opened {report['opened']}, clicked {report['clicked']}"
        )
        _report_in_the_console(up, data, chromium_executable, announcement, report)
    finally:
        for run in started:
            if run.proc.poll() is None:
                run.stop()


def _report_in_the_console(up: Any, data: Path, chromium: Path, announcement: str, report: dict) -> None:
    """An admin opens the announcement's report: every status, the funnel; screenshots."""
    added = inbound_in(data, "staff", "add", ADMIN, "--role", "admin")
    with chromium_context(chromium) as context:
        context.set_default_timeout(30_000)
        tab = Console(context.new_page(), up)
        tab.page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        page = tab.open().page
        tab.sign_in(ADMIN, added.stdout.split("one-time password: ", 1)[1].split()[0])
        form = page.locator("#new-password-form")
        form.locator("input[name=new_password]").fill(PASSWORD)
        form.locator("input[name=repeat]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        page.locator("#desk").wait_for()
        page.locator("#announce-open").click()
        screen = page.locator("#announce-dialog")
        screen.locator(f'tr[data-announcement="{announcement}"] button').click()
        rows = screen.locator("tr[data-recipient]")
        rows.first.wait_for()
        assert rows.count() == report["total"]
        shown = dict.fromkeys(
            screen.locator("tr[data-recipient]").evaluate_all("rs => rs.map(r => r.dataset.state)")
        )
        assert set(shown) == {"delivered", "bounced", "complained", "unsubscribed", "refused"} | (
            {"sent"} if report["counts"]["sent"] else set()
        )
        funnel = screen.locator("svg.announce-funnel")
        assert funnel.locator("rect").count() == 9
        assert f"{report['clicked']} · " in funnel.text_content()
        screenshot(page, "announce-report.png")
        screen.locator("select").last.select_option("refused")
        screen.locator('tr[data-state="refused"]').first.wait_for()
        assert rows.count() == report["counts"]["refused"]
        assert "suppressed" in screen.locator(".announce-reason").first.text_content()
        screenshot(page, "announce-report-refused.png")

        # The compose screen's preview of an uploaded list's first recipient (nothing stored).
        screen.get_by_role("button", name="Back").click()
        screen.locator("#announce-new").click()
        screen.locator("input[name=source][value=list]").check()
        screen.locator("textarea[name=list]").fill("Dora Example <dora@customer.test>\nnot an address\n")
        screen.locator("input[name=subject]").fill("Policy update for {name}")
        screen.locator("textarea[name=text]").fill("Hello {name}, our terms change on 1 January.")
        screen.locator("textarea[name=html]").fill(
            "<p>Hello <b>{name}</b>, see <a href='https://example.com/terms'>the terms</a>.</p>"
        )
        screen.get_by_role("button", name="Preview").click()
        preview = screen.locator(".announce-preview")
        preview.filter(has_text="1 recipient").wait_for()
        assert "Policy update for Dora Example" in preview.text_content()
        assert "not an address" in preview.text_content()
        preview.locator("iframe").scroll_into_view_if_needed()
        screenshot(page, "announce-compose-preview.png")
        assert tab.errors == [], tab.errors


def test_the_report_counts_live_while_the_console_sends(console: Console, local_stack: Any) -> None:
    """GIVEN a drafted announcement to 60 addresses WHEN an admin sends it from its report THEN
    the page's count moves while it sends (polled, no reload) and ends at 60 of 60 done."""
    data = local_stack.data_dir
    addresses = [f"live{k:02d}@l{k:02d}.test" for k in range(60)]
    listing = data.parent / "live.txt"
    listing.write_text("\n".join(addresses) + "\n")
    created = inbound_in(
        data,
        "announce",
        "create",
        "--list",
        str(listing),
        "--subject",
        "Live {name}",
        "--text",
        "Hi.",
        "--json",
    )
    announcement = json.loads(created.stdout)["id"]
    added = inbound_in(data, "staff", "add", "live.admin@example.com", "--role", "admin")
    page = console.open().page
    console.sign_in("live.admin@example.com", added.stdout.split("one-time password: ", 1)[1].split()[0])
    form = page.locator("#new-password-form")
    form.locator("input[name=new_password]").fill(PASSWORD)
    form.locator("input[name=repeat]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.locator("#desk").wait_for()
    page.locator("#announce-open").click()
    screen = page.locator("#announce-dialog")
    screen.locator(f'tr[data-announcement="{announcement}"] button').click()
    progress = screen.locator(".announce-progress-text")
    progress.filter(has_text="0 of 60 done").wait_for()
    # The fixture dismisses every dialog: say yes to "Send this announcement to 60 recipients now?"
    page.evaluate("() => { window.confirm = () => true; }")

    screen.locator("#announce-send").click()

    seen: list[str] = []
    for _ in range(300):  # Playwright's clock, so its events keep arriving
        text = progress.text_content() or ""
        if not seen or seen[-1] != text:
            seen.append(text)
        if text == "60 of 60 done":
            break
        page.wait_for_timeout(100)
    assert seen[-1] == "60 of 60 done", seen
    assert len(seen) >= 3, f"no count between the start and the end: {seen}"  # it moved while sending
    screen.locator("#announce-send").wait_for(state="hidden")
