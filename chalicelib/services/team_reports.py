"""The team report (`GET /api/reports`, `inbound report`): tickets in and solved per day,
backlog, first-response and resolution percentiles per mailbox and per agent, SLA
attainment, and the sending reputation per day against SES's review rates and the guard's
pause line. One Query per mailbox over the report counters and one over the reputation
counters: no scan, whatever the number of tickets.

Every signed-in agent may read it: the figures are the team's, as in most helpdesks, and
an agent's own figures are among them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain import reports
from chalicelib.domain.reputation import SES_BOUNCE_REVIEW_RATE, SES_COMPLAINT_REVIEW_RATE, DayCounts
from chalicelib.errors import InvalidRequest
from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.services.ports.outbound import ReputationCounters
    from chalicelib.services.ports.tickets import ReportCounters

DEFAULT_DAYS = 14
REPUTATION_NOTE = (
    "Daily rates; the guard judges the most recent days that hold enough sends together, "
    "so a single day above the pause line need not pause automatic mail."
)


class TeamReports:
    def __init__(
        self,
        settings: Settings,
        counters: ReportCounters,
        reputation: ReputationCounters,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.counters = counters
        self.reputation = reputation
        self.clock = clock

    def mailboxes(self) -> list[str]:
        return list(dict.fromkeys([self.settings.default_mailbox, *self.settings.mailboxes.values()]))

    def report(
        self, first: str | None = None, last: str | None = None, mailbox: str | None = None
    ) -> dict[str, object]:
        """Days [first, last] (UTC; default: the last 14 days to today), every mailbox or one."""
        today = self.clock().astimezone(UTC).date()
        end = _day("to", last) if last else today
        start = _day("from", first) if first else end - timedelta(days=DEFAULT_DAYS - 1)
        if end > today:
            raise InvalidRequest(f"to must not be after today ({today.isoformat()}, UTC)")
        if start > end:
            raise InvalidRequest("from must not be after to")
        if (end - start).days >= reports.MAX_DAYS:
            raise InvalidRequest(f"a report covers at most {reports.MAX_DAYS} days")
        if (today - start).days > reports.MAX_DAYS_BACK:
            raise InvalidRequest(f"a report starts at most {reports.MAX_DAYS_BACK} days back")
        boxes = self.mailboxes()
        if mailbox:
            if mailbox.strip().lower() not in boxes:
                raise InvalidRequest(f"unknown mailbox {mailbox[:40]!r}: one of {', '.join(boxes)}")
            boxes = [mailbox.strip().lower()]
        rows: list[reports.DayCounters] = []
        open_now: dict[str, int] = {}
        for box in boxes:
            found, open_now[box] = self.counters.stored_days(box, start.isoformat())
            rows += found
        built = reports.build(start.isoformat(), end.isoformat(), boxes, rows, open_now)
        built["reputation"] = self._reputation(reports.days_between(start.isoformat(), end.isoformat()))
        return built

    def _reputation(self, days: Sequence[str]) -> dict[str, object]:
        counted = {d.day: d for d in self.reputation.day_counts(days[0], days[-1])}
        rows = [(counted.get(day) or DayCounts(day, {})).as_dict() for day in days]
        keep = ("day", "volume", "bounces", "complaints", "bounce_rate", "complaint_rate")
        return {
            "days": [{name: row[name] for name in keep} for row in rows],
            "ses_bounce_review": SES_BOUNCE_REVIEW_RATE,
            "ses_complaint_review": SES_COMPLAINT_REVIEW_RATE,
            "bounce_pause": self.settings.bounce_pause_rate,
            "complaint_pause": self.settings.complaint_pause_rate,
            "note": REPUTATION_NOTE,
        }


def _day(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{name} must be a date as YYYY-MM-DD, not {text[:20]!r}") from None
