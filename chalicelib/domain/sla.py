"""Service-level targets and the two clocks each ticket carries.

Targets are set per mailbox and priority: minutes to the first staff reply and minutes to
solved. They count wall-clock time (nights and weekends included; no business hours), which
is what the due times stored on a ticket mean. A clock stops once (the first staff reply;
solving) and its due time stays on the ticket, so a report can tell met from missed.

A customer reply that reopens a solved ticket starts a new resolution clock from that moment:
`resolved_at` and `resolution_breached` then describe the new clock (the earlier breach was
published as its own event). The first-response clock never restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.domain.frozen import frozen
from chalicelib.domain.timestamps import iso_millis

MAX_TARGET_MINUTES = 365 * 24 * 60


class Clock(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@frozen
class SlaTarget:
    """Minutes allowed; 0: no target (that clock does not run)."""

    first_response_minutes: int = 0
    resolution_minutes: int = 0

    def __post_init__(self) -> None:
        for minutes in (self.first_response_minutes, self.resolution_minutes):
            if not 0 <= minutes <= MAX_TARGET_MINUTES:
                raise ValueError(f"a target must be 0 to {MAX_TARGET_MINUTES} minutes, got {minutes}")


@frozen
class SlaPolicy:
    """The targets an admin set, by (mailbox, priority); a pair not set has no target."""

    targets: Mapping[tuple[str, str], SlaTarget] = field(default_factory=dict)

    def target(self, mailbox: str, priority: str) -> SlaTarget:
        return self.targets.get((mailbox, str(priority)), SlaTarget())

    def with_target(self, mailbox: str, priority: str, target: SlaTarget) -> SlaPolicy:
        changed = dict(self.targets)
        if target == SlaTarget():
            changed.pop((mailbox, str(priority)), None)
        else:
            changed[mailbox, str(priority)] = target
        return SlaPolicy(changed)


@frozen
class SlaClock:
    """A ticket's SLA state: ISO 8601 UTC times ("" when not set) and breach flags.

    `started_at` is when the resolution clock last started (the filing, or the reopening);
    `first_response_due`/`resolution_due` are "" when the mailbox has no target for the
    ticket's priority.
    """

    started_at: str = ""
    first_response_due: str = ""
    first_response_at: str = ""
    first_response_breached: bool = False
    resolution_due: str = ""
    resolved_at: str = ""
    resolution_breached: bool = False

    @property
    def awaiting_first_response(self) -> bool:
        """Due and not given; a ticket solved without a reply needs none."""
        return bool(self.first_response_due) and not self.first_response_at and not self.resolved_at

    @property
    def unresolved(self) -> bool:
        return bool(self.resolution_due) and not self.resolved_at

    @property
    def next_due(self) -> str:
        """The due time the team works against now: the first response's until it is given,
        then the resolution's until solved; "" when no clock runs."""
        if self.awaiting_first_response:
            return self.first_response_due
        return self.resolution_due if self.unresolved else ""

    @property
    def watch_due(self) -> str:
        """The earliest running due time not yet breached: when the next breach can happen."""
        running = []
        if self.awaiting_first_response and not self.first_response_breached:
            running.append(self.first_response_due)
        if self.unresolved and not self.resolution_breached:
            running.append(self.resolution_due)
        return min(running, default="")

    def missed(self, now: str) -> tuple[bool, bool]:
        """Whether the first-response and the resolution clock ran past their due times by
        `now`: still running at or after it (as the sweep judges), or stopped after it. The
        sweep flags a breach only when it next runs (every 15 minutes); what staff see is
        read from the times, so it shows at once, and a late stop before a sweep counts."""

        def late(due: str, stopped: str) -> bool:
            return bool(due) and (stopped > due if stopped else now >= due)

        return (
            self.first_response_breached
            or late(self.first_response_due, self.first_response_at or self.resolved_at),
            self.resolution_breached or late(self.resolution_due, self.resolved_at),
        )

    def due_breaches(self, now: str) -> tuple[Clock, ...]:
        """The clocks that ran past their due time by `now` and are not flagged yet."""
        found = []
        if (
            self.awaiting_first_response
            and not self.first_response_breached
            and self.first_response_due <= now
        ):
            found.append(Clock.FIRST_RESPONSE)
        if self.unresolved and not self.resolution_breached and self.resolution_due <= now:
            found.append(Clock.RESOLUTION)
        return tuple(found)

    def flag(self, clocks: tuple[Clock, ...]) -> SlaClock:
        return replace(
            self,
            first_response_breached=self.first_response_breached or Clock.FIRST_RESPONSE in clocks,
            resolution_breached=self.resolution_breached or Clock.RESOLUTION in clocks,
        )


def _plus(start: str, minutes: int) -> str:
    if not start or not minutes:
        return ""
    return iso_millis(datetime.fromisoformat(start) + timedelta(minutes=minutes))


def start(target: SlaTarget, created_at: str) -> SlaClock:
    """Both clocks of a ticket filed at `created_at`."""
    return SlaClock(
        started_at=created_at,
        first_response_due=_plus(created_at, target.first_response_minutes),
        resolution_due=_plus(created_at, target.resolution_minutes),
    )


def retarget(clock: SlaClock, target: SlaTarget, created_at: str) -> SlaClock:
    """Due times again after a priority or mailbox change (a stopped clock keeps its due:
    it was met or missed against it). Breach flags stay: their events were published."""
    began = clock.started_at or created_at
    first = clock.first_response_due
    if not clock.first_response_at:
        first = _plus(created_at, target.first_response_minutes)
    resolution = clock.resolution_due
    if not clock.resolved_at:
        resolution = _plus(began, target.resolution_minutes)
    return replace(clock, started_at=began, first_response_due=first, resolution_due=resolution)


def answered(clock: SlaClock, at: str) -> SlaClock:
    """A staff reply at `at`: the first one stops the first-response clock."""
    return clock if clock.first_response_at else replace(clock, first_response_at=at)


def resolved(clock: SlaClock, at: str) -> SlaClock:
    """Solved (or closed) at `at`: the resolution clock stops, once."""
    return clock if clock.resolved_at else replace(clock, resolved_at=at)


def reopened(clock: SlaClock, target: SlaTarget, at: str) -> SlaClock:
    """Back to work at `at` after being solved: a new resolution clock from now."""
    if not clock.resolved_at:
        return clock
    return replace(
        clock,
        started_at=at,
        resolution_due=_plus(at, target.resolution_minutes),
        resolved_at="",
        resolution_breached=False,
    )


def after_status(clock: SlaClock, target: SlaTarget, was_done: bool, is_done: bool, at: str) -> SlaClock:
    """The clock after a status change (done: solved or closed)."""
    if is_done and not was_done:
        return resolved(clock, at)
    if was_done and not is_done:
        return reopened(clock, target, at)
    return clock
