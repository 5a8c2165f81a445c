"""Checking an address against both lists, and the reputation report and guard, on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.suppression import SuppressionEntry
from chalicelib.domain.warmup import IpWarmup, WarmupPlan
from chalicelib.services.suppression import guard_state
from tests.support.outbound_services import mail_out

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def svc():
    built = mail_out()
    built.suppression.clock = lambda: NOW
    return built


def test_an_address_on_the_ses_account_list_only_is_suppressed_with_that_reason(svc):
    svc.sender.account_list["listed@customer.org"] = "BOUNCE"
    svc.table.suppression_list.put(
        SuppressionEntry("ours@customer.org", "COMPLAINT", "2026-12-01T00:00:00.000Z")
    )

    assert svc.suppression.check("Listed@Customer.org") == {
        "address": "listed@customer.org",
        "suppressed": True,
        "reason": "SES_ACCOUNT_BOUNCE",
    }
    assert svc.suppression.check("ours@customer.org")["reason"] == "COMPLAINT"
    assert svc.suppression.check("fine@customer.org") == {
        "address": "fine@customer.org",
        "suppressed": False,
        "reason": None,
    }


def test_the_report_lists_thirty_days_newest_first_and_pauses_at_the_bounce_rate(svc):
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    svc.table.counters.add(yesterday, {"sent": 300, "bounces": 12})  # 4 %: the pause rate
    svc.table.counters.add("2026-10-01", {"sent": 1000, "bounces": 900})  # outside the 30 days

    report = svc.suppression.reputation()

    assert [d["day"] for d in report["days"]][:2] == ["2026-12-07", yesterday]
    assert len(report["days"]) == 30 and report["days"][1]["bounces"] == 12
    assert report["guard"]["state"] == "paused" and report["guard"]["volume"] == 300


def test_below_the_minimum_volume_a_bad_day_does_not_pause(svc):
    svc.table.counters.add("2026-12-07", {"sent": 50, "bounces": 25})

    assert svc.suppression.reputation()["guard"]["state"] == "ok"


def test_the_guard_takes_the_stricter_of_our_counts_and_the_accounts_rates(svc):
    svc.table.counters.add("2026-12-07", {"sent": 1000, "bounces": 1})

    ours = guard_state(svc.table.counters, svc.settings, NOW)
    with_account = guard_state(svc.table.counters, svc.settings, NOW, (0.05, None))

    assert (ours.state, with_account.state) == ("ok", "paused")
    assert "the account's SES rates" in with_account.note


def test_the_reputation_report_shows_a_warming_pools_plan_for_today(svc):
    """GIVEN a standard pool of two IPs, one at 50% and one done, and 300 announcement mails
    sent today WHEN the report is read THEN it shows today's cap (the warming IP's step of the
    schedule plus a warm IP's 50,000), what is left, each IP and the schedule."""
    svc.table.counters.add(NOW.date().isoformat(), {"announce_sends": 300, "sends": 999})
    plan = WarmupPlan(
        "bulk", (IpWarmup("198.51.100.1", "IN_PROGRESS", 50), IpWarmup("198.51.100.2", "DONE", 100))
    )
    svc.suppression.warmup = lambda: plan

    shown = svc.suppression.reputation()["warmup"]

    assert (shown["pool"], shown["sent_today"]) == ("bulk", 300)
    assert shown["daily_cap"] == 1581 + 50_000 and shown["left_today"] == 1581 + 50_000 - 300
    assert [ip["daily_cap"] for ip in shown["ips"]] == [1581, None]
    assert shown["schedule"][0] == {"percentage": 0, "daily_cap_per_ip": 50}
    assert shown["schedule"][-1] == {"percentage": 100, "daily_cap_per_ip": 50_000}
    svc.suppression.warmup = None
    assert "warmup" not in svc.suppression.reputation()  # no pool on a warm-up plan
