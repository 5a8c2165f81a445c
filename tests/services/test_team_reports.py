"""The team report on fakes: a week of desk work (tests/support/report_week.py) read back as
volume, backlog, percentiles per mailbox and per agent; a redelivered mail counts once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.sla import SlaTarget
from chalicelib.errors import InvalidRequest
from chalicelib.services.notifications import decode
from chalicelib.services.team_reports import TeamReports
from tests.support import report_week as wk
from tests.support.mail_factory import make_mail, received_notification, ses_id
from tests.support.outbound_services import mail_out


def _week():
    svc = mail_out(acknowledge_new_tickets=False)
    week = wk.on_clock(svc.settings, svc.desk.ingest, svc.desk.desk, svc.outbound)
    ids = wk.work_the_week(week)
    reports = TeamReports(
        svc.settings, svc.desk.tickets, svc.table.counters, lambda: datetime(2026, 11, 29, 18, tzinfo=UTC)
    )
    return svc, week, ids, reports


def test_a_week_of_work_reads_back_as_volume_backlog_and_percentiles():
    _, _, _, reports = _week()
    report = reports.report(wk.FIRST_DAY, wk.LAST_DAY)
    days = report["days"]
    assert [d["day"] for d in days] == wk.DAYS
    assert [d["in"] for d in days] == wk.IN_PER_DAY
    assert [d["solved"] for d in days] == wk.SOLVED_PER_DAY
    assert [d["backlog"] for d in days] == wk.BACKLOG_PER_DAY
    totals = report["totals"]
    assert (totals["in"], totals["solved"], totals["reopened"], totals["backlog"]) == (6, 4, 1, 3)
    assert totals["first_response"] == wk.FIRST_RESPONSE
    assert totals["resolution"] == wk.RESOLUTION
    assert {
        a["agent"]: {k: a[k] for k in ("solved", "first_response", "resolution")} for a in report["per_agent"]
    } == wk.PER_AGENT
    boxes = {m["mailbox"]: (m["in"], m["solved"], m["reopened"], m["backlog"]) for m in report["per_mailbox"]}
    assert boxes == wk.PER_MAILBOX
    assert "50%" in report["buckets"]["note"]


def test_one_mailbox_and_a_shorter_range_keep_the_backlog_of_later_days_right():
    _, _, _, reports = _week()
    report = reports.report("2026-11-24", "2026-11-26", mailbox="billing")
    assert report["mailboxes"] == ["billing"]
    # billing: C filed and solved on D1, D filed D2, C reopened D3
    assert [d["backlog"] for d in report["days"]] == [0, 1, 2]
    assert report["totals"]["in"] == 2 and report["totals"]["solved"] == 1
    assert [a["agent"] for a in report["per_agent"]] == [wk.ANN, wk.BOB]


def test_a_redelivered_mail_and_a_repeated_solve_count_once():
    svc, week, ids, reports = _week()
    week.at(6, 9)
    raw = make_mail(subject="Once only", to="support@example.com")
    message_id = ses_id()
    for _ in range(2):  # SQS delivers at least once
        svc.desk.store.put_incoming(message_id, raw)
        note = received_notification(message_id, svc.settings.mail_bucket, ("support@example.com",))
        week.ingest.ingest(decode(note, svc.settings.mail_bucket))
    week.solve(ids["A"], wk.ANN)  # solved already: nothing changes
    sunday = reports.report(wk.LAST_DAY, wk.LAST_DAY)
    assert sunday["totals"]["in"] == 1 and sunday["totals"]["solved"] == 0
    assert sunday["days"][0]["backlog"] == 4


def test_the_reputation_rows_carry_the_rates_and_the_lines_to_draw():
    _, _, _, reports = _week()
    rep = reports.report(wk.FIRST_DAY, wk.LAST_DAY)["reputation"]
    assert [d["day"] for d in rep["days"]] == wk.DAYS
    assert (rep["ses_bounce_review"], rep["ses_complaint_review"]) == (0.05, 0.001)
    assert (rep["bounce_pause"], rep["complaint_pause"]) == (0.04, 0.0008)
    assert sum(d["volume"] for d in rep["days"]) == 5  # the five replies, one recipient each


@pytest.mark.parametrize(
    ("first", "last", "mailbox", "says"),
    [
        ("2026-11-30", None, None, "from must not be after to"),
        (None, "2026-12-01", None, "after today"),
        ("2026-01-01", "2026-11-29", None, "at most 92 days"),
        ("2025-11-01", "2025-11-30", None, "at most 366 days back"),
        ("monday", None, None, "YYYY-MM-DD"),
        (None, None, "sales", "unknown mailbox"),
    ],
)
def test_a_bad_range_or_mailbox_is_refused_with_what_to_give(first, last, mailbox, says):
    svc = mail_out(acknowledge_new_tickets=False)
    reports = TeamReports(
        svc.settings, svc.desk.tickets, svc.table.counters, lambda: datetime(2026, 11, 29, tzinfo=UTC)
    )
    with pytest.raises(InvalidRequest, match=says):
        reports.report(first, last, mailbox)


def test_sla_attainment_counts_each_stopped_clock_against_its_due_time():
    """GIVEN targets for support/normal (first reply within 1 h, solved within 36 h) WHEN the
    week is worked THEN A's reply (30 min) and solving (24 h) and F's reply (1 min) met them,
    B's reply (2 h) and solving (48 h) did not; billing has no target and counts nothing."""
    svc = mail_out(acknowledge_new_tickets=False)
    svc.desk.tickets.set_target(
        "support", "normal", SlaTarget(first_response_minutes=60, resolution_minutes=36 * 60)
    )
    wk.work_the_week(wk.on_clock(svc.settings, svc.desk.ingest, svc.desk.desk, svc.outbound))
    reports = TeamReports(
        svc.settings, svc.desk.tickets, svc.table.counters, lambda: datetime(2026, 11, 29, tzinfo=UTC)
    )
    report = reports.report(wk.FIRST_DAY, wk.LAST_DAY)
    assert report["totals"]["sla"] == {"met": 3, "total": 5, "rate": 0.6}
    assert [(d["sla"]["met"], d["sla"]["total"]) for d in report["days"]] == [
        (1, 2),
        (1, 1),
        (0, 1),
        (0, 0),
        (0, 0),
        (1, 1),
        (0, 0),
    ]
    boxes = {m["mailbox"]: m["sla"]["total"] for m in report["per_mailbox"]}
    assert boxes == {"support": 5, "billing": 0}
