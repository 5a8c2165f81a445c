"""Re-driving what ingest gave up on: `quarantine/failed/` and the dead-letter queues.

Raw mail in `quarantine/failed/` goes back through ingest in this process, one
object at a time, in an order chosen so that a crash or a concurrent run (another
re-drive, the sweeper, the Lambda working a re-queued notification) can repeat or
overlap any step without doubling a ticket message or losing the raw mail:

1. reset the sweeper's attempt count, so a sweeper that meets the copy ingests it
   rather than quarantining it again at once;
2. delete the delivery record, only if it is the `failed` verdict (a conditional
   delete: a committed outcome is never touched). Exactly-once stays with the
   record's conditional put: a `failed` record is only written when nothing was
   committed, so clearing it allows one commit later, never a second one;
3. copy (not move) the object back to its `incoming/` key;
4. ingest it, as the sweeper does (verdicts from the headers SES added). A delivery
   committed meanwhile answers `duplicate` and only finishes its move to `archive/`;
5. delete the quarantined copy only once the delivery record holds a final outcome,
   i.e. the raw mail is safely in `archive/` (or in another quarantine). If ingest
   fails again, the copy goes back where it was with a new `failed` record.

Running ingest here rather than publishing a notification is what makes step 5
safe: the re-drive knows the outcome before it deletes anything, and reports it.

Dead-letter messages are moved back to their source queue: receive, send a copy,
delete the original only after SQS accepted the copy. A crash in between leaves
the message in both queues; the consumers (ingest, record_feedback) are idempotent
per delivery and per feedback event, so the second copy changes nothing.
Quarantined mail is re-driven first, so that an ingest notification moved back to
the queue finds the `failed` verdict already gone (or replaced by the real outcome).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalicelib.domain.frozen import frozen
from chalicelib.domain.mail import ReceivedMail
from chalicelib.domain.outcome import Outcome, OutcomeKind, QuarantineReason
from chalicelib.services.notifications import Delivery

if TYPE_CHECKING:
    from chalicelib.services.ingest import IngestService
    from chalicelib.services.ports.records import DeliveryRecord, QuarantinedMail
    from chalicelib.services.ports.redrive import DeadLetters, Quarantine

log = logging.getLogger("inbound.redrive")


class RedriveResult(StrEnum):
    """What became of one quarantined object."""

    REDRIVEN = "redriven"  # ingest answered; the quarantined copy is gone
    REQUARANTINED = "requarantined"  # ingest ended in quarantine/failed/ again; left there
    FAILED = "failed"  # an error; left in quarantine/failed/ (see the log)
    GONE = "gone"  # no longer there: another re-drive took it
    PENDING = "pending"  # dry run: would be re-driven


@frozen
class MailRedrive:
    ses_message_id: str
    key: str
    result: RedriveResult
    outcome: Outcome | None = None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        found = self.outcome
        return {
            "ses_message_id": self.ses_message_id,
            "key": self.key,
            "result": self.result,
            "outcome": found.outcome if found else None,
            "ticket": found.ticket if found else None,
            "detail": self.detail or (found.reason if found else None) or None,
        }


@dataclass
class QueueRedrive:
    queue: str
    dead_letter_queue: str
    moved: int = 0  # copies accepted by the source queue
    refused: int = 0  # the source queue did not accept the copy: still in the dead-letter queue
    undeleted: int = 0  # moved, but still in the dead-letter queue too (a later run moves it again)
    waiting: int = 0  # dry run: about this many would be moved
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RedriveReport:
    dry_run: bool = False
    mail: list[MailRedrive] = field(default_factory=list)
    queues: list[QueueRedrive] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        mail_ok = all(
            m.result in (RedriveResult.REDRIVEN, RedriveResult.GONE, RedriveResult.PENDING) for m in self.mail
        )
        return mail_ok and not any(q.refused or q.error for q in self.queues)

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "mail": [m.as_json() for m in self.mail],
            "queues": [q.as_json() for q in self.queues],
        }


def _is_failed(record: DeliveryRecord | None) -> bool:
    """The `failed` verdict of IngestService.quarantine_failed (not a committed outcome)."""
    if record is None:
        return False
    quarantined = record.get("outcome") == OutcomeKind.QUARANTINED
    return quarantined and record.get("quarantine_reason") == QuarantineReason.FAILED


class RedriveService:
    def __init__(
        self,
        ingest: IngestService,
        quarantine: Quarantine,
        queues: list[DeadLetters],
    ) -> None:
        self.ingest = ingest
        self.quarantine = quarantine
        self.queues = queues

    def redrive(self, dry_run: bool = False, mail: bool = True, queues: bool = True) -> RedriveReport:
        report = RedriveReport(dry_run=dry_run)
        if mail:  # first: see the module docstring
            for item in self.quarantine.failed():
                report.mail.append(self._describe(item) if dry_run else self._mail_guarded(item))
        if queues:
            for pair in self.queues:
                report.queues.append(self._queue_guarded(pair, dry_run))
        return report

    # -- quarantine/failed/ --------------------------------------------------------
    def _describe(self, item: QuarantinedMail) -> MailRedrive:
        record = self.ingest.ports.deliveries.get_delivery(item.ses_message_id)
        if record is None or _is_failed(record):
            detail = "would be ingested again"
        else:
            done = Outcome.from_record(item.ses_message_id, record)
            detail = f"already processed ({done.outcome} {done.ticket or ''}".rstrip() + "): would be cleared"
        return MailRedrive(item.ses_message_id, item.key, RedriveResult.PENDING, detail=detail)

    def _mail_guarded(self, item: QuarantinedMail) -> MailRedrive:
        # The outermost boundary of one object: its failure must not stop the others.
        # Whatever failed, the object is still in quarantine/failed/ (copy before delete).
        try:
            return self._mail(item)
        except Exception as exc:  # noqa: BLE001
            log.exception("redrive of %s failed; left in %s", item.ses_message_id, item.key)
            return MailRedrive(
                item.ses_message_id, item.key, RedriveResult.FAILED, detail=f"{type(exc).__name__}: {exc}"
            )

    def _mail(self, item: QuarantinedMail) -> MailRedrive:
        ses_id = item.ses_message_id
        target = self.quarantine.original_key(item)
        records = self.ingest.ports.deliveries
        records.reset_sweep_attempts(ses_id)
        records.clear_failed(ses_id)
        if not self.quarantine.copy_back(item, target):
            return MailRedrive(
                ses_id, item.key, RedriveResult.GONE, detail="no longer quarantined (another re-drive)"
            )
        received = ReceivedMail(ses_message_id=ses_id, bucket=self.quarantine.bucket, key=target)
        try:
            outcome = self.ingest.ingest(Delivery(received=received))
        except Exception as exc:
            # Back to where it was, with a fresh `failed` verdict; then report the failure.
            detail = f"re-drive failed: {type(exc).__name__}: {exc}"
            self.ingest.quarantine_failed(self.quarantine.bucket, target, ses_id, detail)
            raise
        record = records.get_delivery(ses_id)
        if record is None or _is_failed(record):
            # A sweeper gave up on the copy in the meantime: quarantined again, by the same rules.
            return MailRedrive(ses_id, item.key, RedriveResult.REQUARANTINED, outcome)
        self.quarantine.discard(item)
        log.info("redrive: %s -> %s %s", ses_id, outcome.outcome, outcome.ticket or "")
        return MailRedrive(ses_id, item.key, RedriveResult.REDRIVEN, outcome)

    # -- dead-letter queues ------------------------------------------------------------
    def _queue_guarded(self, pair: DeadLetters, dry_run: bool) -> QueueRedrive:
        moved = QueueRedrive(pair.name, pair.dead_letter_name)
        # The outermost boundary of one queue: the counts so far are reported with the error.
        try:
            if dry_run:
                moved.waiting = pair.waiting()
            else:
                self._move(pair, moved)
        except Exception as exc:  # noqa: BLE001
            log.exception("redrive of %s failed", pair.dead_letter_name)
            moved.error = f"{type(exc).__name__}: {exc}"
        return moved

    @staticmethod
    def _move(pair: DeadLetters, moved: QueueRedrive) -> None:
        seen: set[str] = set()
        while True:
            # A message whose copy was refused stays invisible for a while; seeing it
            # again means the queue holds nothing new.
            batch = [letter for letter in pair.receive() if letter.message_id not in seen]
            if not batch:
                return
            seen.update(letter.message_id for letter in batch)
            sent = pair.send_to_source(batch)
            moved.moved += len(sent)
            moved.refused += len(batch) - len(sent)
            # Only now: a message whose copy was refused stays in the dead-letter queue.
            deleted = pair.delete([letter for letter in batch if letter.message_id in sent])
            moved.undeleted += len(sent) - len(deleted)
