"""The team report over the API and `inbound report --json` on the moto-backed stack: a week of
desk work through the app's own services on a clock the test moves (tests/support/report_week.py)
reads back the same from both, with the figures worked out by hand."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.sla import SlaTarget
from chalicelib.wiring import services
from inbound.cli import main
from inbound.local.embedded import moto_server
from tests.support import report_week as wk
from tests.support.deliver import deliver
from tests.support.mail_factory import make_mail, ses_id
from tests.support.staff_api import ANN, bob_token

RANGE = f"from={wk.FIRST_DAY}&to={wk.LAST_DAY}"


@pytest.fixture
def week(api):
    bob_token(api)  # bob has signed in: the desk knows him as an agent
    svc = services()
    return wk.work_the_week(wk.on_clock(svc.settings, svc.ingest, svc.desk, svc.outbound))


@pytest.fixture
def target(api):
    """`--endpoint-url` of a moto server in this process, which serves the same in-process
    backends as the stack the app reads (moto's state is global), and the app's stage."""
    with moto_server() as endpoint:
        yield ("--endpoint-url", endpoint, "--stage", "test")


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_api_and_the_cli_agree_on_a_seeded_week_and_the_figures_are_right(api, week, target, capsys):
    answer = api.get(f"/api/reports?{RANGE}")
    assert answer.status_code == 200, answer.json_body
    report = answer.json_body
    code, out, err = cli(capsys, "report", "--json", "--from", wk.FIRST_DAY, "--to", wk.LAST_DAY, *target)
    assert code == 0, err
    assert json.loads(out) == report

    assert [d["in"] for d in report["days"]] == wk.IN_PER_DAY
    assert [d["solved"] for d in report["days"]] == wk.SOLVED_PER_DAY
    assert [d["backlog"] for d in report["days"]] == wk.BACKLOG_PER_DAY
    assert report["totals"]["first_response"] == wk.FIRST_RESPONSE
    assert report["totals"]["resolution"] == wk.RESOLUTION
    agents = {
        a["agent"]: {k: a[k] for k in ("solved", "first_response", "resolution")} for a in report["per_agent"]
    }
    assert agents == wk.PER_AGENT
    boxes = {m["mailbox"]: (m["in"], m["solved"], m["reopened"], m["backlog"]) for m in report["per_mailbox"]}
    assert boxes == wk.PER_MAILBOX

    one = api.get(f"/api/reports?{RANGE}&mailbox=billing").json_body
    code, out, _ = cli(
        capsys,
        "report",
        "--json",
        "--from",
        wk.FIRST_DAY,
        "--to",
        wk.LAST_DAY,
        "--mailbox",
        "billing",
        *target,
    )
    assert json.loads(out) == one and one["totals"]["in"] == 2

    code, text, _ = cli(capsys, "report", "--from", wk.FIRST_DAY, "--to", wk.LAST_DAY, *target)
    assert code == 0
    assert "in 6, solved 4, reopened 1, backlog 3 unsolved at the end" in text
    assert "first response p50 / p90: 32 min / 24 h (5 first replies)" in text
    assert "resolution p50 / p90:     24 h / 4 d (4 solved)" in text
    assert f"{ANN:<25}       3" in text


def test_a_redelivered_mail_counts_once(api):
    raw, message_id = make_mail(subject="Once"), ses_id()
    first = deliver(api.stack, raw, message_id=message_id)
    again = deliver(api.stack, raw, message_id=message_id)  # SQS delivers at least once
    assert again.ticket == first.ticket
    totals = api.get("/api/reports").json_body["totals"]
    assert (totals["in"], totals["backlog"]) == (1, 1)


def test_a_bad_range_is_a_400_and_a_bad_cli_range_one_line(api, target, capsys):
    answer = api.get("/api/reports?from=2026-12-31&to=2026-01-01")
    assert answer.status_code == 400 and "from must not be after to" in answer.json_body["reason"]
    assert api.get("/api/reports?since=monday").status_code == 400
    assert api.get("/api/reports", token="").status_code == 401
    code, out, err = cli(capsys, "report", "--from", "monday", *target)
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1 and "YYYY-MM-DD" in err


def test_sla_attainment_is_counted_in_the_ticket_writes_on_dynamodb(api):
    """The same week with support/normal targets (1 h to the first reply, 36 h to solved) set
    through the SLA settings: 3 of 5 stopped clocks met them (tests/services/test_team_reports.py)."""
    bob_token(api)
    svc = services()
    svc.sla_settings.set_target(
        "support", "normal", SlaTarget(first_response_minutes=60, resolution_minutes=36 * 60)
    )
    wk.work_the_week(wk.on_clock(svc.settings, svc.ingest, svc.desk, svc.outbound))
    report = api.get(f"/api/reports?{RANGE}").json_body
    assert report["totals"]["sla"] == {"met": 3, "total": 5, "rate": 0.6}
    assert [m["sla"]["total"] for m in report["per_mailbox"]] == [5, 0]
