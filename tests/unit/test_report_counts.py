"""What ticket changes add to the report's daily counters, and percentiles read from the
fixed-bucket histograms (domain/report_counts.py, domain/reports.py)."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest

from chalicelib.domain import report_counts as rc
from chalicelib.domain import reports
from chalicelib.domain.tickets import Ticket, TicketStatus

T0 = "2026-11-23T09:00:00.000Z"


def _ticket(**changes) -> Ticket:
    base = {"id": "T-1001", "mailbox": "support", "subject": "s", "requester": "a@b.c", "created_at": T0}
    return Ticket(**{**base, **changes})


def test_every_bucket_edge_is_at_most_one_and_a_half_times_the_one_below_it():
    edges = rc.BUCKET_EDGES
    assert edges[0] == 60 and edges[-1] == 27 * 86400
    assert all(1 < b / a <= 1.5 for a, b in itertools.pairwise(edges[1:]))
    assert [rc.bucket(s) for s in (0, 60, 61, 120, 27 * 86400, 27 * 86400 + 1)] == [
        0,
        0,
        1,
        1,
        rc.OVERFLOW - 1,
        rc.OVERFLOW,
    ]


def test_a_percentile_is_never_below_the_true_figure_and_at_most_half_above_it():
    rng = random.Random(7)
    for _ in range(200):
        durations = [rng.uniform(120, 20 * 86400) for _ in range(rng.randint(1, 60))]
        shape = [0] * (rc.OVERFLOW + 1)
        for d in durations:
            shape[rc.bucket(d)] += 1
        for share in (0.5, 0.9):
            true = sorted(durations)[max(1, -(-int(share * 1000) * len(durations) // 1000)) - 1]
            shown = reports.percentile(shape, share)
            assert shown is not None and true <= shown <= 1.5 * true


def test_no_data_has_no_percentile_and_beyond_the_last_edge_says_so():
    assert reports.percentile([0] * (rc.OVERFLOW + 1), 0.5) is None
    shape = [0] * (rc.OVERFLOW + 1)
    shape[rc.OVERFLOW] = 3
    assert reports.percentile(shape, 0.9) == -1


def test_solving_counts_for_the_mailbox_and_the_assignee_with_its_resolution_bucket():
    before = _ticket(status=TicketStatus.PENDING, assignee="ann")
    after = _ticket(status=TicketStatus.SOLVED, assignee="ann", updated_at="2026-11-24T09:00:00.000Z")
    found = {(t.mailbox, t.day, t.agent): t.counts for t in rc.status_changed(before, after)}
    edge = rc.bucket(86400)
    assert found == {
        ("support", "2026-11-24", ""): {"net": -1, "solved": 1, f"rs{edge}": 1},
        ("support", "2026-11-24", "ann"): {"solved": 1, f"rs{edge}": 1},
    }


@pytest.mark.parametrize(
    ("old", "new", "counts"),
    [
        (TicketStatus.NEW, TicketStatus.OPEN, None),
        (TicketStatus.SOLVED, TicketStatus.CLOSED, None),
        (TicketStatus.CLOSED, TicketStatus.OPEN, {"net": 1, "reopened": 1}),
    ],
)
def test_moves_within_unsolved_or_within_solved_count_nothing_and_reopening_counts(old, new, counts):
    found = rc.status_changed(_ticket(status=old), _ticket(status=new, updated_at=T0))
    assert (found[0].counts if found else None) == counts


def test_moving_an_unsolved_ticket_to_another_mailbox_moves_it_in_the_backlog():
    found = rc.status_changed(_ticket(), _ticket(mailbox="billing", updated_at=T0))
    assert {(t.mailbox, t.counts["net"]) for t in found} == {("support", -1), ("billing", 1)}


def test_the_backlog_of_past_days_is_todays_count_less_the_later_days_net():
    rows = [
        reports.DayCounters("support", "2026-11-23", "", {"net": 2}),
        reports.DayCounters("support", "2026-11-24", "", {"net": -1}),
        reports.DayCounters("support", "2026-11-24", "ann", {"net": 5}),  # agents' rows hold no net
        reports.DayCounters("support", "2026-11-26", "", {"net": 3}),
    ]
    days = reports.days_between("2026-11-23", "2026-11-25")
    assert reports.backlog_by_day(days, rows, open_now=4) == {
        "2026-11-23": 2,
        "2026-11-24": 1,
        "2026-11-25": 1,
    }


def test_a_stopped_sla_clock_counts_met_by_its_due_time_and_no_target_counts_nothing():
    from chalicelib.domain.sla import SlaClock

    clock = SlaClock(first_response_due="2026-11-23T10:00:00.000Z", resolution_due="2026-11-24T09:00:00.000Z")
    ticket = _ticket(sla=clock)
    on_time = rc.first_response(ticket, "ann", "2026-11-23T10:00:00.000Z")[0].counts
    late = rc.first_response(ticket, "ann", "2026-11-23T10:00:00.001Z")[0].counts
    assert (on_time["sla_met"], on_time["sla_total"], late["sla_met"], late["sla_total"]) == (1, 1, 0, 1)
    assert "sla_total" not in rc.first_response(_ticket(), "ann", T0)[0].counts
    assert "sla_total" not in rc.first_response(ticket, "ann", T0)[1].counts  # the agent's row: no SLA
    solved = rc.status_changed(
        replace(ticket, status=TicketStatus.OPEN),
        replace(ticket, status=TicketStatus.SOLVED, updated_at="2026-11-25T09:00:00.000Z"),
    )
    assert (solved[0].counts.get("sla_met", 0), solved[0].counts["sla_total"]) == (
        0,
        1,
    )  # zeros are not written
