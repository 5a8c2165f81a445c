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

from chalicelib import observability
from chalicelib.domain.mail import ReceivedMail
from chalicelib.domain.outcome import Outcome
from chalicelib.services.ingest import IngestService
from chalicelib.services.notifications import Delivery

log = logging.getLogger("inbound.sweeper")


@dataclass
class SweepReport:
    redriven: list[Outcome] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    too_young: int = 0
    # Age of the oldest object the sweep leaves in incoming/ (too young, or failed); 0: none.
    oldest_incoming_age_seconds: float = 0.0


class IncomingSweeper:
    def __init__(self, ingest: IngestService, older_than: timedelta, max_attempts: int) -> None:
        self.ingest = ingest
        self.older_than = older_than
        self.max_attempts = max_attempts

    def sweep(self, now: datetime | None = None) -> SweepReport:
        now = now or datetime.now(UTC)
        report = SweepReport()
        left: list[datetime] = []  # when what stays in incoming/ was written
        for key, modified in self.ingest.ports.store.list_incoming():
            if now - modified < self.older_than:
                report.too_young += 1
                left.append(modified)
                continue
            ses_id = key.rpartition("/")[2]
            with observability.scope(ses_message_id=ses_id):
                if not self._sweep_one(key, ses_id, report):
                    left.append(modified)
        report.oldest_incoming_age_seconds = max([0.0, *((now - m).total_seconds() for m in left)])
        observability.gauge(observability.OLDEST_INCOMING_AGE, report.oldest_incoming_age_seconds)
        swept = {
            "swept": len(report.redriven) + len(report.failed) + len(report.quarantined),
            "redriven": len(report.redriven),
            "failed": len(report.failed),
            "quarantined": len(report.quarantined),
            "too_young": report.too_young,
            "oldest_incoming_age_seconds": report.oldest_incoming_age_seconds,
        }
        log.info("sweep: %s", ", ".join(f"{k} {v:g}" for k, v in swept.items()), extra=swept)
        return report

    def _sweep_one(self, key: str, ses_id: str, report: SweepReport) -> bool:
        """Re-drive one object, or quarantine it after the last attempt; False: it stays."""
        store = self.ingest.ports.store
        attempts = self.ingest.ports.deliveries.count_sweep_attempt(ses_id)
        if attempts > self.max_attempts:
            detail = f"still in incoming/ after {self.max_attempts} sweeps"
            self.ingest.quarantine_failed(store.bucket, key, ses_id, detail)
            report.quarantined.append(ses_id)
            return True
        received = ReceivedMail(ses_message_id=ses_id, bucket=store.bucket, key=key)
        # One object's failure must not stop the sweep of the others; it stays
        # in incoming/ and its attempt is counted.
        try:
            report.redriven.append(self.ingest.ingest(Delivery(received=received)))
        except Exception:  # noqa: BLE001
            log.exception("sweep of %s failed (attempt %d of %d)", ses_id, attempts, self.max_attempts)
            report.failed.append(ses_id)
            return False
        return True
