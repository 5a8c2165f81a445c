"""What the ticket side needs from the outside world, as Protocols: tickets, deliveries,
suspended mail, the mail store, the queue and its edits, search, events, presence, staff names.

Services import these and the domain only; the adapter package implements them against
AWS, and tests/fakes implement them in memory. A contract suite runs the same tests against
both, so a fake cannot promise what the real adapter does not do. Storage key layout (pk/sk,
GSI names) lives in the adapter modules, never here: the records below are typed values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Protocol

# The domain types appear only in annotations here. Imported at run time they would load the
# announcements', feedback's and reputation's domain (a dozen frozen dataclasses) into every
# cold start of every function, the ingest's included, through any service naming a port.
if TYPE_CHECKING:
    from chalicelib.domain.message_claims import IndexEntry, UnfiledClaim
    from chalicelib.domain.reports import DayCounters
    from chalicelib.domain.search_terms import SearchQuery
    from chalicelib.domain.sign_in_throttle import Counter
    from chalicelib.domain.sla import SlaPolicy, SlaTarget
    from chalicelib.domain.ticket_events import EventKind
    from chalicelib.domain.tickets import StoredAttachment, StoredMessage, Ticket, TicketStatus
    from chalicelib.services.ports.records import (
        AgentStanding,
        ChangeCount,
        DeliveryRecord,
        Disposition,
        Lookup,
        ParticipantChange,
        Presence,
        QueueQuery,
        SuspendedMessage,
        TicketChange,
    )


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
    def pinned_ticket_id(self, ses_message_id: str) -> str | None:
        """The number allocate_ticket_id pinned to this key, without drawing one (None: none yet)."""
        ...

    def messages(self, ticket_id: str) -> list[StoredMessage]: ...
    def commit_new(
        self,
        ses_message_id: str,
        ticket: Ticket,
        message: StoredMessage,
        record: DeliveryRecord,
        last_number: int,
        terms: tuple[str, ...] = (),
        entry: IndexEntry | None = None,
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
        entry: IndexEntry | None = None,
    ) -> None: ...
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


class Deliveries(Protocol):
    """One record per SES delivery, written once (the pipeline's exactly-once)."""

    def get_delivery(self, ses_message_id: str) -> DeliveryRecord | None: ...
    def record_delivery(
        self, ses_message_id: str, record: DeliveryRecord, suspended: SuspendedMessage | None = None
    ) -> None: ...
    def claim_unfiled(self, claim: UnfiledClaim, ses_message_id: str) -> str:
        """The delivery that files the mail `claim` describes on no ticket: `ses_message_id`
        if no other claimed it first (or it claimed it before), else the first one's id."""
        ...

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

    def link(self, attachment: StoredAttachment) -> tuple[str, Disposition]:
        """A short-lived URL for the file, and its disposition."""
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

    def replace(
        self,
        before: Ticket,
        after: Ticket,
        events: tuple[StoredMessage, ...] = (),
        terms: tuple[str, ...] = (),
    ) -> None:
        """`after` in place of `before`, only if nobody changed it since (else ConcurrentUpdate);
        `terms` join the search index in the same write (a new subject's)."""
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
        self,
        source: Ticket,
        target: Ticket,
        messages: list[StoredMessage],
        updated_at: str,
        terms: tuple[str, ...] = (),
    ) -> None:
        """Move some of `source`'s messages to `target`, `target` indexed by `terms` first."""
        ...

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


class SlaSettings(Protocol):
    """The SLA targets per mailbox and priority (domain/sla.py), set by an admin."""

    def policy(self) -> SlaPolicy: ...
    def set_target(self, mailbox: str, priority: str, target: SlaTarget) -> None:
        """Set one pair's target; SlaTarget() (two zeros) clears it."""
        ...


class SlaWatch(Protocol):
    """The tickets whose next SLA breach is due, and the write that flags it."""

    def overdue(self, mailbox: str, now: str, limit: int) -> list[Ticket]:
        """Up to `limit` tickets of `mailbox` with a running clock due by `now`, earliest first."""
        ...

    def flag(self, before: Ticket, after: Ticket) -> bool:
        """Write `after`'s clock if the clock is still `before`'s; False when it changed."""
        ...

    def moved(self, mailbox: str, ticket_id: str) -> None:
        """Move the mailbox's change counter (ChangeCounters): due times of its queue moved,
        the open consoles read it again."""
        ...


class AlertPreferences(Protocol):
    """Whether an agent wants a mail when a customer replies on their ticket (default: no)."""

    def wants_reply_mail(self, agent: str) -> bool: ...
    def set_reply_mail(self, agent: str, on: bool) -> None: ...


class ChangeCounters(Protocol):
    def counts(self, scopes: Sequence[str]) -> list[ChangeCount]:
        """The counters of `scopes` (zeros for one never bumped), in one read."""
        ...


class ReportCounters(Protocol):
    def stored_days(self, mailbox: str, first_day: str) -> tuple[list[DayCounters], int]:
        """The report counters of `mailbox` from `first_day` to the newest (one Query), and its
        unsolved tickets now."""
        ...


class PresenceStore(Protocol):
    def touch(
        self, ticket_id: str, agent: str, writing: bool, seen_at: str, expires_at: int
    ) -> tuple[bool, int] | None:
        """Write the agent's presence; the one it replaced ((writing, expires_at)), if any."""
        ...

    def leave(self, ticket_id: str, agent: str) -> bool:
        """End it; whether there was one."""
        ...

    def present(self, ticket_id: str, now: int) -> list[Presence]: ...
    def signal(self, ticket_id: str) -> int:
        """Move the ticket's presence counter (ChangeCounters scope TICKET_SCOPE + ticket_id);
        its new value."""
        ...


class AgentNames(Protocol):
    def name_of(self, subject: str) -> str: ...
    def record(self, subject: str, name: str) -> str: ...
    def enlist(self, subject: str, name: str) -> None: ...
    def set_disabled(self, name: str, disabled: bool) -> None: ...
    def roster(self) -> list[str]: ...
    def is_agent(self, name: str) -> bool: ...
    def is_disabled(self, name: str) -> bool: ...
    def set_role(self, name: str, role: str) -> None:
        """Record the role an admin gave `name` (nothing for a name that never signed in)."""
        ...

    def standing(self, name: str) -> AgentStanding:
        """Enabled and recorded role, read consistently at the moment of asking."""
        ...


class AttemptCounters(Protocol):
    def add(self, counter: Counter) -> int: ...
    def take_back(self, counter: Counter) -> None:
        """Count one attempt of the window fewer (never below none)."""
        ...
