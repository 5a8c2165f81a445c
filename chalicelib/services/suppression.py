"""Managing the suppression list (list, check, remove, import) and the reputation report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.domain import reputation
from chalicelib.domain.feedback_events import normalise_address
from chalicelib.domain.reputation import GuardState, Thresholds
from chalicelib.domain.suppression import ListAction, SuppressionEntry, SuppressionReason
from chalicelib.services.ports.outbound import ListChange, ReputationCounters, SuppressionList
from chalicelib.settings import Settings

if TYPE_CHECKING:  # the warm-up's domain loads only where a pool is configured
    from chalicelib.domain.warmup import WarmupPlan

REPORT_DAYS = 30
_REASON_CODE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        bounce_warn=settings.bounce_warn_rate,
        complaint_warn=settings.complaint_warn_rate,
        bounce_pause=settings.bounce_pause_rate,
        complaint_pause=settings.complaint_pause_rate,
        min_volume=settings.reputation_min_volume,
        window_days=REPORT_DAYS,
    )


def guard_state(
    counters: ReputationCounters,
    settings: Settings,
    now: datetime,
    account: tuple[float | None, float | None] = (None, None),
) -> GuardState:
    """The reputation guard now: one Query over the last 30 days of counters, and the
    account's own rates (bounce, complaint) from SES, the stricter deciding."""
    days = reputation.days_back(now.astimezone(UTC).date(), REPORT_DAYS)
    limits = thresholds(settings)
    return reputation.with_account(
        reputation.assess(counters.day_counts(days[-1], days[0]), limits), *account, limits
    )


@dataclass
class ImportReport:
    imported: int = 0
    already: int = 0
    invalid: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"imported": self.imported, "already": self.already, "invalid": self.invalid}


class SuppressionService:
    def __init__(
        self,
        settings: Settings,
        suppression_list: SuppressionList,
        counters: ReputationCounters,
        account_lookup: Callable[[str], tuple[bool | None, str]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        warmup: Callable[[], WarmupPlan | None] | None = None,
    ) -> None:
        self.settings = settings
        self.suppression_list = suppression_list
        self.counters = counters
        self.account_lookup = account_lookup
        self.clock = clock
        # A standard dedicated pool's warm-up (GetDedicatedIps); None: announcements use none.
        self.warmup = warmup

    def _now(self) -> tuple[str, int]:
        now = self.clock()
        return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", int(now.timestamp())

    def list(self) -> list[SuppressionEntry]:
        return sorted(self.suppression_list.entries(self._now()[1]), key=lambda e: e.address)

    def check(self, address: str) -> dict[str, object]:
        """`{"address", "suppressed", "reason", ...}` (the DESIGN contract of `suppression check`)."""
        wanted = normalise_address(address) or address.strip().lower()
        entry = self.suppression_list.get(wanted, self._now()[1])
        if entry is not None:
            return {"address": wanted, "suppressed": True, "reason": entry.reason, "entry": entry.as_dict()}
        if self.account_lookup is not None:
            listed, why = self.account_lookup(wanted)
            if listed:
                return {"address": wanted, "suppressed": True, "reason": f"SES_ACCOUNT_{why or 'LIST'}"}
        return {"address": wanted, "suppressed": False, "reason": None}

    def remove(self, address: str, by: str, why: str) -> SuppressionEntry | None:
        """Take an address off the list, recording who and why; None when it was not on it."""
        wanted = normalise_address(address) or address.strip().lower()
        at, epoch = self._now()
        entry = self.suppression_list.get(wanted, epoch)
        if entry is None:
            return None
        change = ListChange(ListAction.REMOVED, at, by, why, wanted, {"previous": entry.as_dict()})
        self.suppression_list.remove(wanted, change)
        return entry

    def import_list(self, text: str, by: str, source: str = "import") -> ImportReport:
        """Lines or CSV of `address[,reason]`; addresses already listed keep their entry."""
        at, _ = self._now()
        report = ImportReport()
        for address, reason in _rows(text):
            normal = normalise_address(address)
            if not normal:
                report.invalid.append(address)
                continue
            code = reason.strip().upper().replace(" ", "_")
            entry = SuppressionEntry(
                address=normal,
                reason=code if code and set(code) <= _REASON_CODE else SuppressionReason.IMPORTED,
                at=at,
                source=source,
                note=reason.strip()[:500],
            )
            if self.suppression_list.put(entry, only_over="absent"):
                report.imported += 1
            else:
                report.already += 1
        self.suppression_list.audit(ListChange(ListAction.IMPORTED, at, by, source, details=report.as_dict()))
        return report

    def reputation(self) -> dict[str, object]:
        """Daily rates over the last 30 days (newest first) and the guard state."""
        now = self.clock()
        days = reputation.days_back(now.astimezone(UTC).date(), REPORT_DAYS)
        counted = {d.day: d for d in self.counters.day_counts(days[-1], days[0])}
        rows = [(counted.get(day) or reputation.DayCounts(day, {})).as_dict() for day in days]
        limits = thresholds(self.settings)
        state = reputation.assess(list(counted.values()), limits)
        return {
            "guard": state.as_dict(),
            "thresholds": {
                "bounce_warn": limits.bounce_warn,
                "bounce_pause": limits.bounce_pause,
                "complaint_warn": limits.complaint_warn,
                "complaint_pause": limits.complaint_pause,
                "min_volume": limits.min_volume,
                "ses_bounce_review": reputation.SES_BOUNCE_REVIEW_RATE,
                "ses_complaint_review": reputation.SES_COMPLAINT_REVIEW_RATE,
            },
            "days": rows,
            **({"warmup": self._warmup(now)} if self.warmup is not None else {}),
        }

    def _warmup(self, now: datetime) -> dict[str, object]:
        """The pool's plan today (None when SES cannot say) and the schedule it follows."""
        from chalicelib.domain import warmup

        assert self.warmup is not None
        plan = self.warmup()
        schedule = [{"percentage": p, "daily_cap_per_ip": cap} for p, cap in warmup.SCHEDULE]
        if plan is None:
            return {"pool": self.settings.warmup_pool, "unknown": "SES did not say", "schedule": schedule}
        return {**plan.as_dict(sent_today(self.counters, now)), "schedule": schedule}


def sent_today(counters: ReputationCounters, now: datetime) -> int:
    """Today's (UTC) announcement Send events (counted apart by record_feedback)."""
    from chalicelib.services.feedback import ANNOUNCE_PREFIX

    (today,) = reputation.days_back(now.astimezone(UTC).date(), 1)
    return sum(d[f"{ANNOUNCE_PREFIX}sends"] for d in counters.day_counts(today, today))


def _rows(text: str) -> Iterable[tuple[str, str]]:
    """(address, reason) from lines or CSV; blank lines, comments and a header row skipped."""
    for row in csv.reader(io.StringIO(text)):
        cells = [c.strip() for c in row]
        if not cells or not cells[0] or cells[0].startswith("#"):
            continue
        if cells[0].lower() in ("address", "email", "email_address", "emailaddress"):
            continue
        yield cells[0], (cells[1] if len(cells) > 1 else "")
