"""record_feedback: SES bounce, complaint and delivery feedback into the suppression list.

Each per-recipient event is applied exactly once: its marker, its suppression entry
or its address's soft bounces, and its counter additions are one DynamoDB
transaction, and the marker's conditional put refuses a second application. A
redelivered record (or the same bounce reported by both an identity notification
and the configuration set) therefore changes nothing. One transaction carries as
many events of a notification as fit DynamoDB's 100 items (see `_plan`); when some
of them were applied before, the rest are applied without them.

Soft bounces (a full mailbox, recipient-side delays) are kept per address for
`soft_bounce_window_hours`; reaching `soft_bounce_limit` in that window suppresses
the address for `soft_suppression_days` (an expiring entry, which never replaces a
permanent one). The addresses' soft bounces are read before the transaction (one
BatchGetItem for a notification's up to 50 addresses), and the transaction writes
them back only over the version it read, with the entry when the new count reaches
the limit: so a soft bounce is one write request at the limit too, and two soft
bounces of one address processed at once cannot both miss it (the one whose version
moved writes nothing, reads again and retries). A Permanent bounce with subtype
OnAccountSuppressionList is SES refusing because of its own account-level list:
recorded as an expiring entry and counted apart, not as a bounce; its entry is
written in the event's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import observability
from chalicelib.domain import feedback, feedback_events, mailed_reports
from chalicelib.domain.feedback_events import FeedbackAction, FeedbackEvent, FeedbackKind
from chalicelib.domain.frozen import frozen
from chalicelib.domain.suppression import SuppressionEntry, SuppressionReason
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import ConcurrentUpdate
from chalicelib.services.ports.outbound import FeedbackLedger, SendLedger, SoftRead, SoftWrite
from chalicelib.services.queue_batch import BatchResult, run_batch
from chalicelib.settings import Settings

log = logging.getLogger("inbound.feedback")
ANNOUNCE_PREFIX = "announce_"  # counters of announcement mail (read by announcement_sending)
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
WRITES_ENTRY = (
    FeedbackAction.SUPPRESS,
    FeedbackAction.ACCOUNT_SUPPRESSED,
)  # actions that write an entry beside the marker
SOFT_ATTEMPTS = 5  # transactions per chunk while concurrent soft bounces keep moving a count
SOFT_TIMES_KEPT = 100  # an address's soft bounces kept in the window (at least the limit)


@frozen
class FeedbackSummary:
    events: int
    applied: int
    suppressed: tuple[str, ...] = ()


class FeedbackService:
    def __init__(
        self,
        settings: Settings,
        feedback_ledger: FeedbackLedger,
        send_ledger: SendLedger,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_announcement_events: Callable[[list[FeedbackEvent]], object] | None = None,
    ) -> None:
        self.settings = settings
        self.feedback_ledger = feedback_ledger
        self.send_ledger = send_ledger
        self.clock = clock
        # Announcements' per-recipient states from their events (AnnouncementService).
        self.on_announcement_events = on_announcement_events

    def _attributed(self, event: FeedbackEvent) -> FeedbackEvent:
        """Events of mail sent with the announcements' configuration set count on their own
        counters (`announce_bounces`...), which the transactional guard never reads: the
        announcements' guard pauses them at lower rates (announcement_sending)."""
        if event.counter and event.configuration_set == self.settings.announcement_configuration_set:
            return replace(event, counter=ANNOUNCE_PREFIX + event.counter)
        return event

    # -- entry points ---------------------------------------------------------------
    def record_batch(self, records: Iterable[tuple[str, Any]]) -> BatchResult:
        """Each SQS record independently: a malformed one fails alone (see queue_batch)."""
        return run_batch(records, self.record)

    def record(self, body: Any) -> FeedbackSummary:
        events = [self._attributed(e) for e in feedback.parse(body)]
        if events:  # one notification: one message we sent, one kind of feedback
            observability.add_keys(
                ses_message_id=events[0].ses_message_id,
                notification_type=events[0].kind,
                recipients=len({e.recipient for e in events}),
            )
        # Opens and clicks only mark an announcement's recipient (idempotently, see
        # AnnouncementService.record_events): no ledger, counter or suppression write.
        summary = self.apply(
            [e for e in events if e.kind not in feedback_events.ENGAGEMENT], source="ses-feedback"
        )
        if self.on_announcement_events is not None and any(e.announcement for e in events):
            self.on_announcement_events([e for e in events if e.announcement])
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
        self,
        recipients: Iterable[str],
        permanent: bool,
        ses_message_id: str,
        message_ids: Sequence[str] = (),
        complaint: bool = False,
    ) -> InboundReport:
        """A bounce or complaint that came back as mail: suppress (or count) the addresses
        it names only where it names a message we sent to them (domain/mailed_reports.py).

        Not counted in the reputation rates: SES counts the bounces it receives itself.
        """
        now = self.clock()
        addresses = list(
            dict.fromkeys(a for a in (feedback_events.normalise_address(r) for r in recipients) if a)
        )
        sent = self.send_ledger.sent_messages(message_ids, int(now.timestamp())) if addresses else {}
        check = mailed_reports.check_report(addresses, message_ids, sent)
        at = iso_millis(now)
        events = [
            FeedbackEvent(
                key=f"dsn#{ses_message_id}#{address}",
                kind=FeedbackKind.COMPLAINT if complaint else FeedbackKind.BOUNCE,
                action=FeedbackAction.SUPPRESS if permanent else FeedbackAction.SOFT,
                counter="",
                recipient=address,
                at=at,
                ses_message_id=ses_message_id,
                feedback_id=ses_message_id,
                reason=SuppressionReason.COMPLAINT if complaint else SuppressionReason.BOUNCE,
                bounce_type="" if complaint else ("Permanent" if permanent else "Transient"),
                subtype="complaint received as mail" if complaint else "bounce received as mail",
            )
            for address in check.verified
        ]
        if check.unverified:
            log.warning("mailed report %s: %s", ses_message_id, check.summary)
        return InboundReport(self.apply(events, source="inbound-dsn"), check)

    # -- applying -------------------------------------------------------------------
    def apply(self, events: list[FeedbackEvent], source: str) -> FeedbackSummary:
        unique = list({e.key: e for e in events}.values())
        now = self.clock()
        soft = [e.recipient for e in unique if e.action == FeedbackAction.SOFT]
        known = self.feedback_ledger.soft_bounces(soft) if soft else SoftRead({})
        applied: list[FeedbackEvent] = []
        suppressed: list[str] = []
        pending, moves = unique, 0
        while pending:
            plan = self._plan(pending, known, source, now)
            result = self.feedback_ledger.apply(
                [e.key for e in plan.events],
                plan.entries,
                plan.soft,
                plan.counts,
                int(now.timestamp()),
                plan.expiring,
            )
            if result.before:  # applied by an earlier delivery: the rest without them
                pending = [e for e in pending if e.key not in result.before]
                continue
            if result.moved:  # a concurrent soft bounce of the address: count again
                moves += 1
                if moves == SOFT_ATTEMPTS:
                    raise ConcurrentUpdate(f"soft bounces of {', '.join(sorted(result.moved))} kept changing")
                again = self.feedback_ledger.soft_bounces(sorted(result.moved))
                known = SoftRead({**known.states, **again.states}, known.permanent | again.permanent)
                continue
            moves = 0
            applied += plan.events
            suppressed += [a for a in plan.suppressing if a not in result.held_back]
            written = {w.state.address: replace(w.state, version=w.state.version + 1) for w in plan.soft}
            known = SoftRead({**known.states, **written}, known.permanent | {e.address for e in plan.entries})
            pending = pending[len(plan.events) :]
        return FeedbackSummary(len(unique), len(applied), tuple(dict.fromkeys(suppressed)))

    def _plan(self, pending: list[FeedbackEvent], known: SoftRead, source: str, now: datetime) -> Plan:
        """The longest run of `pending` whose items fit one transaction, and its writes."""
        chunk = pending[: _fits(pending, self._reaching(pending, known, now), now)]
        entries = {
            e.recipient: self._entry(e, source, now) for e in chunk if e.action == FeedbackAction.SUPPRESS
        }
        expires = int((now + timedelta(days=self.settings.soft_suppression_days)).timestamp())
        expiring = {
            e.recipient: self._entry(e, source, now, SuppressionReason.ACCOUNT_SUPPRESSED, expires)
            for e in chunk
            if e.action == FeedbackAction.ACCOUNT_SUPPRESSED and e.recipient not in entries
        }
        window, since = self._window(now)
        keep = max(self.settings.soft_bounce_limit, SOFT_TIMES_KEPT)
        soft: list[SoftWrite] = []
        for address in dict.fromkeys(e.recipient for e in chunk if e.action == FeedbackAction.SOFT):
            mine = [e for e in chunk if e.recipient == address and e.action == FeedbackAction.SOFT]
            state = known.states[address].adding(
                (feedback_events.epoch(e.at, now) for e in mine), since, keep
            )
            soft.append(SoftWrite(state, max((*state.times, int(now.timestamp()))) + window))
            count = len(state.times)
            at_limit = count >= self.settings.soft_bounce_limit and address not in known.permanent
            if at_limit and address not in entries and address not in expiring:
                expiring[address] = replace(
                    self._entry(mine[-1], source, now, SuppressionReason.SOFT_BOUNCE, expires),
                    note=f"{count} soft bounces or delays within "
                    f"{self.settings.soft_bounce_window_hours} hours",
                )
        counts: dict[str, dict[str, int]] = {}
        for e in chunk:
            if e.counter:
                day = counts.setdefault(feedback_events.day_of(e.at, now), {})
                day[e.counter] = day.get(e.counter, 0) + 1
        suppressing = [*entries, *expiring]
        return Plan(chunk, list(entries.values()), list(expiring.values()), soft, counts, suppressing)

    def _reaching(self, events: list[FeedbackEvent], known: SoftRead, now: datetime) -> set[str]:
        """Soft addresses whose count reaches the limit with these events: they may need an entry."""
        _, since = self._window(now)
        added: dict[str, int] = {}
        for e in events:
            if e.action == FeedbackAction.SOFT and feedback_events.epoch(e.at, now) >= since:
                added[e.recipient] = added.get(e.recipient, 0) + 1
        return {
            a
            for a, n in added.items()
            if known.states[a].count(since) + n >= self.settings.soft_bounce_limit
            and a not in known.permanent
        }

    def _window(self, now: datetime) -> tuple[int, int]:
        """The soft-bounce window in seconds, and when it starts (epoch seconds)."""
        window = self.settings.soft_bounce_window_hours * 3600
        return window, int(now.timestamp()) - window

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


