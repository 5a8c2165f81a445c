"""Bounce and complaint rates from daily counters, and the guard state they imply.

Standard library only. SES reviews an account at a 5 % bounce rate or a 0.1 %
complaint rate, measured over a "representative volume" of mail. The guard warns
at half of those thresholds and pauses automatic mail (acknowledgements) just
below them, so that the account never reaches review on account of mail nobody
asked for; staff replies still go out, with the warning shown.

The rates are judged over the most recent days that together hold at least
`min_volume` sends (at most `window_days` days back). Below that volume the rates
are not representative: the state is "ok" and the note says so. Counting days
back until the volume is reached means a busy account recovers as soon as a day
of clean traffic outweighs a bad one, while a quiet desk is judged over a month.

A day's volume is the larger of the sends SES reported (Send events) and the
recipients we handed to SES ourselves, so it is right whether or not the
configuration set publishes Send events, and never counted twice.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from chalicelib.domain.frozen import frozen

SES_BOUNCE_REVIEW_RATE = 0.05
SES_COMPLAINT_REVIEW_RATE = 0.001
COUNTERS = (
    "sends",  # Send events from SES, one per recipient
    "sent",  # recipients we handed to SES ourselves
    "deliveries",
    "rejects",
    "bounces",  # permanent bounces: the rate SES reviews
    "complaints",
    "soft_bounces",  # transient bounces and delays that count toward suppression
    "ignored_bounces",  # transient bounces that say nothing about the address
    "account_suppressed",  # SES refused: the address is on the account-level list
)


@frozen
class Thresholds:
    bounce_warn: float = 0.025
    complaint_warn: float = 0.0005
    bounce_pause: float = 0.04
    complaint_pause: float = 0.0008
    min_volume: int = 200
    window_days: int = 30


@frozen
class DayCounts:
    day: str  # YYYY-MM-DD (UTC)
    counts: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return int(self.counts.get(name, 0))

    @property
    def volume(self) -> int:
        return max(self["sends"], self["sent"])

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day,
            "volume": self.volume,
            **{name: self[name] for name in COUNTERS},
            "bounce_rate": rate(self["bounces"], self.volume),
            "complaint_rate": rate(self["complaints"], self.volume),
        }


class ReputationState(StrEnum):
    """The reputation guard, from least to most strict."""

    OK = "ok"
    WARNING = "warning"  # staff see a warning; automatic mail still goes
    PAUSED = "paused"  # automatic mail is refused; staff replies go, with a warning


@frozen
class GuardState:
    state: ReputationState
    bounce_rate: float
    complaint_rate: float
    volume: int
    window_days: int
    note: str

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "bounce_rate": self.bounce_rate,
            "complaint_rate": self.complaint_rate,
            "volume": self.volume,
            "window_days": self.window_days,
            "note": self.note,
        }


def rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def days_back(today: date, count: int) -> list[str]:
    """`count` days ending today, newest first, as YYYY-MM-DD."""
    return [(today - timedelta(days=n)).isoformat() for n in range(count)]


def assess(days: list[DayCounts], limits: Thresholds) -> GuardState:
    """The guard state from daily counts (any order; missing days count as empty)."""
    volume = bounces = complaints = used = 0
    for day in sorted(days, key=lambda d: d.day, reverse=True)[: limits.window_days]:
        volume += day.volume
        bounces += day["bounces"]
        complaints += day["complaints"]
        used += 1
        if volume >= limits.min_volume:
            break
    bounce_rate, complaint_rate = rate(bounces, volume), rate(complaints, volume)
    figures = f"bounces {bounce_rate:.2%}, complaints {complaint_rate:.3%} over {volume} sends"
    if volume < limits.min_volume:
        note = f"{figures}: below the {limits.min_volume} sends a representative rate needs"
        return GuardState(ReputationState.OK, bounce_rate, complaint_rate, volume, used, note)
    if bounce_rate >= limits.bounce_pause or complaint_rate >= limits.complaint_pause:
        note = f"{figures} (pause at {limits.bounce_pause:.2%} / {limits.complaint_pause:.3%})"
        return GuardState(ReputationState.PAUSED, bounce_rate, complaint_rate, volume, used, note)
    if bounce_rate >= limits.bounce_warn or complaint_rate >= limits.complaint_warn:
        note = f"{figures} (warn at {limits.bounce_warn:.2%} / {limits.complaint_warn:.3%})"
        return GuardState(ReputationState.WARNING, bounce_rate, complaint_rate, volume, used, note)
    return GuardState(ReputationState.OK, bounce_rate, complaint_rate, volume, used, figures)


def with_account(
    stage: GuardState, bounce: float | None, complaint: float | None, limits: Thresholds
) -> GuardState:
    """The stricter of the stage's own state and the account's rates as SES publishes them
    (CloudWatch Reputation.*; None: unknown). SES's figures are already over its own
    representative volume, so no minimum applies to them."""
    rates = f"the account's SES rates: bounces {bounce or 0:.2%}, complaints {complaint or 0:.3%}"
    if (bounce or 0) >= limits.bounce_pause or (complaint or 0) >= limits.complaint_pause:
        state = ReputationState.PAUSED
    elif (bounce or 0) >= limits.bounce_warn or (complaint or 0) >= limits.complaint_warn:
        state = ReputationState.WARNING
    else:
        return stage
    order = tuple(ReputationState)
    if order.index(stage.state) >= order.index(state):
        return stage
    return GuardState(state, stage.bounce_rate, stage.complaint_rate, stage.volume, stage.window_days, rates)
