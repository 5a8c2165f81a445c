"""What the services need from the outside world, as Protocols.

Services import these and the domain only; the adapter package implements them against
AWS, and tests/fakes implement them in memory. A contract suite runs the same tests against
both, so a fake cannot promise what the real adapter does not do. Storage key layout (pk/sk,
GSI names) lives in the adapter modules, never here: the records below are typed values.

Over 300 lines on purpose: every port in one module, read as the list of what the services
need (two sections: the desk and ingest side, the outbound side).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

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
    from chalicelib.domain.feedback import ListAction, SoftBounces, SuppressionEntry
    from chalicelib.domain.reputation import DayCounts
    from chalicelib.domain.search_terms import SearchQuery
    from chalicelib.domain.send_policy import AckState
    from chalicelib.domain.sign_in_throttle import Counter
    from chalicelib.domain.ticket_events import EventKind
    from chalicelib.domain.tickets import StoredAttachment, StoredMessage, Ticket, TicketStatus

ParticipantChange = Literal["add", "remove"]

# --- tickets, deliveries, held mail, mail store, search, events, secrets, clock ---

# The reply-token secrets, newest first (rotation keeps the previous one valid a while).
ReplySecrets = Callable[[], tuple[bytes, ...]]
# A delivery record: what a committed delivery left behind, so a redelivery answers the
# same (Outcome.as_record() plus `received_at`, `quarantine_reason` and use-case details).
DeliveryRecord = dict[str, Any]


@dataclass(frozen=True)
class Lookup:
    """What ingest reads before filing a mail, in one request."""

    delivery: DeliveryRecord | None  # the delivery record, when this delivery was committed before
    last_number: int  # the ticket counter: the next new ticket is number last_number + 1
    message_ids: dict[str, str]  # Message-ID -> ticket id, for the ids this mailbox stored or sent


@dataclass(frozen=True)
class TicketChange:
    """How an existing ticket changes when a message joins it."""

    ticket_id: str
    updated_at: str
    new_participants: tuple[str, ...] = ()
    attachments: int = 0
    reopen_to: str = ""  # new status, when the message reopens the ticket
    old_status: str = ""
    reopened: Ticket | None = None  # the ticket as read, when reopen_to moves it in the queue


@dataclass(frozen=True)
class SuspendedMessage:
    """Automatic mail that threaded nowhere, held for staff review (the suspended list)."""

    mailbox: str
    ses_message_id: str
    received_at: str
    archive_key: str  # where its raw mail is kept
    sender: str = ""
    subject: str = ""
    reason: str = ""
    recipients: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Its name on the list (the API's path): receipt time first, so the list reads in order."""
        return f"{self.received_at}#{self.ses_message_id}"


@dataclass(frozen=True)
class QueueQuery:
    """Which tickets: `assignee` None = anyone's, "" = unassigned only, else that agent's."""

    mailbox: str | None
    statuses: tuple[TicketStatus, ...]
    assignee: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Presence:
    agent: str
    writing: bool
    seen_at: str


@dataclass(frozen=True)
class QuarantinedMail:
    key: str  # where it lies in quarantine/failed/
    ses_message_id: str


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receipt_handle: str
    body: str
    message_attributes: dict[str, Any] = field(default_factory=dict)


class TicketStore(Protocol):
    """Tickets, their messages and the Message-ID index; a new message commits with its
    delivery record, search terms and index entries, all or nothing."""

    def get_ticket(self, ticket_id: str) -> Ticket | None: ...
    def require_ticket(self, ticket_id: str) -> Ticket: ...
    def live_ticket(self, ticket_id: str) -> Ticket: ...
    def get_tickets(self, ticket_ids: list[str]) -> dict[str, Ticket]: ...
    def tickets_by_message_ids(self, mailbox: str, message_ids: list[str]) -> dict[str, str]: ...
    def look_up(self, ses_message_id: str, mailbox: str, message_ids: list[str]) -> Lookup: ...
    def ticket_counter(self) -> int: ...
    def allocate_ticket_id(self, ses_message_id: str) -> str: ...
    def messages(self, ticket_id: str) -> list[StoredMessage]: ...
    def commit_new(
        self,
        ses_message_id: str,
        ticket: Ticket,
        message: StoredMessage,
        record: DeliveryRecord,
        last_number: int,
        terms: tuple[str, ...] = (),
    ) -> None: ...
    def commit_thread(
        self,
        ses_message_id: str,
        mailbox: str,
        change: TicketChange,
        message: StoredMessage,
        record: DeliveryRecord,
        terms: tuple[str, ...] = (),
        created_at: str = "",
    ) -> None: ...
    def record_event(self, event: StoredMessage) -> None: ...
    def record_outbound(
        self,
        mailbox: str,
        message: StoredMessage,
        aliases: tuple[str, ...] = (),
        ses_message_id: str = "",
        moved: tuple[Ticket, TicketStatus] | None = None,
    ) -> bool: ...


class Deliveries(Protocol):
    """One record per SES delivery, written once (the pipeline's exactly-once)."""

    def get_delivery(self, ses_message_id: str) -> DeliveryRecord | None: ...
    def record_delivery(
        self, ses_message_id: str, record: DeliveryRecord, suspended: SuspendedMessage | None = None
    ) -> None: ...
    def count_sweep_attempt(self, ses_message_id: str) -> int: ...
    def clear_failed(self, ses_message_id: str) -> bool: ...
    def reset_sweep_attempts(self, ses_message_id: str) -> None: ...


class SuspendedList(Protocol):
    def suspended(self, mailbox: str) -> list[SuspendedMessage]: ...
    def get_suspended(self, mailbox: str, key: str) -> SuspendedMessage | None: ...
    def delete_suspended(self, mailbox: str, key: str) -> None: ...


