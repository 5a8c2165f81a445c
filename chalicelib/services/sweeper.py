"""Re-driving raw mail left in `incoming/`: the notification was lost or kept failing.

SES writes the object and then publishes; if the notification never arrives (or
all its deliveries failed and it sits in the dead-letter queue) the mail would
wait in `incoming/` forever. The sweeper runs on a schedule, re-drives anything
older than a threshold through the same ingest path (verdicts then come from the
headers SES added), counts its attempts, and quarantines it after the last one,
so an operator sees it in `quarantine/failed/` instead of never.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chalicelib.domain.mail import ReceivedMail
from chalicelib.domain.outcome import Outcome
from chalicelib.services.intake import IntakeService
from chalicelib.services.notifications import Delivery

log = logging.getLogger("inbound.sweeper")


@dataclass
class SweepReport:
    redriven: list[Outcome] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    too_young: int = 0


class IncomingSweeper:
    def __init__(self, intake: IntakeService, older_than: timedelta, max_attempts: int) -> None:
        self.intake = intake
        self.older_than = older_than
        self.max_attempts = max_attempts

    def sweep(self, now: datetime | None = None) -> SweepReport:
        now = now or datetime.now(UTC)
        store, tickets = self.intake.parts.store, self.intake.parts.tickets
        report = SweepReport()
        for key, modified in store.list_incoming():
            if now - modified < self.older_than:
                report.too_young += 1
                continue
            ses_id = key.rpartition("/")[2]
            attempts = tickets.count_sweep_attempt(ses_id)
            if attempts > self.max_attempts:
                detail = f"still in incoming/ after {self.max_attempts} sweeps"
                self.intake.quarantine_failed(store.bucket, key, ses_id, detail)
                report.quarantined.append(ses_id)
                continue
            received = ReceivedMail(ses_message_id=ses_id, bucket=store.bucket, key=key)
            # One object's failure must not stop the sweep of the others; it stays
            # in incoming/ and its attempt is counted.
            try:
                report.redriven.append(self.intake.ingest(Delivery(received=received)))
            except Exception:  # noqa: BLE001
                log.exception("sweep of %s failed (attempt %d of %d)", ses_id, attempts, self.max_attempts)
                report.failed.append(ses_id)
        return report
