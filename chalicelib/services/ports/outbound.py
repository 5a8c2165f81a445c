"""What sending needs from the outside world, as Protocols: the suppression list, the
feedback ledger, reputation counters, the send ledger, auto-reply limits, acknowledgement
and reply claims, the sender, the announcements store.

Apart from the ticket side's ports (ports/tickets.py) because the ingest function's cold
start needs only those: this module loads on the first mail that is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from chalicelib.domain.frozen import frozen

# The domain types appear only in annotations here. Imported at run time they would load the
# announcements', feedback's and reputation's domain (a dozen frozen dataclasses) into every
# cold start of every function, the ingest's included, through any service naming a port.
if TYPE_CHECKING:
    from chalicelib.domain.announcements import (
        Announcement,
        AnnouncementState,
        Recipient,
        RecipientState,
        SendQuota,
    )
    from chalicelib.domain.reputation import DayCounts
    from chalicelib.domain.send_policy import AckState
    from chalicelib.domain.suppression import ListAction, SoftBounces, SuppressionEntry
    from chalicelib.domain.tickets import StoredMessage, Ticket, TicketStatus


# --- outbound: suppression list, feedback ledger, send ledger, sender ---


@frozen
class ListChange:
    """One line of the suppression list's audit trail: an address taken off it, or an import.
    `details`: what a removal took off (`previous`, the entry's fields) or an import's counts."""

    action: ListAction
    at: str
    by: str
    why: str
    address: str = "*"  # "*": the whole list (an import)
    details: Mapping[str, Any] = field(default_factory=dict)


class SuppressionList(Protocol):
    """The project's own list of addresses never to mail, and its audit trail. Reads compare
    `now` (epoch seconds) with an entry's `expires_at`: an expired entry is not listed."""

    def get(self, address: str, now: int) -> SuppressionEntry | None: ...

    def entries(self, now: int) -> list[SuppressionEntry]: ...

    def put(self, entry: SuppressionEntry, only_over: str = "") -> bool:
        """Write an entry; False when held back. only_over="expiring": never over a permanent
        entry; only_over="absent": only when the address has no entry at all."""
        ...

    def remove(self, address: str, change: ListChange) -> None:
        """Take the address off and record `change`, together."""
        ...

    def audit(self, change: ListChange) -> None: ...

    def audit_log(self, limit: int = 100) -> list[ListChange]:
        """The newest changes first."""
        ...


@frozen
class SoftWrite:
    """An address's soft bounces as a transaction writes them: only over the version
    `state` was read from, with the next version, kept until `expires_at`."""

    state: SoftBounces
    expires_at: int


@frozen
class SoftRead:
    """What `soft_bounces` read: each address's soft bounces, and which have a permanent entry."""

    states: dict[str, SoftBounces]
    permanent: frozenset[str] = frozenset()


@frozen
class Applied:
    """What `FeedbackLedger.apply` did. `before`: keys applied earlier. `moved`: addresses
    whose soft bounces changed since they were read. With either, nothing was written and the
    caller retries (without those keys; after reading those addresses again). `held_back`:
    addresses whose expiring entry was not written because they have a permanent one."""

    before: frozenset[str] = frozenset()
    moved: frozenset[str] = frozenset()
    held_back: frozenset[str] = frozenset()


class FeedbackLedger(Protocol):
    """Which feedback events were applied, each address's soft bounces, and the one atomic
    write that applies events: markers, suppression entries, soft bounces, counter additions."""

    def soft_bounces(self, addresses: Sequence[str]) -> SoftRead: ...

    def apply(
        self,
        keys: list[str],
        entries: list[SuppressionEntry],
        soft: list[SoftWrite],
        counts: dict[str, dict[str, int]],
        now: int,
        expiring: Sequence[SuppressionEntry] = (),
    ) -> Applied:
        """All or nothing (see Applied). `counts`: day -> counter -> addition. An expiring
        entry is written only over nothing or another expiring entry."""
        ...


class ReputationCounters(Protocol):
    """Per-day counts of what was sent and what came back (sent, bounces, complaints...)."""

    def day_counts(self, first_day: str, last_day: str) -> list[DayCounts]:
        """Every day in [first_day, last_day] that has any, oldest first."""
        ...


class SendLedger(Protocol):
    """The messages we sent, by each Message-ID they may travel with, with their recipients
    (so a report that comes back as mail can be checked against them); counts `sent` per day."""

    def record_sent(
        self, addresses: Iterable[str], message_ids: Iterable[str], at: str, now: int
    ) -> None: ...

    def sent_messages(self, message_ids: Sequence[str], now: int) -> dict[str, frozenset[str]]:
        """Which of `message_ids` we sent lately (at most 100 looked up), with their recipients."""
        ...


# Which daily limit refused an automatic reply; "" when it was counted.
LimitReached = Literal["", "recipient", "domain"]


class AutoReplyLimits(Protocol):
    """Automatic replies counted per recipient and per domain per day (the loop limits)."""

    def auto_replies(self, address: str, day: str) -> int: ...

    def take_auto_reply(
        self, address: str, day: str, limit: int, now: int, domain_limit: int = 0
    ) -> LimitReached:
        """Count one unless a limit is reached: "" when counted, else "recipient" or "domain"."""
        ...


@frozen
class AckClaim:
    """An earlier claim on a ticket's one acknowledgement, as it stands."""

    state: AckState | None  # None: given back (SES never took it) since it was seen
    reason: str = ""


class AcknowledgementClaims(Protocol):
    """Each ticket's one acknowledgement, claimed before it is sent."""

    def claim_ack(self, ticket_id: str, at: str, now: int) -> AckClaim | None:
        """None when claimed now, else the earlier claim."""
        ...

    def finish_ack(
        self, ticket_id: str, state: AckState, reason: str = "", message_key: str = ""
    ) -> None: ...

    def release_ack(self, ticket_id: str) -> None:
        """Give the claim up: SES never took the mail, so a retry may send."""
        ...


class Sender(Protocol):
    """SES: SendRawEmail with a configuration set, and what the account says of an address."""

    def send_raw(self, raw: bytes, source: str, destinations: list[str]) -> str:
        """SES's message id; SendRefused when SES refuses the mail for good."""
        ...

    def account_suppressed(self, address: str) -> tuple[bool | None, str]:
        """On the account-level suppression list? (None: SES cannot say), and the reason."""
        ...

    def production_access(self) -> bool | None: ...

    def is_verified(self, address: str) -> bool: ...


# The account's own (bounce, complaint) rates from CloudWatch, cached; None: not known.
AccountRates = Callable[[], tuple[float | None, float | None]]
# SES's 24-hour quota and rate (sesv2 GetAccount); None: SES cannot say.
QuotaLookup = Callable[[], "SendQuota | None"]


class AnnouncementStore(Protocol):
    """Announcements, their recipients' states (moved only by conditional writes) and opt-outs."""

    def create(self, announcement: Announcement, recipients: Iterable[Recipient]) -> None: ...

    def get(self, announcement_id: str) -> Announcement | None: ...

    def set_state(
        self, announcement_id: str, state: AnnouncementState, started_by: str | None = None
    ) -> None:
        """Its state (a stop's reason cleared); `started_by` (None: unchanged) who sent it."""
        ...

    def stop(self, announcement_id: str, started_by: str, reason: str) -> bool:
        """STOPPED with `reason`, only while `started_by` is who sent it: False when someone
        has sent it again since (their batches go on)."""
        ...

    def listed(self, limit: int = 50) -> list[str]:
        """The newest announcement ids."""
        ...

    def recipients(self, announcement_id: str) -> Iterator[Recipient]: ...

    def recipient(self, announcement_id: str, address: str) -> Recipient | None: ...

    def claim(self, announcement_id: str, address: str, at: str) -> Recipient | None:
        """pending -> sending; None when the recipient was not pending."""
        ...

    def settle(
        self,
        announcement_id: str,
        address: str,
        state: RecipientState,
        from_states: tuple[RecipientState, ...],
        at: str,
        reason: str = "",
        ses_message_id: str = "",
    ) -> Recipient | None:
        """To `state` only from one of `from_states`; None when it was elsewhere."""
        ...

    def engage(self, announcement_id: str, address: str, clicked: bool, mark: str) -> bool:
        """One open (or click) mark into the recipient's set (a mark there already changes
        nothing); False for an unknown recipient or one holding MARKS_KEPT marks."""
        ...

    def opt_out(self, address: str, at: str, source: str) -> bool:
        """False when recorded before (the first one is kept)."""
        ...

    def opted_out(self, addresses: Iterable[str]) -> set[str]: ...


class ReplyClaims(Protocol):
    """Who is answering which message (two Sends at the same moment mail once)."""

    def claim(self, ticket_id: str, last_seen: str, agent: str, now: int) -> str:
        """Claim the reply after `last_seen`; the agent who holds it afterwards."""
        ...

    def release(self, ticket_id: str, last_seen: str, agent: str) -> None:
        """Give the claim back (nothing was sent), if it is still `agent`'s."""
        ...


class ReplyTickets(Protocol):
    """What sending needs of the tickets: read them, store what was sent on them."""

    def require_ticket(self, ticket_id: str) -> Ticket: ...

    def live_ticket(self, ticket_id: str) -> Ticket:
        """As it is now; MergedTicket when it was merged away."""
        ...

    def messages(self, ticket_id: str) -> list[StoredMessage]: ...

    def record_event(self, event: StoredMessage) -> None: ...

    def record_outbound(
        self,
        mailbox: str,
        message: StoredMessage,
        aliases: tuple[str, ...] = (),
        ses_message_id: str = "",
        moved: tuple[Ticket, TicketStatus] | None = None,
        answered: Ticket | None = None,
    ) -> bool: ...
