"""Due times: computed at filing, again on a priority or mailbox change, stopped by the
first staff reply and by solving, restarted by a reopening; breaches found once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters import dynamodb_sla_clock as sla_clock
from chalicelib.api.views import sla_json
from chalicelib.domain import sla
from chalicelib.domain.sla import Clock, SlaClock, SlaPolicy, SlaTarget
from chalicelib.domain.tickets import Priority, Ticket

FILED = "2026-12-07T09:00:00.000Z"
VIP = SlaTarget(first_response_minutes=60, resolution_minutes=8 * 60)


def test_a_ticket_filed_gets_both_due_times_in_wall_clock_minutes():
    clock = sla.start(VIP, FILED)
    assert clock.first_response_due == "2026-12-07T10:00:00.000Z"
    assert clock.resolution_due == "2026-12-07T17:00:00.000Z"
    assert clock.next_due == clock.watch_due == "2026-12-07T10:00:00.000Z"


def test_no_target_means_no_due_time_and_nothing_to_watch():
    clock = sla.start(SlaTarget(), FILED)
    assert (clock.first_response_due, clock.resolution_due, clock.next_due, clock.watch_due) == ("",) * 4
    assert clock.due_breaches("2099-01-01T00:00:00.000Z") == ()


def test_a_target_runs_over_midnight_and_month_ends():
    clock = sla.start(SlaTarget(resolution_minutes=3 * 24 * 60), "2026-12-30T23:30:00.000Z")
    assert clock.resolution_due == "2027-01-02T23:30:00.000Z"


def test_the_policy_answers_per_mailbox_and_priority_and_forgets_a_cleared_target():
    policy = SlaPolicy().with_target("support", Priority.URGENT, VIP)
    assert policy.target("support", Priority.URGENT) == VIP
    assert policy.target("support", Priority.NORMAL) == SlaTarget()
    assert policy.target("billing", Priority.URGENT) == SlaTarget()
    assert policy.with_target("support", Priority.URGENT, SlaTarget()).targets == {}


def test_a_negative_or_huge_target_is_refused():
    with pytest.raises(ValueError, match="0 to"):
        SlaTarget(first_response_minutes=-1)
    with pytest.raises(ValueError, match="0 to"):
        SlaTarget(resolution_minutes=sla.MAX_TARGET_MINUTES + 1)


def test_the_first_staff_reply_stops_the_first_response_clock_once():
    clock = sla.answered(sla.start(VIP, FILED), "2026-12-07T09:20:00.000Z")
    assert clock.first_response_at == "2026-12-07T09:20:00.000Z"
    assert sla.answered(clock, "2026-12-07T11:00:00.000Z").first_response_at == "2026-12-07T09:20:00.000Z"
    assert clock.next_due == clock.watch_due == "2026-12-07T17:00:00.000Z"  # the resolution's now


def test_solving_stops_the_resolution_clock_and_nothing_is_due_then():
    clock = sla.resolved(
        sla.answered(sla.start(VIP, FILED), "2026-12-07T09:20:00.000Z"), "2026-12-07T12:00:00.000Z"
    )
    assert clock.resolved_at == "2026-12-07T12:00:00.000Z"
    assert (clock.next_due, clock.watch_due) == ("", "")
    assert clock.due_breaches("2026-12-08T00:00:00.000Z") == ()


def test_a_reopening_starts_a_new_resolution_clock_from_then_and_clears_its_breach():
    done = SlaClock(
        started_at=FILED,
        first_response_due="2026-12-07T10:00:00.000Z",
        first_response_at="2026-12-07T09:20:00.000Z",
        resolution_due="2026-12-07T17:00:00.000Z",
        resolved_at="2026-12-07T18:00:00.000Z",
        resolution_breached=True,
    )
    clock = sla.reopened(done, VIP, "2026-12-09T08:00:00.000Z")
    assert clock.started_at == "2026-12-09T08:00:00.000Z"
    assert clock.resolution_due == "2026-12-09T16:00:00.000Z"
    assert (clock.resolved_at, clock.resolution_breached) == ("", False)
    assert clock.first_response_at == "2026-12-07T09:20:00.000Z"  # never restarts
    assert sla.reopened(clock, VIP, "2026-12-10T00:00:00.000Z") == clock  # not solved: unchanged


def test_a_priority_change_recomputes_running_clocks_from_their_start_and_keeps_stopped_ones():
    slow = SlaTarget(first_response_minutes=24 * 60, resolution_minutes=72 * 60)
    answered = sla.answered(sla.start(slow, FILED), "2026-12-07T09:30:00.000Z")
    clock = sla.retarget(answered, VIP, FILED)
    assert clock.first_response_due == "2026-12-08T09:00:00.000Z"  # stopped: kept
    assert clock.resolution_due == "2026-12-07T17:00:00.000Z"  # running: the new target
    assert sla.retarget(sla.start(slow, FILED), VIP, FILED).first_response_due == "2026-12-07T10:00:00.000Z"


def test_breaches_are_found_when_due_and_flagged_so_they_are_not_found_again():
    clock = sla.start(VIP, FILED)
    assert clock.due_breaches("2026-12-07T09:59:59.999Z") == ()
    assert clock.due_breaches("2026-12-07T10:00:00.000Z") == (Clock.FIRST_RESPONSE,)
    flagged = clock.flag((Clock.FIRST_RESPONSE,))
    assert flagged.due_breaches("2026-12-07T16:00:00.000Z") == ()
    assert flagged.watch_due == "2026-12-07T17:00:00.000Z"
    assert flagged.next_due == "2026-12-07T10:00:00.000Z"  # still the one to answer first
    both = flagged.due_breaches("2026-12-07T17:00:00.000Z")
    assert both == (Clock.RESOLUTION,)
    done = flagged.flag(both)
    assert done.watch_due == "" and done.first_response_breached and done.resolution_breached


def test_a_status_change_to_solved_and_back_stops_and_restarts():
    clock = sla.start(VIP, FILED)
    done = sla.after_status(clock, VIP, was_done=False, is_done=True, at="2026-12-07T12:00:00.000Z")
    assert done.resolved_at == "2026-12-07T12:00:00.000Z"
    again = sla.after_status(done, VIP, was_done=True, is_done=False, at="2026-12-07T13:00:00.000Z")
    assert (again.resolved_at, again.resolution_due) == ("", "2026-12-07T21:00:00.000Z")
    assert sla.after_status(clock, VIP, was_done=False, is_done=False, at="x") == clock


def test_the_clock_round_trips_through_the_ticket_item_with_its_index_keys():
    ticket = Ticket(
        id="T-1001",
        mailbox="support",
        subject="s",
        requester="a@b.org",
        created_at=FILED,
        sla=sla.start(VIP, FILED).flag((Clock.FIRST_RESPONSE,)),
    )
    raw = items.ticket_item(ticket)
    assert items.ticket_from_item(raw).sla == ticket.sla
    assert raw["duesk"]["S"] == f"2026-12-07T10:00:00.000Z#{FILED}#T-1001"
    assert (raw["watchpk"]["S"], raw["watchsk"]["S"]) == ("SLA#support", "2026-12-07T17:00:00.000Z#T-1001")


def test_a_ticket_without_a_clock_sorts_last_and_is_not_watched():
    raw = items.ticket_item(
        Ticket(id="T-1002", mailbox="support", subject="s", requester="a@b.org", created_at=FILED)
    )
    assert raw["duesk"]["S"].startswith(sla_clock.NO_DUE) and "watchpk" not in raw
    assert items.ticket_from_item(raw).sla == SlaClock()


def test_a_clock_past_its_due_time_reads_as_missed_before_any_sweep_flags_it():
    clock = sla.start(VIP, FILED)
    assert clock.missed("2026-12-07T09:59:59.999Z") == (False, False)
    assert clock.missed("2026-12-07T10:00:00.000Z") == (True, False)
    late = sla.answered(clock, "2026-12-07T10:20:00.000Z")
    assert late.missed("2026-12-07T10:30:00.000Z") == (True, False), "answered, but late"
    on_time = sla.resolved(sla.answered(clock, "2026-12-07T09:20:00.000Z"), "2026-12-07T12:00:00.000Z")
    assert on_time.missed("2099-01-01T00:00:00.000Z") == (False, False)
    assert clock.flag((Clock.RESOLUTION,)).missed(FILED) == (False, True), "the sweep's flag counts"
    assert sla.start(SlaTarget(), FILED).missed("2099-01-01T00:00:00.000Z") == (False, False)


def test_the_api_says_breached_as_soon_as_a_due_time_has_passed_not_at_the_next_sweep():
    ticket = Ticket(id="T-1001", mailbox="support", subject="s", requester="a@b.org", created_at=FILED)
    ticket = replace(ticket, sla=sla.start(VIP, FILED))
    assert sla_json(ticket, now="2026-12-07T09:30:00.000Z")["breached"] is False
    shown = sla_json(ticket, now="2026-12-07T10:05:00.000Z")
    assert (shown["breached"], shown["first_response_breached"], shown["resolution_breached"]) == (
        True,
        True,
        False,
    )
