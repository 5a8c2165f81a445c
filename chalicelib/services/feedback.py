"""record_feedback: SES bounce, complaint and delivery feedback into the suppression list.

Each per-recipient event is applied exactly once: its marker, its suppression entry
or soft-bounce mark and its counter additions are one DynamoDB transaction, and
the marker's conditional put refuses a second application. A redelivered record
(or the same bounce reported by both an identity notification and the
configuration set) therefore changes nothing. One transaction carries as many
events of a notification as fit DynamoDB's 100 items (see `_chunks`); when some of
them were applied before, the rest are applied without them.

Soft bounces (a full mailbox, recipient-side delays) are kept per address for
`soft_bounce_window_hours`; reaching `soft_bounce_limit` in that window suppresses
the address for `soft_suppression_days` (an expiring entry, which never replaces a
permanent one). A Permanent bounce with subtype OnAccountSuppressionList is SES
refusing because of its own account-level list: recorded as an expiring entry and
counted apart, not as a bounce; its entry is written in the event's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import observability
from chalicelib.adapters.dynamodb_suppression import Applied, DynamoDBSuppression, SoftMark
from chalicelib.domain import feedback
from chalicelib.domain.feedback import FeedbackEvent, SuppressionEntry
from chalicelib.domain.timestamps import iso_millis
from chalicelib.services.queue_batch import BatchResult, run_batch
from chalicelib.settings import Settings

log = logging.getLogger("inbound.feedback")
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
WRITES_ITEM = ("suppress", "soft", "account_suppressed")  # actions that write an item beside the marker


@dataclass(frozen=True)
class FeedbackSummary:
    events: int
    applied: int
    suppressed: tuple[str, ...] = ()

    @property
    def duplicates(self) -> int:
        return self.events - self.applied


class FeedbackService:
    def __init__(
        self,
        settings: Settings,
        store: DynamoDBSuppression,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock

    # -- entry points ---------------------------------------------------------------
    def record_batch(self, records: Iterable[tuple[str, Any]]) -> BatchResult:
        """Each SQS record independently: a malformed one fails alone (see queue_batch)."""
        return run_batch(records, self.record)

    def record(self, body: Any) -> FeedbackSummary:
        events = feedback.parse(body)
        if events:  # one notification: one message we sent, one kind of feedback
            observability.add_keys(
                ses_message_id=events[0].ses_message_id,
                notification_type=events[0].kind,
                recipients=len({e.recipient for e in events}),
            )
        summary = self.apply(events, source="ses-feedback")
        observability.count(observability.FEEDBACK_EVENTS, summary.events)
        observability.count(observability.SUPPRESSED, len(summary.suppressed))
        if events:
            log.info(
                "feedback %s: %d events, %d applied, suppressed %s",
                events[0].kind,
                summary.events,
                summary.applied,
                ", ".join(summary.suppressed) or "none",
            )
        return summary

    def suppress_from_inbound_bounce(
        self, recipients: Iterable[str], permanent: bool, ses_message_id: str
    ) -> FeedbackSummary:
        """A bounce that came back as mail: suppress (or count) the recipients we sent to.

        Only addresses the system sent to within 30 days count, so a forged or foreign
        DSN cannot put arbitrary addresses on the list. Not counted in the reputation
        rates: SES counts the bounces it receives itself.
        """
        now = self.clock()
        addresses = [a for a in (feedback.normalise_address(r) for r in recipients) if a]
        ours = self.store.sent_to(addresses, int(now.timestamp()))
        at = iso_millis(now)
        events = [
            FeedbackEvent(
                key=f"dsn#{ses_message_id}#{address}",
                kind="bounce",
                action="suppress" if permanent else "soft",
                counter="",
                recipient=address,
                at=at,
                ses_message_id=ses_message_id,
                feedback_id=ses_message_id,
                reason="BOUNCE",
                bounce_type="Permanent" if permanent else "Transient",
                subtype="bounce received as mail",
            )
            for address in addresses
            if address in ours
        ]
        return self.apply(events, source="inbound-dsn")

    # -- applying -------------------------------------------------------------------
    def apply(self, events: list[FeedbackEvent], source: str) -> FeedbackSummary:
        unique = list({e.key: e for e in events}.values())
        applied: list[FeedbackEvent] = []
        held_back: set[str] = set()
        now = self.clock()
        for remaining in _chunks(unique, now):
            while remaining:
                result = self._apply_chunk(remaining, source, now)
                if not result.before:
                    applied.extend(remaining)
                    held_back |= result.held_back
                    break
                remaining = [e for e in remaining if e.key not in result.before]
        suppressed = [
            e.recipient
            for e in applied
            if e.action == "suppress" or (e.action == "account_suppressed" and e.recipient not in held_back)
        ]
        # Also the soft events an earlier delivery applied: it may have failed between its
        # transaction and this follow-up, which recounts the marks and so can run again.
        suppressed += self._follow_up(unique, source, now)
        return FeedbackSummary(len(unique), len(applied), tuple(dict.fromkeys(suppressed)))

    def _apply_chunk(self, events: list[FeedbackEvent], source: str, now: datetime) -> Applied:
        window = timedelta(hours=self.settings.soft_bounce_window_hours)
        entries = {e.recipient: self._entry(e, source, now) for e in events if e.action == "suppress"}
        expires = int((now + timedelta(days=self.settings.soft_suppression_days)).timestamp())
        expiring = {
            e.recipient: self._entry(e, source, now, "ACCOUNT_SUPPRESSED", expires)
            for e in events
            if e.action == "account_suppressed" and e.recipient not in entries
        }
        soft = [
            SoftMark(
                e.recipient,
                e.at or iso_millis(now),
                e.key,
                feedback.epoch(e.at, now) + int(window.total_seconds()),
            )
            for e in events
            if e.action == "soft"
        ]
        counts: dict[str, dict[str, int]] = {}
        for e in events:
            if e.counter:
                day = counts.setdefault(feedback.day_of(e.at, now), {})
                day[e.counter] = day.get(e.counter, 0) + 1
        keys = [e.key for e in events]
        return self.store.apply(
            keys, list(entries.values()), soft, counts, int(now.timestamp()), list(expiring.values())
        )

    def _follow_up(self, applied: list[FeedbackEvent], source: str, now: datetime) -> list[str]:
        """Soft bounces over the limit become expiring entries (counted after their marks are
        written, so concurrent soft bounces of one address cannot both miss the limit)."""
        expires = int((now + timedelta(days=self.settings.soft_suppression_days)).timestamp())
        since = iso_millis(now - timedelta(hours=self.settings.soft_bounce_window_hours))
        suppressed = []
        for address in dict.fromkeys(e.recipient for e in applied if e.action == "soft"):
            count = self.store.soft_count(address, since)
            if count >= self.settings.soft_bounce_limit:
                last = next(e for e in reversed(applied) if e.recipient == address and e.action == "soft")
                entry = replace(
                    self._entry(last, source, now, "SOFT_BOUNCE", expires),
                    note=f"{count} soft bounces or delays within {self.settings.soft_bounce_window_hours} hours",
                )
                if self.store.put(entry, only_over="expiring"):
                    suppressed.append(address)
        return suppressed

    @staticmethod
    def _entry(
        event: FeedbackEvent, source: str, now: datetime, reason: str = "", expires: int = 0
    ) -> SuppressionEntry:
        return SuppressionEntry(
            address=event.recipient,
            reason=reason or event.reason,
            at=event.at or iso_millis(now),
            source=source,
            subtype=" ".join(filter(None, (event.bounce_type, event.subtype))),
            diagnostic=event.diagnostic,
            feedback_id=event.feedback_id,
            expires_at=expires,
        )


def _chunks(events: list[FeedbackEvent], now: datetime) -> Iterator[list[FeedbackEvent]]:
    """Runs of events whose items fit one transaction: a marker each, an entry or soft mark
    for the actions that write one, and one counter item per day."""
    chunk: list[FeedbackEvent] = []
    items, days = 0, set[str]()
    for event in events:
        day = feedback.day_of(event.at, now) if event.counter else ""
        cost = 1 + (event.action in WRITES_ITEM) + (bool(day) and day not in days)
        if chunk and items + cost > TRANSACTION_ITEMS:
            yield chunk
            chunk, items, days = [], 0, set()
            cost = 1 + (event.action in WRITES_ITEM) + bool(day)
        chunk.append(event)
        items += cost
        if day:
            days.add(day)
    if chunk:
        yield chunk
