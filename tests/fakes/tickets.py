"""In-memory tickets, delivery records and the suspended list (ports.TicketStore, Deliveries,
SuspendedList), held to the DynamoDB adapters by tests/contracts/test_ticket_store_contract.py.

One `FakeTickets` keeps all three kinds, as the one table does, so a commit writes its
delivery record with the message, all or nothing, exactly as the adapter's transaction does.
Over 300 lines on purpose: for the same reason it also keeps what those transactions write
beside the ticket (the change and report counters, the SLA clocks, the search terms), which
the other fakes (fakes/desk.py, fakes/search.py) read and write through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from chalicelib.domain import report_counts, sla
from chalicelib.domain.message_claims import IndexEntry, MessageIdClaim, UnfiledClaim
from chalicelib.domain.participants import MAX_PARTICIPANTS
from chalicelib.domain.reports import DayCounters
from chalicelib.domain.tickets import FIRST_TICKET_NUMBER, MessageKind, StoredMessage, Ticket, ticket_id_for
from chalicelib.errors import (
    AlreadyProcessed,
    ConcurrentUpdate,
    DuplicateMessageId,
    MergedTicket,
    TicketNotFound,
    TicketNumberTaken,
)
from chalicelib.services.ports.records import (
    AGENT_SCOPE,
    ChangeCount,
    DeliveryRecord,
    Lookup,
    SuspendedMessage,
    TicketChange,
)


@dataclass
class FakeTickets:
    tickets: dict[str, Ticket] = field(default_factory=dict)
    merged_into: dict[str, str] = field(default_factory=dict)
    thread: dict[str, dict[str, StoredMessage]] = field(default_factory=dict)  # ticket -> key -> message
    index: dict[tuple[str, str], str] = field(default_factory=dict)  # (mailbox, Message-ID) -> ticket
    claims: dict[tuple[str, str], MessageIdClaim] = field(default_factory=dict)  # of a received mail's entry
    index_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # the entry's message key
    counter: int = 0
    allocated: dict[str, str] = field(default_factory=dict)
    records: dict[str, DeliveryRecord] = field(default_factory=dict)
    sweeps: dict[str, int] = field(default_factory=dict)
    suspended_mail: dict[tuple[str, str], SuspendedMessage] = field(default_factory=dict)
    unfiled_claims: dict[UnfiledClaim, str] = field(default_factory=dict)  # -> the delivery that holds it
    changes: dict[str, ChangeCount] = field(default_factory=dict)  # scope -> counter
    report: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)  # (box, day, agent)
    unsolved: dict[str, int] = field(default_factory=dict)  # mailbox -> report's open count
    terms: dict[str, set[str]] = field(default_factory=dict)  # search term -> tickets (fakes/search.py)

    def add_terms(self, ticket_id: str, terms: Sequence[str]) -> None:
        """The search index's write, which the adapter makes in the same transaction."""
        for term in terms:
            self.terms.setdefault(term, set()).add(ticket_id)

    # -- ReportCounters --------------------------------------------------------
    def stored_days(self, mailbox: str, first_day: str) -> tuple[list[DayCounters], int]:
        rows = [
            DayCounters(box, day, agent, dict(counts))
            for (box, day, agent), counts in sorted(self.report.items())
            if box == mailbox and day >= first_day
        ]
        return rows, self.unsolved.get(mailbox, 0)

    def add_report(self, tallies: list[report_counts.Tally]) -> None:
        """What the adapter's `report_adds` transaction items do."""
        for tally in report_counts.combined(tallies):
            counts = self.report.setdefault((tally.mailbox, tally.day, tally.agent), {})
            for name, n in tally.counts.items():
                counts[name] = counts.get(name, 0) + n
            if not tally.agent:
                self.unsolved[tally.mailbox] = self.unsolved.get(tally.mailbox, 0) + tally.counts.get(
                    "net", 0
                )

    sla_policy: sla.SlaPolicy = field(default_factory=sla.SlaPolicy)

    # -- SlaWatch ----------------------------------------------------------------
    def overdue(self, mailbox: str, now: str, limit: int) -> list[Ticket]:
        """The adapter's sparse index: tickets with a due still to breach, by that due."""
        watched = [
            t
            for t in self.tickets.values()
            if t.mailbox == mailbox and t.sla.watch_due and t.sla.watch_due <= now
        ]
        return sorted(watched, key=lambda t: (t.sla.watch_due, t.id))[:limit]

    def flag(self, before: Ticket, after: Ticket) -> bool:
        now = self.tickets.get(before.id)
        if now is None or now.sla != before.sla:
            return False
        self.tickets[before.id] = replace(now, sla=after.sla)
        return True

    def moved(self, mailbox: str, ticket_id: str) -> None:
        self.bump(mailbox, ticket_id)

    # -- SlaSettings -------------------------------------------------------------
    def policy(self) -> sla.SlaPolicy:
        return self.sla_policy

    def set_target(self, mailbox: str, priority: str, target: sla.SlaTarget) -> None:
        self.sla_policy = self.sla_policy.with_target(mailbox, priority, target)

    # -- ChangeCounters ----------------------------------------------------------
    def counts(self, scopes: list[str]) -> list[ChangeCount]:
        return [self.changes.get(s, ChangeCount(scope=s)) for s in dict.fromkeys(scopes)]

    def bump(self, scope: str, ticket_id: str, *counted: str) -> None:
        """What the adapter's transaction item `dynamodb_changes.bump` does."""
        now = self.changes.get(scope, ChangeCount(scope=scope))
        more = {name: getattr(now, name) + 1 for name in ("changes", *counted)}
        self.changes[scope] = replace(now, ticket=ticket_id, **more)

    # -- TicketStore: reads ----------------------------------------------------
    def get_ticket(self, ticket_id: str) -> Ticket | None:
        return self.tickets.get(ticket_id)

    def require_ticket(self, ticket_id: str) -> Ticket:
        if ticket_id not in self.tickets:
            raise TicketNotFound(ticket_id)
        return self.tickets[ticket_id]

    def live_ticket(self, ticket_id: str) -> Ticket:
        ticket = self.require_ticket(ticket_id)
        if ticket_id in self.merged_into:
            raise MergedTicket(ticket_id, self.merged_into[ticket_id])
        return ticket

    def get_tickets(self, ticket_ids: list[str]) -> dict[str, Ticket]:
        return {t: self.tickets[t] for t in list(dict.fromkeys(ticket_ids))[:100] if t in self.tickets}

    def tickets_by_message_ids(self, mailbox: str, message_ids: list[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(m for m in message_ids if m))[:100]
        return {m: self.index[mailbox, m] for m in wanted if (mailbox, m) in self.index}

    def look_up(self, ses_message_id: str, mailbox: str, message_ids: list[str]) -> Lookup:
        wanted = list(dict.fromkeys(m for m in message_ids if m))[:98]
        found = {m: self.index[mailbox, m] for m in wanted if (mailbox, m) in self.index}
        policy = self.sla_policy if self.sla_policy.targets else None
        claims = {m: self.claims.get((mailbox, m), MessageIdClaim()) for m in found}
        return Lookup(self.get_delivery(ses_message_id), self.counter, found, policy, claims)

    def ticket_counter(self) -> int:
        return self.counter

    def messages(self, ticket_id: str) -> list[StoredMessage]:
        return sorted(self.thread.get(ticket_id, {}).values(), key=lambda m: (m.received_at, m.key))

    # -- TicketStore: writes ---------------------------------------------------
    def allocate_ticket_id(self, ses_message_id: str) -> str:
        self.counter += 1
        return self.allocated.setdefault(ses_message_id, ticket_id_for(self.counter))

    def pinned_ticket_id(self, ses_message_id: str) -> str | None:
        return self.allocated.get(ses_message_id)

    def commit_new(
        self,
        ses_message_id: str,
        ticket: Ticket,
        message: StoredMessage,
        record: DeliveryRecord,
        last_number: int,
        terms: tuple[str, ...] = (),
        entry: IndexEntry | None = None,
    ) -> None:
        self._check_delivery(ses_message_id)
        self._check_index(ticket.mailbox, message, entry)
        number = int(ticket.id.removeprefix("T-")) - FIRST_TICKET_NUMBER
        if ticket.id in self.tickets or self.counter != last_number:
            raise TicketNumberTaken(number, ticket_exists=ticket.id in self.tickets)
        self.counter = number
        everyone = tuple(sorted(set(ticket.participants) | {ticket.requester}))
        self.tickets[ticket.id] = replace(ticket, participants=everyone, tags=tuple(sorted(ticket.tags)))
        self._store(ses_message_id, ticket.mailbox, message, record, entry)
        self.add_terms(ticket.id, terms)
        self.bump(ticket.mailbox, ticket.id, "tickets")
        self.add_report(report_counts.filed(ticket))

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
    ) -> None:
        self._check_delivery(ses_message_id)
        self._check_index(mailbox, message, entry)
        ticket = self.tickets.get(change.ticket_id)
        new = set(change.new_participants)
        if (
            ticket is None
            or (new and len(ticket.participants) > MAX_PARTICIPANTS + 1 - len(new))
            or (change.reopen_to and ticket.status != change.old_status)
        ):
            raise ConcurrentUpdate(f"ticket changed while committing: {change.ticket_id}")
        self.tickets[ticket.id] = replace(
            ticket,
            updated_at=change.updated_at,
            message_count=ticket.message_count + 1,
            attachment_count=ticket.attachment_count + change.attachments,
            participants=tuple(sorted(set(ticket.participants) | new)),
            status=change.reopen_to or ticket.status,
            last_from=change.last_from or ticket.last_from,
            sla=change.restarted.sla if change.restarted is not None else ticket.sla,
            requester_authenticated=ticket.requester_authenticated or change.requester_authenticated,
        )
        self._store(ses_message_id, mailbox, message, record, entry)
        self.add_terms(ticket.id, terms)
        self.bump(mailbox, ticket.id)
        if change.reopen_to:
            self.add_report(
                report_counts.reopened(mailbox, change.old_status, change.reopen_to, change.updated_at)
            )
        if change.assignee and change.last_from == "customer":
            self.bump(AGENT_SCOPE + change.assignee, ticket.id, "replies")

    def record_event(self, event: StoredMessage) -> None:
        self.thread.setdefault(event.ticket_id, {})[event.key] = event

    def record_outbound(
        self,
        mailbox: str,
        message: StoredMessage,
        aliases: tuple[str, ...] = (),
        ses_message_id: str = "",
        moved: tuple[Ticket, str] | None = None,
        answered: Ticket | None = None,
    ) -> bool:
        if message.key in self.thread.get(message.ticket_id, {}):
            return False
        ticket = self.live_ticket(message.ticket_id)
        status = ticket.status
        if moved is not None and moved[0].status != moved[1]:
            before = moved[0]
            unchanged = (ticket.status, ticket.assignee, ticket.priority) == (
                before.status,
                before.assignee,
                before.priority,
            )
            status = moved[1] if unchanged else ticket.status
        tallies = []
        if moved is not None and message.kind == MessageKind.STAFF and not ticket.staff_replied:
            tallies += report_counts.first_response(ticket, message.sender_name, message.received_at)
        if status != ticket.status:
            tallies += report_counts.status_changed(
                ticket, replace(ticket, status=status, updated_at=message.received_at)
            )
        self.add_report(tallies)
        self.tickets[ticket.id] = replace(
            ticket,
            status=status,
            updated_at=message.received_at,
            message_count=ticket.message_count + 1,
            attachment_count=ticket.attachment_count + len(message.attachments),
            **({"last_from": "staff", "staff_replied": True} if message.kind == MessageKind.STAFF else {}),
            sla=ticket.sla if answered is None else sla.answered(ticket.sla, answered.sla.first_response_at),
        )
        self.thread.setdefault(message.ticket_id, {})[message.key] = message
        for message_id in (message.message_id, *aliases):
            if message_id:
                self.index[mailbox, message_id] = message.ticket_id
                self.index_keys[mailbox, message_id] = message.key
                self.claims.pop((mailbox, message_id), None)  # the adapter's put replaces the item
        if message.kind == MessageKind.STAFF:
            self.bump(mailbox, message.ticket_id)
        return True

    def _check_delivery(self, ses_message_id: str) -> None:
        if ses_message_id in self.records:
            raise AlreadyProcessed(ses_message_id)

    def _check_index(self, mailbox: str, message: StoredMessage, entry: IndexEntry | None) -> None:
        """The adapter's condition on the index entry's put (dynamodb_ticket_updates.index_puts)."""
        if not message.message_id or (entry is not None and not entry.indexed):
            return
        key = (mailbox, message.message_id)
        if entry is not None and entry.replaces is not None:
            if key not in self.index or self.claims.get(key, MessageIdClaim()).fingerprint != (
                entry.replaces.fingerprint
            ):
                raise DuplicateMessageId(message.message_id)
        elif key in self.index:
            raise DuplicateMessageId(message.message_id)

    def _store(
        self,
        ses_message_id: str,
        mailbox: str,
        message: StoredMessage,
        record: DeliveryRecord,
        entry: IndexEntry | None = None,
    ) -> None:
        self.records[ses_message_id] = {k: v for k, v in record.items() if v is not None and v != ""}
        self.thread.setdefault(message.ticket_id, {})[message.key] = message
        if message.message_id and (entry is None or entry.indexed):
            self.index[mailbox, message.message_id] = message.ticket_id
            self.index_keys[mailbox, message.message_id] = message.key
            if entry is not None and entry.claim.fingerprint:
                self.claims[mailbox, message.message_id] = entry.claim
            else:
                self.claims.pop((mailbox, message.message_id), None)

    # -- Deliveries --------------------------------------------------------------
    def get_delivery(self, ses_message_id: str) -> DeliveryRecord | None:
        found = self.records.get(ses_message_id)
        return dict(found) if found is not None else None

    def record_delivery(
        self, ses_message_id: str, record: DeliveryRecord, suspended: SuspendedMessage | None = None
    ) -> None:
        self._check_delivery(ses_message_id)
        self.records[ses_message_id] = {k: v for k, v in record.items() if v is not None and v != ""}
        if suspended is not None:
            self.suspended_mail[suspended.mailbox, suspended.key] = suspended

    def claim_unfiled(self, claim: UnfiledClaim, ses_message_id: str) -> str:
        return self.unfiled_claims.setdefault(claim, ses_message_id)

    def count_sweep_attempt(self, ses_message_id: str) -> int:
        self.sweeps[ses_message_id] = self.sweeps.get(ses_message_id, 0) + 1
        return self.sweeps[ses_message_id]

    def clear_failed(self, ses_message_id: str) -> bool:
        record = self.records.get(ses_message_id) or {}
        if (record.get("outcome"), record.get("quarantine_reason")) != ("quarantined", "failed"):
            return False
        del self.records[ses_message_id]
        return True

    def reset_sweep_attempts(self, ses_message_id: str) -> None:
        self.sweeps.pop(ses_message_id, None)

    # -- SuspendedList -------------------------------------------------------------
    def suspended(self, mailbox: str) -> list[SuspendedMessage]:
        return [mail for (box, key), mail in sorted(self.suspended_mail.items()) if box == mailbox]

    def get_suspended(self, mailbox: str, key: str) -> SuspendedMessage | None:
        return self.suspended_mail.get((mailbox, key))

    def delete_suspended(self, mailbox: str, key: str) -> None:
        self.suspended_mail.pop((mailbox, key), None)
