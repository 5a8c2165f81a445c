"""In memory: the suppression list, the feedback ledger and the reputation counters.

The same promises as the DynamoDB adapters (tests/contracts hold them to it): an expired
entry is not listed, an expiring entry never replaces a permanent one, an event applies
once, soft bounces are written only over the version they were read from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from chalicelib.domain.reputation import DayCounts
from chalicelib.domain.suppression import SoftBounces, SuppressionEntry
from chalicelib.services.ports.outbound import Applied, ListChange, SoftRead, SoftWrite

TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems: the caller sizes it


def _live(entry: SuppressionEntry | None, now: int) -> SuppressionEntry | None:
    return entry if entry and not (entry.expires_at and entry.expires_at <= now) else None


@dataclass
class FakeSuppressionList:
    stored: dict[str, SuppressionEntry] = field(default_factory=dict)  # expired ones too, as TTL lags
    changes: list[ListChange] = field(default_factory=list)

    def get(self, address: str, now: int) -> SuppressionEntry | None:
        return _live(self.stored.get(address), now)

    def entries(self, now: int) -> list[SuppressionEntry]:
        return [e for a, e in sorted(self.stored.items()) if _live(e, now)]

    def put(self, entry: SuppressionEntry, only_over: str = "") -> bool:
        there = self.stored.get(entry.address)
        if there is not None and (
            only_over == "absent" or (only_over == "expiring" and not there.expires_at)
        ):
            return False
        self.stored[entry.address] = entry
        return True

    def remove(self, address: str, change: ListChange) -> None:
        self.stored.pop(address, None)
        self.changes.append(change)

    def audit(self, change: ListChange) -> None:
        self.changes.append(change)

    def audit_log(self, limit: int = 100) -> list[ListChange]:
        newest = sorted(self.changes, key=lambda c: (c.at, c.address, c.action), reverse=True)
        return newest[:limit]

    def permanent(self, address: str) -> bool:
        there = self.stored.get(address)
        return there is not None and not there.expires_at


@dataclass
class FakeReputationCounters:
    days: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, day: str, added: dict[str, int]) -> None:
        totals = self.days.setdefault(day, {})
        for name, n in added.items():
            totals[name] = totals.get(name, 0) + n

    def day_counts(self, first_day: str, last_day: str) -> list[DayCounts]:
        return [
            DayCounts(day, dict(counts))
            for day, counts in sorted(self.days.items())
            if first_day <= day <= last_day
        ]


@dataclass
class FakeFeedbackLedger:
    suppression_list: FakeSuppressionList
    counters: FakeReputationCounters
    applied: set[str] = field(default_factory=set)
    soft: dict[str, SoftWrite] = field(default_factory=dict)  # address -> as written (version +1)

    def soft_bounces(self, addresses: Sequence[str]) -> SoftRead:
        wanted = list(dict.fromkeys(addresses))
        states = {a: self.soft[a].state if a in self.soft else SoftBounces(a) for a in wanted}
        permanent = frozenset(a for a in wanted if self.suppression_list.permanent(a))
        return SoftRead(states, permanent)

    def apply(
        self,
        keys: list[str],
        entries: list[SuppressionEntry],
        soft: list[SoftWrite],
        counts: dict[str, dict[str, int]],
        now: int,
        expiring: Sequence[SuppressionEntry] = (),
    ) -> Applied:
        items = len(keys) + len(entries) + len(expiring) + len(soft) + sum(1 for a in counts.values() if a)
        if items > TRANSACTION_ITEMS:  # DynamoDB refuses it (ValidationException), writing nothing
            raise ValueError(f"a transaction of {items} items: DynamoDB takes at most {TRANSACTION_ITEMS}")
        before = frozenset(k for k in keys if k in self.applied)
        if before:
            return Applied(before=before)
        moved = frozenset(w.state.address for w in soft if self._version(w.state.address) != w.state.version)
        if moved:
            return Applied(moved=moved)
        held = frozenset(e.address for e in expiring if self.suppression_list.permanent(e.address))
        self.applied.update(keys)
        for entry in entries:
            self.suppression_list.put(entry)
        for entry in expiring:
            if entry.address not in held:
                self.suppression_list.put(entry)
        for write in soft:
            state = replace(write.state, version=write.state.version + 1)
            self.soft[state.address] = SoftWrite(state, write.expires_at)
        for day, added in counts.items():
            if added:
                self.counters.add(day, added)
        return Applied(held_back=held)

    def _version(self, address: str) -> int:
        return self.soft[address].state.version if address in self.soft else 0
