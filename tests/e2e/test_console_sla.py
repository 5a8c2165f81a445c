"""SLA in the console (issue 16, item 3), against one `inbound up`.

An admin sets targets in the console's SLA screen; three customer mails arrive; one is made
urgent. The breach watch then runs with a clock the test sets (20 minutes after the urgent
ticket was filed: its 15-minute first response is breached, the others are not), and the
browser's clock is set to the same moment, so what the list says ("was due", "due in")
matches. The list shows due times, the breach and when it was opened (once); "Sort: due" orders it by
due time; the ticket shows both clocks. Screenshots: test-artifacts/console-sla-*.png.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_sla import DynamoDBSlaWatch
from chalicelib.domain.timestamps import iso_millis
from chalicelib.services.sla_clocks import SlaSweep
from tests.fakes.desk import FakeEvents
from tests.support.console import Console, admin_signs_in, screenshot, top_bar_rows_apart
from tests.support.local_up import (
    TICKETS_TABLE,
    LocalStackRun,
    eventually,
    local_outbox,
    run_inbound,
    send,
    ticket_of,
    tickets,
)

pytestmark = [pytest.mark.e2e, pytest.mark.shared_stack, pytest.mark.timeout(300)]

ADMIN, PASSWORD = "sla.admin@example.com", "An-Sla-Admin-9-Password"
# Its own domain: the stack is shared (tests/support/local_up.py), and the acknowledgement the
# test answers must not meet the daily caps other modules' customers have used up.
CUSTOMER = "sam@sla-customer.test"


def _mail(subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Sam Example <{CUSTOMER}>"
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.org")
    msg.set_content(f"About: {subject}")
    return msg


def _set_target(page: Any, priority: str, first: int, resolution: int) -> None:
    row = page.locator(f'#sla-dialog tr[data-mailbox="support"][data-priority="{priority}"]')
    row.locator("input[name=first]").fill(str(first))
    row.locator("input[name=resolution]").fill(str(resolution))
    row.get_by_role("button", name="Save").click()
    page.locator("#toast").filter(has_text=f"SLA target saved: support, {priority}").wait_for()


def _listed(page: Any, ours: set[str]) -> list[str]:
    return [
        t
        for t in page.locator("#tickets li").evaluate_all("ls => ls.map(l => l.dataset.ticket)")
        if t in ours
    ]


ACCENT = "rgb(11, 92, 173)"  # console.css --accent
# A quiet button reads as a button: the accent's colour, and the focus ring from the keyboard.
LOOKS = "e => [getComputedStyle(e).color, e === document.activeElement && getComputedStyle(e).outlineStyle]"


def _keyboard_focus(page: Any, selector: str) -> None:
    """Focus from the keyboard (:focus-visible): back from the element, then Tab onto it."""
    page.locator(selector).focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")


def test_due_times_breaches_and_the_due_order_in_the_list_and_the_ticket(
    console: Console, local_stack: LocalStackRun
) -> None:
    up = local_stack.current
    page = admin_signs_in(console, local_stack.data_dir, ADMIN, PASSWORD)

    # 0. An admin's top bar keeps its dozen tools on one row on a laptop's screen.
    for tool in ("#sla-open", "#reply-mail", "#staff-open", "#sign-out"):
        page.locator(tool).wait_for()
    for width in (1366, 1280):
        page.set_viewport_size({"width": width, "height": 860})
        assert top_bar_rows_apart(page) <= 2, width
        screenshot(page, f"console-topbar-{width}.png")
    page.set_viewport_size({"width": 1366, "height": 860})

    # 1. The targets, in the admin's SLA screen (wall-clock minutes).
    page.locator("#sla-open").click()
    page.locator('#sla-dialog tr[data-priority="urgent"]').first.wait_for()
    _set_target(page, "normal", 60, 480)
    _set_target(page, "urgent", 15, 120)
    screenshot(page, "console-sla-1-targets.png")
    page.locator("#sla-dialog").get_by_role("button", name="Close").click()
    shown = json.loads(run_inbound(up, "sla", "show", "--json").stdout)
    assert {
        "mailbox": "support",
        "priority": "urgent",
        "first_response_minutes": 15,
        "resolution_minutes": 120,
    } in (shown["targets"])

    # 2. Three mails; the second is made urgent, the third low (no target: no due time).
    mails = [_mail("Printer jams"), _mail("Site is down"), _mail("A small question")]
    made = []
    for msg in mails:
        send(up, msg)
        made.append(ticket_of(up, msg))
    normal, urgent, low = made
    for ticket, priority in ((urgent, "urgent"), (low, "low")):
        changed = run_inbound(up, "tickets", "priority", ticket.id, priority)
        assert changed.returncode == 0, changed.stderr

    # 3. The breach watch at the test's clock: the urgent ticket's first response is late.
    now = datetime.fromisoformat(urgent.created_at) + timedelta(minutes=20)
    events = FakeEvents()
    watch = DynamoDBSlaWatch(up.client("dynamodb"), TICKETS_TABLE)
    report = SlaSweep(["support", "billing"], watch, events).sweep(iso_millis(now))
    assert report.breaches == [(urgent.id, "first_response")]
    assert SlaSweep(["support", "billing"], watch, events).sweep(iso_millis(now)).breaches == []  # once

    # 4. The list at that moment (the browser's clock set to it).
    page.clock.set_fixed_time(now)
    page.reload()
    ours = {t.id for t in made}
    eventually(
        lambda: _listed(page, ours) if len(_listed(page, ours)) == 3 else None, 20, "our three tickets"
    )
    item = page.locator(f'#tickets li[data-ticket="{urgent.id}"]')
    item.locator(".pill.sla-breached").wait_for()
    assert item.locator(".pill.sla-due.overdue").inner_text() == "was due 5 minutes ago"
    on_time = page.locator(f'#tickets li[data-ticket="{normal.id}"]')
    assert on_time.locator(".pill.sla-due").inner_text() == "due in 40 minutes"
    assert on_time.locator(".pill.sla-breached").count() == 0
    # Unanswered: it waits since it was opened, and the row says that once ("opened ...").
    assert on_time.locator(".waiting").count() == 0
    assert on_time.locator(".ago").inner_text().startswith("opened ")
    assert page.locator(f'#tickets li[data-ticket="{low.id}"] .pill.sla-due').count() == 0
    queue_order = _listed(page, ours)
    assert queue_order[0] == urgent.id and queue_order[1:] == [normal.id, low.id]  # priority first
    screenshot(page, "console-sla-2-queue.png")

    _keyboard_focus(page, "#sort-due")
    assert page.locator("#sort-due").evaluate(LOOKS) == [ACCENT, "solid"]
    screenshot(page, "console-sla-2-sort-focused.png")

    # 5. Sort by due time: the soonest due first, no due time last (the API's ?sort=due).
    page.locator("#sort-due").click()
    page.locator("#sort-due").filter(has_text="Sort: due").wait_for()
    eventually(
        lambda: True if _listed(page, ours) == [urgent.id, normal.id, low.id] else None, 20, "due order"
    )
    # A ticket made urgent now is due 15 minutes after its filing: it moves ahead of the normal one.
    assert run_inbound(up, "tickets", "priority", low.id, "urgent").returncode == 0
    page.locator("#sort-due").click()  # back to the queue's order, then due again: a fresh read
    page.locator("#sort-due").click()
    eventually(
        lambda: True if _listed(page, ours) == [urgent.id, low.id, normal.id] else None, 20, "re-sorted"
    )
    screenshot(page, "console-sla-3-sorted-by-due.png")

    # 6. The ticket: both clocks, the breached one marked.
    item.click()
    line = page.locator(".ticket-head .sla-line")
    line.wait_for()
    first = line.locator('[data-clock="first_response"]')
    assert first.get_attribute("class") == "sla-clock breached"
    assert "first response due" in first.inner_text() and "5 minutes ago" in first.inner_text()
    assert "resolution due" in line.locator('[data-clock="resolution"]').inner_text()
    line.locator(".pill.sla-breached").wait_for()
    _keyboard_focus(page, ".history button.quiet")
    assert page.locator(".history button.quiet").evaluate(LOOKS) == [ACCENT, "solid"]
    screenshot(page, "console-sla-4-ticket.png")

    # 7. A changed target moves the open backlog: normal's first response 60 -> 30 minutes
    # moves the due time of the normal ticket filed under the old one, and the screen says
    # how many tickets moved (the shared stack may hold other modules' normal tickets too).
    page.locator("#sla-open").click()
    page.locator('#sla-dialog tr[data-priority="normal"]').first.wait_for()
    _set_target(page, "normal", 30, 480)
    moved = page.locator("#sla-dialog .sla-backlog").filter(has_text="updated to the new target")
    moved.wait_for()
    count = re.fullmatch(
        r"(\d+) open tickets? \(support, normal\) updated to the new target\.", moved.inner_text()
    )
    assert count and int(count.group(1)) >= 1, moved.inner_text()
    screenshot(page, "console-sla-5-backlog-moved.png")
    page.locator("#sla-dialog").get_by_role("button", name="Close").click()
    retargeted = tickets(up).require_ticket(normal.id).sla
    filed_at = datetime.fromisoformat(normal.created_at)
    assert retargeted.first_response_due == iso_millis(filed_at + timedelta(minutes=30))
    # The queue shows the moved due time (it said "due in 40 minutes"): the backlog job moved
    # the mailbox's change counter; this console reads it at once, colleagues at their next tick.
    page.locator(f'#tickets li[data-ticket="{normal.id}"] .pill.sla-due').filter(
        has_text="due in 10 minutes"
    ).wait_for()

    # 8. Reply mail (item 2): the admin turns it on, takes the ticket, and the customer's
    # answer (to the acknowledgement's tokened Reply-To) is mailed to them, marked automatic.
    page.locator("#reply-mail").filter(has_text="Reply mail: off").click()
    page.locator("#reply-mail").filter(has_text="Reply mail: on").wait_for()
    assert run_inbound(up, "tickets", "assign", urgent.id, ADMIN, "--force").returncode == 0
    ack = eventually(
        lambda: next((m for m in local_outbox(local_stack.data_dir) if urgent.id in m["subject"]), None)
    )
    acked = message_from_string(
        (local_stack.data_dir / "outbox" / ack["file"]).read_text(), policy=policy.default
    )
    answer = _mail("Re: Site is down")
    answer["In-Reply-To"] = str(mails[1]["Message-ID"])
    send(up, answer, to=[str(acked["Reply-To"])])

    def alert() -> dict[str, Any] | None:
        return next(
            (
                m
                for m in local_outbox(local_stack.data_dir)
                if m["subject"] == f"Customer replied on {urgent.id}"
            ),
            None,
        )

    record = eventually(alert, 30, "the reply mail to the agent")
    mailed = message_from_string(
        (local_stack.data_dir / "outbox" / record["file"]).read_text(), policy=policy.default
    )
    assert (mailed["To"], mailed["Reply-To"], mailed["Auto-Submitted"]) == (ADMIN, ADMIN, "auto-generated")
    assert CUSTOMER not in str(record["to"])
    page.reload()
    page.locator("#reply-mail").filter(has_text="Reply mail: on").wait_for()  # kept for the agent
