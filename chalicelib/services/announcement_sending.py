"""send_announcement: one queued batch of recipients, each sent at most once, paced.

A batch message names an announcement and up to BATCH_RECIPIENTS addresses. For each:

1. `claim`: pending -> sending, a conditional write. A redelivered batch, or a second
   invocation holding it, finds the recipient no longer pending and skips it.
2. the guard: the announcement opt-out list, then the one outbound guard (suppression
   list, SES's account-level list, sandbox) and the announcements' reputation state; a
   refusal settles sending -> refused with the reason, and nothing is sent.
3. the pacer waits for the next slot (the account's MaxSendRate shared by the concurrent
   invocations), SES SendRawEmail with the announcements' configuration set.
4. `settle`: sending -> sent, with SES's message id.

A send that SES did not take (throttling, a network error) puts the recipient back to
pending and fails the batch, so SQS redelivers it. The one window exactly-once cannot
close: the process dies after SES accepted the mail and before step 4. The recipient
stays in `sending`, is never sent again (at most once beats twice for a customer), and is
settled to `sent` by SES's own Send event for it (the configuration set publishes Send
events; the mail carries the announcement id in X-Inbound-Announcement). The window is one
SendRawEmail call wide and holds at most one recipient per crashed invocation; a recipient
still in `sending` without any SES event was never accepted, and `inbound announce status`
lists it.

Quota: each batch reads GetAccount's SendQuota once and sends no more than the 24-hour
quota leaves (keeping a share for transactional mail); what does not fit is queued again,
delayed by SQS's maximum of 15 minutes, until the quota's window has room.

Authority: each batch asks the staff directory, at the moment it runs, whether the admin who
sent the announcement (`started_by`) still may: disabled, removed or made agent since, the
batch sends nothing, the announcement is STOPPED with the reason ("stopped: author
disabled"), and its recipients stay pending until another admin sends it again. One
consistent GetItem per batch; an announcement the CLI's operator sent names nobody to ask.

Warm-up: with a standard dedicated IP pool (`INBOUND_WARMUP_POOL`), each batch also reads the
pool's warm-up (GetDedicatedIps) and sends no more than the day's cap leaves
(domain/warmup.py), counted against today's announcement Send events; the rest is queued
again the same way, until the next (UTC) day's cap has room. Held-back recipients are never
claimed, so a redelivered or re-queued batch still sends each of them once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain import announcements as ann
from chalicelib.domain import reputation
from chalicelib.domain.announcements import AnnouncementState, RecipientState
from chalicelib.domain.frozen import frozen
from chalicelib.domain.reputation import DayCounts, GuardState, ReputationState
from chalicelib.domain.send_policy import Decision
from chalicelib.domain.staff_identity import AGENT
from chalicelib.domain.timestamps import iso_millis
from chalicelib.domain.warmup import WarmupPlan
from chalicelib.errors import InvalidRequest, SendRefused
from chalicelib.services.feedback import ANNOUNCE_PREFIX
from chalicelib.services.ports.outbound import AnnouncementStore, QuotaLookup, ReputationCounters
from chalicelib.services.ports.records import AgentStanding
from chalicelib.services.suppression import REPORT_DAYS, guard_state, sent_today, thresholds
from chalicelib.settings import Settings

log = logging.getLogger("inbound.announcements")

BATCH_RECIPIENTS = 50  # 50 at SES's lowest production rate (14/s) take under 4 s
DEFER_SECONDS = 900  # SQS's largest DelaySeconds
# app.py's maximum_concurrency for send_announcement: each invocation paces at this share
# of the account's rate, so together they stay under MaxSendRate. AWS's minimum is 2.
SEND_CONCURRENCY = 2


@frozen
class SendingPorts:
    store: AnnouncementStore
    # The guard's decision for one address (OutboundService.check, staff-mail rules).
    check: Callable[[str, GuardState], Decision]
    guard_state: Callable[[], GuardState]  # the announcements' reputation state now
    build: Callable[[ann.Announcement, ann.Recipient], bytes]  # the raw mail for one recipient
    send_raw: Callable[[bytes, str, list[str]], str]  # SES with the announcements' configuration set
    quota: QuotaLookup  # None: SES cannot say (no quota is imposed)
    enqueue: Callable[[dict[str, Any], int], None]  # a batch message, delayed by N seconds
    from_address: Callable[[str], str]  # a mailbox's address
    # Mails the dedicated pool's warm-up leaves for today; None: no cap (no pool warming).
    warmup_left: Callable[[], int | None] = lambda: None
    # The staff directory's word on an agent, read at the moment of asking (AgentNames.standing).
    standing: Callable[[str], AgentStanding] = lambda agent: AgentStanding(True)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class BatchOutcome:
    sent: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # not pending: claimed or settled before
    deferred: list[str] = field(default_factory=list)  # queued again: the quota is spent
    stopped: str = ""  # why nothing was sent: the announcement is stopped (left pending)


class AnnouncementSender:
    def __init__(
        self, ports: SendingPorts, concurrency: int, reserve_share: float, fallback_rate: float = 1.0
    ) -> None:
        self.ports = ports
        self.concurrency = max(1, concurrency)
        self.reserve_share = reserve_share
        self.fallback_rate = fallback_rate

    def send_batch(self, body: dict[str, Any]) -> BatchOutcome:
        announcement_id = str(body.get("announcement", ""))
        addresses = [str(a) for a in body.get("recipients", []) if a]
        announcement = self.ports.store.get(announcement_id)
        if announcement is None:
            raise InvalidRequest(f"no announcement {announcement_id!r}")
        stopped = self._stopped(announcement)
        if stopped:
            log.warning("announcement %s: %s; %d left pending", announcement_id, stopped, len(addresses))
            return BatchOutcome(stopped=stopped)
        quota = self.ports.quota()
        budget = quota.remaining(self.reserve_share) if quota else len(addresses)
        warmup_left = self.ports.warmup_left()
        if warmup_left is not None:
            budget = min(budget, warmup_left)
        rate = (quota.max_rate if quota else self.fallback_rate) / self.concurrency
        pacer = ann.Pacer(rate, self.ports.monotonic, self.ports.sleep)
        opted_out = self.ports.store.opted_out(addresses)
        state = self.ports.guard_state()
        outcome = BatchOutcome()
        for n, address in enumerate(addresses):
            if budget <= 0:
                outcome.deferred = addresses[n:]
                break
            claimed = self.ports.store.claim(announcement_id, address, self._now())
            if claimed is None:
                outcome.skipped.append(address)
                continue
            why = self._refusal(address, address in opted_out, state)
            if why:
                self._settle(announcement_id, address, RecipientState.REFUSED, why)
                outcome.refused[address] = why
                continue
            budget -= 1
            pacer.wait()
            if self._send(announcement, claimed, outcome):
                outcome.sent.append(address)
        if outcome.deferred:
            self.ports.enqueue(
                {"announcement": announcement_id, "recipients": outcome.deferred}, DEFER_SECONDS
            )
        log.info(
            "announcement %s: %d sent, %d refused, %d skipped, %d deferred",
            announcement_id,
            len(outcome.sent),
            len(outcome.refused),
            len(outcome.skipped),
            len(outcome.deferred),
        )
        return outcome

    def _stopped(self, announcement: ann.Announcement) -> str:
        """Why this batch sends nothing: stopped before, or stopped now because whoever sent
        it is disabled or no longer admin (read afresh; recorded on the announcement)."""
        if announcement.state == AnnouncementState.STOPPED:
            return announcement.stopped_reason or "stopped"
        if not announcement.started_by:
            return ""
        standing = self.ports.standing(announcement.started_by)
        why = (
            "author disabled"
            if not standing.enabled
            else "author no longer admin"
            if standing.role == AGENT
            else ""
        )
        if not why:
            return ""
        if not self.ports.store.stop(announcement.id, announcement.started_by, f"stopped: {why}"):
            # Another admin sent it again since this batch read it: it queued this batch's
            # recipients again under them, so this stale batch leaves them to it.
            return "sent again by another admin: its recipients are queued again"
        return f"stopped: {why}"

    def _refusal(self, address: str, opted_out: bool, state: GuardState) -> str:
        if opted_out:
            return "unsubscribed: opted out of announcements"
        if state.state == ReputationState.PAUSED:
            return f"reputation: announcements are paused: {state.note}"
        decision = self.ports.check(address, state)
        return "" if decision.allowed else f"{decision.reason}: {decision.detail}"

    def _send(self, announcement: ann.Announcement, recipient: ann.Recipient, outcome: BatchOutcome) -> bool:
        address = recipient.address
        try:
            raw = self.ports.build(announcement, recipient)
            ses_id = self.ports.send_raw(raw, self.ports.from_address(announcement.mailbox), [address])
        except SendRefused as exc:  # final: SES or the mail itself refused
            self._settle(announcement.id, address, RecipientState.REFUSED, f"{exc.reason}: {exc}")
            outcome.refused[address] = exc.reason
            return False
        except BaseException:
            # SES did not take it (throttled, unreachable): pending again, and the batch fails
            # so SQS redelivers it. Not a catch-all: it re-raises after undoing the claim.
            self.ports.store.settle(
                announcement.id, address, RecipientState.PENDING, (RecipientState.SENDING,), self._now()
            )
            raise
        self.ports.store.settle(
            announcement.id,
            address,
            RecipientState.SENT,
            (RecipientState.SENDING,),
            self._now(),
            ses_message_id=ses_id,
        )
        return True

    def _settle(self, announcement_id: str, address: str, state: RecipientState, reason: str) -> None:
        self.ports.store.settle(
            announcement_id, address, state, (RecipientState.SENDING,), self._now(), reason
        )

    def _now(self) -> str:
        return iso_millis(self.ports.clock())


def warmup_allowance(
    plan: Callable[[], WarmupPlan | None], counters: ReputationCounters, clock: Callable[[], datetime]
) -> Callable[[], int | None]:
    """`SendingPorts.warmup_left` for a standard pool: the plan's cap for today less today's
    announcement Send events (counted by record_feedback, so a few seconds behind). When SES
    cannot say how warm the pool is, nothing goes out this time: better late than through a
    cold IP."""

    def left() -> int | None:
        found = plan()
        if found is None:
            return 0
        return found.left_today(sent_today(counters, clock()))

    return left


def announcement_guard(transactional: GuardState, days: list[DayCounts], settings: Settings) -> GuardState:
    """The announcements' reputation state: paused outright while transactional mail (the
    outbound guard's own state, the account's rates included) is anything but ok, else their
    own rates (counters kept apart under `announce_*` by record_feedback, for mail sent with
    their configuration set) against lower thresholds. A bad announcement must never cost
    the acknowledgements and replies their reputation."""
    if transactional.state != ReputationState.OK:
        return replace(
            transactional, state=ReputationState.PAUSED, note=f"transactional mail: {transactional.note}"
        )
    own = [
        DayCounts(
            d.day,
            {
                k.removeprefix(ANNOUNCE_PREFIX): v
                for k, v in d.counts.items()
                if k.startswith(ANNOUNCE_PREFIX)
            },
        )
        for d in days
    ]
    limits = replace(
        thresholds(settings),
        bounce_warn=settings.announcement_bounce_pause_rate / 2,
        complaint_warn=settings.announcement_complaint_pause_rate / 2,
        bounce_pause=settings.announcement_bounce_pause_rate,
        complaint_pause=settings.announcement_complaint_pause_rate,
    )
    return reputation.assess(own, limits)


def announcements_state(
    counters: ReputationCounters,
    settings: Settings,
    now: datetime,
    account: tuple[float | None, float | None] = (None, None),
) -> GuardState:
    """The announcements' reputation state now (`announcement_guard`), from the transactional
    guard's state and the last 30 days of counters."""
    transactional = guard_state(counters, settings, now, account)
    window = reputation.days_back(now.astimezone(UTC).date(), REPORT_DAYS)
    return announcement_guard(transactional, counters.day_counts(window[-1], window[0]), settings)