class MailStore(Protocol):
    """Raw mail (incoming/, archive/, quarantine/), large bodies and attachment files."""

    bucket: str

    def get_raw(self, bucket: str, key: str) -> bytes: ...
    def get_raw_within(self, bucket: str, key: str, limit: int) -> tuple[int, bytes | None]: ...
    def put_incoming(self, ses_message_id: str, raw: bytes) -> str: ...
    def archive_key(self, ses_message_id: str, received_at: str) -> str: ...
    def archive(self, bucket: str, key: str, ses_message_id: str, received_at: str) -> str: ...
    def quarantine(self, bucket: str, key: str, ses_message_id: str, reason: str, detail: str) -> str: ...
    def list_incoming(self) -> list[tuple[str, datetime]]: ...
    def put_attachment(
        self, key: str, payload: bytes | IO[bytes], content_type: str, filename: str
    ) -> None: ...
    def put_body(self, key: str, body: dict[str, str]) -> None: ...
    def get_body(self, key: str) -> dict[str, str]: ...


class DownloadLinks(Protocol):
    expires: int  # seconds a link works

    def link(self, attachment: StoredAttachment) -> tuple[str, str]:
        """A short-lived URL for the file, and its disposition ("inline" or "attachment")."""
        ...


class Events(Protocol):
    def publish_event(self, kind: EventKind, ticket_id: str, detail: Mapping[str, Any] | None = None) -> bool:
        """Best effort, after the commit: False when it could not be published."""
        ...


class TicketQueue(Protocol):
    def page(
        self, query: QueueQuery, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]: ...
    def unassigned(self, mailbox: str, statuses: tuple[TicketStatus, ...]) -> Iterator[Ticket]: ...
    def load(self, ticket_id: str) -> tuple[Ticket, str]:
        """The ticket as it is now and the ticket it was merged into ("" if none)."""
        ...

    def replace(self, before: Ticket, after: Ticket, events: tuple[StoredMessage, ...] = ()) -> None:
        """`after` in place of `before`, only if nobody changed it since (else ConcurrentUpdate)."""
        ...


class TicketEdits(Protocol):
    merge_chunk: int  # messages one merge_messages call may move

    def add_message(self, ticket: Ticket, message: StoredMessage, updated_at: str) -> None: ...
    def split(
        self,
        source: Ticket,
        message: StoredMessage,
        new: Ticket,
        updated_at: str,
        terms: tuple[str, ...] = (),
        events: tuple[StoredMessage, ...] = (),
    ) -> None: ...
    def merge_messages(
        self, source: Ticket, target: Ticket, messages: list[StoredMessage], updated_at: str
    ) -> None: ...
    def close_merged(
        self, source: Ticket, target: Ticket, updated_at: str, events: tuple[StoredMessage, ...] = ()
    ) -> None: ...
    def change_participants(
        self,
        ticket: Ticket,
        action: ParticipantChange,
        address: str,
        updated_at: str,
        room: int,
        events: tuple[StoredMessage, ...] = (),
    ) -> None: ...


class SearchIndex(Protocol):
    def search(
        self, query: SearchQuery, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        """Tickets having every term of the query, newest first, and the next page's cursor."""
        ...

    def requester_tickets(
        self, requester: str, limit: int, cursor: str | None = None
    ) -> tuple[list[Ticket], str | None]:
        """A requester's tickets in every mailbox, newest first."""
        ...

    def add_terms(self, ticket: Ticket, terms: Sequence[str]) -> None:
        """Index a ticket filed before the index existed (idempotent)."""
        ...


class PresenceStore(Protocol):
    def touch(self, ticket_id: str, agent: str, writing: bool, seen_at: str, expires_at: int) -> None: ...
    def leave(self, ticket_id: str, agent: str) -> None: ...
    def present(self, ticket_id: str, now: int) -> list[Presence]: ...


class AgentNames(Protocol):
    def name_of(self, subject: str) -> str: ...
    def record(self, subject: str, name: str) -> str: ...
    def enlist(self, subject: str, name: str) -> None: ...
    def set_disabled(self, name: str, disabled: bool) -> None: ...
    def roster(self) -> list[str]: ...


class AttemptCounters(Protocol):
    def add(self, counter: Counter) -> int: ...


class Quarantine(Protocol):
    """quarantine/failed/ as the re-drive sees it."""

    bucket: str

    def failed(self) -> list[QuarantinedMail]: ...
    def original_key(self, mail: QuarantinedMail) -> str: ...
    def copy_back(self, mail: QuarantinedMail, target: str) -> bool: ...
    def discard(self, mail: QuarantinedMail) -> None: ...


class DeadLetters(Protocol):
    """One queue's dead-letter queue, moved back to it."""

    @property
    def name(self) -> str: ...
    @property
    def dead_letter_name(self) -> str: ...
    def waiting(self) -> int: ...
    def receive(self) -> list[DeadLetter]: ...
    def send_to_source(self, letters: Sequence[DeadLetter]) -> set[str]: ...
    def delete(self, letters: Sequence[DeadLetter]) -> set[str]: ...


# --- outbound: suppression list, feedback ledger, send ledger, sender ---


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SoftWrite:
    """An address's soft bounces as a transaction writes them: only over the version
    `state` was read from, with the next version, kept until `expires_at`."""

    state: SoftBounces
    expires_at: int


@dataclass(frozen=True)
class SoftRead:
    """What `soft_bounces` read: each address's soft bounces, and which have a permanent entry."""

    states: dict[str, SoftBounces]
    permanent: frozenset[str] = frozenset()


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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

    def set_state(self, announcement_id: str, state: AnnouncementState) -> None: ...

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
    ) -> bool: ...
