"""Checking an address against both lists, and the reputation report and guard, on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.feedback import SuppressionEntry
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