@frozen
class InboundReport:
    """What a report that came back as mail did: applied events, and whom it could not verify."""

    summary: FeedbackSummary
    check: mailed_reports.ReportCheck


@frozen
class Plan:
    """One transaction's events and what it writes for them."""

    events: list[FeedbackEvent]
    entries: list[SuppressionEntry]  # permanent
    expiring: list[SuppressionEntry]  # account-list and soft-bounce entries, never over a permanent one
    soft: list[SoftWrite]
    counts: dict[str, dict[str, int]]
    suppressing: list[str]  # addresses its entries suppress (unless an expiring one is held back)


def _fits(events: list[FeedbackEvent], reaching: set[str], now: datetime) -> int:
    """How many of `events` fit one transaction: a marker each, an entry for the actions
    that write one, per soft address its soft bounces (and an entry if it may reach the
    limit), and one counter item per day. At least one."""
    items, days, addresses = 0, set[str](), set[str]()
    for n, event in enumerate(events):
        day = feedback_events.day_of(event.at, now) if event.counter else ""
        cost = 1 + (event.action in WRITES_ENTRY) + (bool(day) and day not in days)
        if event.action == FeedbackAction.SOFT and event.recipient not in addresses:
            cost += 1 + (event.recipient in reaching)
        if n and items + cost > TRANSACTION_ITEMS:
            return n
        items += cost
        if day:
            days.add(day)
        if event.action == FeedbackAction.SOFT:
            addresses.add(event.recipient)
    return len(events)
