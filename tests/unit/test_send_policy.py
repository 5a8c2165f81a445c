"""The outbound guard's decision order, and the reputation rates behind rule 4."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from chalicelib.domain import reputation
from chalicelib.domain.mail import Address, ParsedMail
from chalicelib.domain.reputation import DayCounts, Thresholds
from chalicelib.domain.send_policy import SendFacts, decide, is_own_address, trigger_reason
from chalicelib.settings import Settings

ACK = SendFacts(recipient="alice@customer.org", automatic=True)
STAFF = SendFacts(recipient="alice@customer.org", automatic=False)


@pytest.mark.parametrize(
    "facts, reason",
    [
        (replace(ACK, suppression_reason="BOUNCE"), "suppressed"),
        (replace(STAFF, suppression_reason="COMPLAINT"), "suppressed"),
        (replace(ACK, account_suppressed=True), "account_suppressed"),
        (replace(STAFF, account_suppressed=True), "account_suppressed"),
        (replace(STAFF, sandbox=True, recipient_verified=False), "sandbox"),
        (replace(ACK, reputation_state="paused", reputation_note="bounces 5%"), "reputation"),
        (replace(ACK, recipient="noreply@shop.example"), "automatic_recipient"),
        (replace(ACK, recipient="MAILER-DAEMON@mx.example"), "automatic_recipient"),
        (replace(ACK, recipient="postmaster@customer.org"), "automatic_recipient"),
        (replace(ACK, recipient=""), "automatic_recipient"),
        (replace(ACK, own_address=True), "automatic_recipient"),
        (replace(ACK, trigger_automatic="Auto-Submitted: auto-replied"), "automatic_trigger"),
        (replace(ACK, unauthenticated_refused="DMARC failed for customer.org"), "unauthenticated"),
        (replace(ACK, ticket_acknowledged=True), "rate_limited"),
        (replace(ACK, sent_to_recipient_today=3, daily_limit=3), "rate_limited"),
    ],
)
def test_each_rule_refuses_with_its_own_reason(facts, reason):
    decision = decide(facts)
    assert not decision.allowed and decision.reason == reason and decision.detail


def test_the_first_rule_that_applies_is_the_one_staff_see():
    everything = replace(
        ACK,
        recipient="noreply@shop.example",
        suppression_reason="BOUNCE",
        account_suppressed=True,
        sandbox=True,
        recipient_verified=False,
        reputation_state="paused",
        trigger_automatic="Precedence: bulk",
        unauthenticated_refused="DMARC failed for shop.example",
        sent_to_recipient_today=9,
    )
    order = []
    facts = everything
    for clear in (
        {"suppression_reason": ""},
        {"account_suppressed": False},
        {"recipient_verified": True},
        {"reputation_state": "ok"},
        {"recipient": "alice@customer.org"},
        {"trigger_automatic": ""},
        {"unauthenticated_refused": ""},
        {"sent_to_recipient_today": 0},
    ):
        order.append(decide(facts).reason)
        facts = replace(facts, **clear)
    assert order == [
        "suppressed",
        "account_suppressed",
        "sandbox",
        "reputation",
        "automatic_recipient",
        "automatic_trigger",
        "unauthenticated",
        "rate_limited",
    ]
    assert decide(facts).allowed


def test_staff_replies_go_out_while_automatic_mail_is_paused_with_a_visible_warning():
    paused = replace(STAFF, reputation_state="paused", reputation_note="bounces 4.50% over 400 sends")
    decision = decide(paused)
    assert decision.allowed and "paused" in decision.warning and "4.50%" in decision.warning
    warned = decide(replace(STAFF, reputation_state="warning", reputation_note="bounces 3%"))
    assert warned.allowed and "warning" in warned.warning
    assert decide(replace(ACK, reputation_state="warning")).allowed


def test_staff_replies_skip_the_loop_rules_that_only_protect_against_robots():
    assert decide(
        replace(STAFF, recipient="noreply@shop.example", trigger_automatic="x", sent_to_recipient_today=99)
    ).allowed


def test_sandbox_refuses_only_when_known_and_the_recipient_is_unverified():
    assert decide(replace(STAFF, sandbox=None, recipient_verified=False)).allowed  # auto mode, no GetAccount
    assert decide(replace(STAFF, sandbox=True, recipient_verified=True)).allowed
    assert decide(replace(STAFF, sandbox=False, recipient_verified=False)).allowed
    simulator = replace(
        STAFF, recipient="success@simulator.amazonses.com", sandbox=True, recipient_verified=False
    )
    assert decide(simulator).allowed


def _mail(*headers: tuple[str, str]) -> ParsedMail:
    return ParsedMail(from_=(Address("alice@customer.org"),), headers=headers, subject="Printer")


def test_the_triggering_mail_is_automatic_when_rfc_3834_or_microsoft_headers_say_so():
    assert trigger_reason(_mail()) == ""
    assert "Auto-Submitted" in trigger_reason(_mail(("auto-submitted", "auto-replied")))
    assert "Precedence" in trigger_reason(_mail(("precedence", "bulk")))
    assert "X-Auto-Response-Suppress" in trigger_reason(_mail(("x-auto-response-suppress", "OOF, AutoReply")))
    assert trigger_reason(_mail(("x-auto-response-suppress", "DR, RN"))) == ""


def test_own_addresses_include_plus_tags_and_subdomains():
    boxes = {"support@example.com": "support"}
    assert is_own_address("Support+T-1.abc@example.com", "example.com", boxes)
    assert is_own_address("bounce@mail.example.com", "example.com", boxes)
    assert not is_own_address("alice@example.org", "example.com", boxes)


# -- reputation ------------------------------------------------------------------------
LIMITS = Thresholds()


def _day(n: int, volume: int, bounces: int = 0, complaints: int = 0, sent: int = 0) -> DayCounts:
    day = (date(2026, 11, 27) - timedelta(days=n)).isoformat()
    return DayCounts(day, {"sends": volume, "sent": sent, "bounces": bounces, "complaints": complaints})


def test_below_a_representative_volume_the_guard_stays_open_and_says_why():
    state = reputation.assess([_day(0, 50, bounces=10)], LIMITS)
    assert state.state == "ok" and "below the 200" in state.note and state.bounce_rate == 0.2


@pytest.mark.parametrize(
    "bounces, complaints, expected",
    [(0, 0, "ok"), (4, 0, "ok"), (5, 0, "warning"), (7, 0, "warning"), (8, 0, "paused"), (0, 1, "paused")],
)
def test_warning_at_half_the_ses_review_rates_and_pause_just_below_them(bounces, complaints, expected):
    # 200 sends: 5 bounces = 2.5 % (warn), 8 = 4 % (pause); 1 complaint = 0.5 % (pause at 0.08 %)
    assert reputation.assess([_day(0, 200, bounces, complaints)], LIMITS).state == expected


def test_complaint_warning_sits_between_its_thresholds():
    assert reputation.assess([_day(0, 10_000, complaints=6)], LIMITS).state == "warning"  # 0.06 %
    assert reputation.assess([_day(0, 10_000, complaints=8)], LIMITS).state == "paused"  # 0.08 %


def test_a_clean_representative_day_reopens_the_guard_after_a_bad_one():
    bad = _day(1, 250, bounces=20)
    assert reputation.assess([bad], LIMITS).state == "paused"
    state = reputation.assess([bad, _day(0, 300)], LIMITS)
    assert state.state == "ok" and state.window_days == 1 and state.volume == 300


def test_quiet_days_add_up_until_the_volume_is_representative():
    days = [_day(n, 20, bounces=1) for n in range(15)]  # 5 % every day, 20 sends a day
    state = reputation.assess(days, LIMITS)
    assert state.state == "paused" and state.window_days == 10 and state.volume == 200


def test_volume_is_the_larger_of_ses_send_events_and_our_own_count_never_their_sum():
    assert _day(0, volume=120, sent=150).volume == 150
    assert _day(0, volume=150, sent=0).volume == 150
    row = _day(0, volume=200, bounces=5).as_dict()
    assert row["bounce_rate"] == 0.025 and row["volume"] == 200


def test_the_acknowledgement_settings_read_from_the_stage_environment():
    default = Settings.from_env({})
    assert default.auto_replies_per_domain_per_day == 20
    assert default.acknowledges_unauthenticated("support") and default.acknowledges_unauthenticated("billing")
    quiet = Settings.from_env(
        {"INBOUND_ACK_AUTHENTICATED_ONLY": " billing ,", "INBOUND_AUTO_REPLIES_PER_DOMAIN_PER_DAY": "5"}
    )
    assert quiet.auto_replies_per_domain_per_day == 5
    assert quiet.acknowledges_unauthenticated("support") and not quiet.acknowledges_unauthenticated("billing")
    assert not Settings.from_env({"INBOUND_ACK_AUTHENTICATED_ONLY": "*"}).acknowledges_unauthenticated(
        "support"
    )
