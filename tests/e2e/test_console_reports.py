"""The Reports page in the browser against `inbound up`, after a seeded week of desk work
(tests/support/report_week.py: filed, answered, solved and reopened over seven days by two
agents in two mailboxes, on a clock the test moves, written through the stack's own services
from the test's side of its endpoint). The page, the API it calls and `inbound report --json`
agree, and the page shows the figures worked out by hand, with charts that have axes, labels
and legends. Screenshots: test-artifacts/console-reports-*.png.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_agents import DynamoDBAgents
from chalicelib.adapters.dynamodb_reputation_counters import counter_update
from inbound.local.embedded import stack_at
from tests.support import report_week as wk
from tests.support.console import Console, screenshot, scrolls_sideways
from tests.support.local_up import LocalStackRun, run_inbound

# Its own stack, not the shared one: the week's bad reputation days (5% bounces) pause the
# outbound guard's automatic mail for 30 days, and other modules wait for acknowledgements.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _seed_week(local_stack: LocalStackRun) -> dict[str, str]:
    stack = stack_at(local_stack.current.endpoint)
    roster = DynamoDBAgents(stack.client("dynamodb"), stack.settings.tickets_table)
    for n, agent in enumerate((wk.ANN, wk.BOB)):
        roster.record(f"sub-report-{n}", agent)  # as their first sign-in names them
    # A bad day for the sending reputation (5% bounces) and one with a complaint in 200 sends:
    # what SES's events would have counted (record_feedback's counters).
    db = stack.client("dynamodb")
    table = stack.settings.suppression_table
    for day, counts in (
        (wk.DAYS[2], {"sends": 120, "bounces": 6}),
        (wk.DAYS[4], {"sends": 200, "bounces": 4, "complaints": 1}),
    ):
        db.transact_write_items(
            TransactItems=[counter_update(table, day, counts, int(wk.MONDAY.timestamp()))]
        )
    svc = stack.services
    return wk.work_the_week(wk.on_clock(svc.settings, svc.ingest, svc.desk, svc.outbound))


def _texts(locator: Any) -> list[str]:
    """The text of SVG elements (which have no innerText)."""
    return list(locator.evaluate_all("nodes => nodes.map(n => n.textContent)"))


def _tile(page: Any, figure: str) -> str:
    return str(page.locator(f"#reports-dialog [data-figure={figure}] strong").inner_text())


def test_the_reports_page_the_api_and_the_cli_agree_on_a_seeded_week(
    console: Console, local_stack: LocalStackRun
):
    _seed_week(local_stack)
    creds = local_stack.credentials()
    page = console.page
    page.set_viewport_size({"width": 1280, "height": 1000})
    console.open().sign_in(creds["username"], creds["password"])
    page.locator("#desk").wait_for()

    page.locator("#reports-open").click()
    dialog = page.locator("#reports-dialog")
    dialog.locator("svg.report-chart").first.wait_for()  # the default range (the last 14 days)
    form = dialog.locator("#reports-form")
    form.locator("input[name=from]").fill(wk.FIRST_DAY)
    form.locator("input[name=to]").fill(wk.LAST_DAY)
    with page.expect_response(lambda r: "/api/reports?" in r.url and wk.FIRST_DAY in r.url) as answered:
        form.locator("button[type=submit]").click()
    shown = answered.value.json()
    page.wait_for_function("() => !document.querySelector('#reports-body').hasAttribute('aria-busy')")

    cli = run_inbound(local_stack.current, "report", "--json", "--from", wk.FIRST_DAY, "--to", wk.LAST_DAY)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == shown

    assert [d["in"] for d in shown["days"]] == wk.IN_PER_DAY
    assert [d["backlog"] for d in shown["days"]] == wk.BACKLOG_PER_DAY
    assert shown["totals"]["first_response"] == wk.FIRST_RESPONSE
    assert shown["totals"]["resolution"] == wk.RESOLUTION
    rates = {d["day"]: (d["bounce_rate"], d["complaint_rate"]) for d in shown["reputation"]["days"]}
    assert rates[wk.DAYS[2]][0] > 0.04 and rates[wk.DAYS[4]][1] == 0.005
    assert (_tile(page, "in"), _tile(page, "solved"), _tile(page, "backlog")) == ("6", "4", "3")
    assert _tile(page, "first_response") == "32 min / 24 h"
    assert _tile(page, "resolution") == "24 h / 4 d"
    rows = dialog.locator(".report-table").nth(1).locator("tbody tr")
    assert [r.split("\t")[:3] for r in rows.evaluate_all("rs => rs.map(r => r.innerText)")] == [
        [wk.ANN, "3", "3"],
        [wk.BOB, "1", "2"],
    ]

    charts = dialog.locator("svg.report-chart")
    assert charts.count() == 4
    volume = charts.nth(0)
    assert (
        volume.locator("rect.bar-in:not(.legend-key)").count() == 7
        and volume.locator("path.line-backlog").count() == 1
    )
    assert _texts(volume.locator("text.legend")) == ["In", "Solved", "Backlog (unsolved at day's end)"]
    assert _texts(volume.locator("text.tick"))[-7:] == [
        "11/23",
        "11/24",
        "11/25",
        "11/26",
        "11/27",
        "11/28",
        "11/29",
    ]
    assert "1 min" in _texts(charts.nth(1).locator("text.tick"))
    bounce = _texts(charts.nth(2).locator("text.limit-label"))
    assert bounce == ["SES review 5%", "guard pauses 4%"]
    assert _texts(charts.nth(3).locator("text.limit-label")) == ["SES review 0.1%", "guard pauses 0.08%"]
    assert "at most 50% above" in dialog.inner_text()
    screenshot(page, "console-reports-1-week.png")
    charts.nth(3).scroll_into_view_if_needed()
    screenshot(page, "console-reports-2-reputation.png")

    form.locator("select[name=mailbox]").select_option("billing")
    with page.expect_response(lambda r: "mailbox=billing" in r.url) as billing:
        form.locator("button[type=submit]").click()
    assert billing.value.json()["totals"]["in"] == 2
    page.wait_for_function(
        "() => document.querySelector('#reports-dialog [data-figure=in] strong').textContent === '2'"
    )

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    with page.expect_response(lambda r: "mailbox=billing" in r.url):
        form.locator("button[type=submit]").click()  # drawn at this width
    page.wait_for_function("() => !document.querySelector('#reports-body').hasAttribute('aria-busy')")
    dialog.locator("svg.report-chart").first.scroll_into_view_if_needed()
    assert not scrolls_sideways(page)
    # The chart is wider than the phone and swipes; the newest day shows first.
    newest = dialog.locator("svg.report-chart").first.locator("text.tick").filter(has_text="11/29")
    assert newest.evaluate("t => t.getBoundingClientRect().right <= window.innerWidth"), (
        "the newest day is off screen"
    )
    assert dialog.evaluate("d => d.getBoundingClientRect().right <= window.innerWidth")
    screenshot(page, "console-reports-3-phone.png")

    # In German: the catalogue's words, German day labels and numbers.
    page.set_viewport_size({"width": 1280, "height": 1000})
    dialog.evaluate("d => d.close()")
    with page.expect_navigation():
        page.locator("#language").select_option("de")
    page.locator("#reports-open").click()
    # The default range's answer first: the page draws whichever answer comes last, and the
    # last 14 days' figures are not the week's.
    dialog.locator("svg.report-chart").first.wait_for()
    # The range reads as German dates (Chromium's <input type=date> showed 11/23/2026 here).
    assert re.fullmatch(r"\d\d\.\d\d\.20\d\d", form.locator("input[name=to]").input_value())
    german = {
        name: date.fromisoformat(iso).strftime("%d.%m.%Y")
        for name, iso in (("from", wk.FIRST_DAY), ("to", wk.LAST_DAY))
    }
    form.locator("input[name=from]").fill(german["from"])
    form.locator("input[name=to]").fill("31.02.2026")  # no such day: said before any request
    form.locator("button[type=submit]").click()
    said = form.locator("input[name=to]").evaluate("i => i.validationMessage")
    assert re.fullmatch(r"Bitte einen Tag wie \d\d\.\d\d\.20\d\d eingeben\.", said), said
    form.locator("input[name=to]").fill(german["to"])
    with page.expect_response(lambda r: "/api/reports?" in r.url and wk.FIRST_DAY in r.url):
        form.locator("button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('#reports-dialog [data-figure=in] strong')?.textContent === '6'"
    )
    assert dialog.locator("h2").inner_text() == "Berichte"
    assert _tile(page, "resolution") == "24 Std. / 4 T."
    volume = dialog.locator("svg.report-chart").nth(0)
    assert _texts(volume.locator("text.legend"))[0] == "Eingang"
    assert _texts(volume.locator("text.tick"))[-7:][0] == "23.11."
    assert "SES-Prüfung 5\u00a0%" in _texts(  # Intl puts a no-break space before %
        dialog.locator("svg.report-chart").nth(2).locator("text.limit-label")
    )
    screenshot(page, "console-reports-4-deutsch.png")
