"""In memory: the send ledger, the automatic-reply limits and the acknowledgement claims.

The same promises as the DynamoDB adapters (tests/contracts hold them to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from chalicelib.domain.send_policy import AckState
from chalicelib.services.ports.outbound import AckClaim, LimitReached
from tests.fakes.suppression import FakeReputationCounters

SENT_SECONDS = 30 * 86_400
MAX_ID_BYTES = 1_000
LOOKED_UP = 100


def _ours(message_id: str) -> bool:
    return bool(message_id) and len(message_id.encode()) <= MAX_ID_BYTES


@dataclass
class FakeSendLedger:
    counters: FakeReputationCounters
    sent: dict[str, tuple[frozenset[str], int]] = field(default_factory=dict)  # id -> recipients, expires

    def record_sent(self, addresses: Iterable[str], message_ids: Iterable[str], at: str, now: int) -> None:
        recipients = frozenset(addresses)
        for message_id in message_ids:
            if _ours(message_id):
                self.sent[message_id] = (recipients, now + SENT_SECONDS)
        self.counters.add(at[:10], {"sent": len(recipients)})

    def sent_messages(self, message_ids: Sequence[str], now: int) -> dict[str, frozenset[str]]:
        wanted = [m for m in dict.fromkeys(message_ids) if _ours(m)][:LOOKED_UP]
        return {m: self.sent[m][0] for m in wanted if m in self.sent and self.sent[m][1] > now}


@dataclass
class FakeAutoReplies:
    counted: dict[tuple[str, str], int] = field(default_factory=dict)  # (AUTO#a or AUTODOMAIN#d, day)

    def auto_replies(self, address: str, day: str) -> int:
        return self.counted.get((f"AUTO#{address}", day), 0)

    def take_auto_reply(
        self, address: str, day: str, limit: int, now: int, domain_limit: int = 0
    ) -> LimitReached:
        counters: list[tuple[str, str, int, LimitReached]] = [(f"AUTO#{address}", day, limit, "recipient")]
        if domain_limit:
            domain = address.rpartition("@")[2]
            counters.append((f"AUTODOMAIN#{domain}", day, domain_limit, "domain"))
        for key, day_, most, full in counters:
            # As DynamoDB's condition reads it: a counter not yet written never refuses.
            if (key, day_) in self.counted and self.counted[(key, day_)] >= most:
                return full
        for key, day_, _, _ in counters:
            self.counted[(key, day_)] = self.counted.get((key, day_), 0) + 1
        return ""


@dataclass
class FakeAcknowledgements:
    claims: dict[str, tuple[AckState, str, str]] = field(default_factory=dict)  # ticket -> state, reason, key

    def claim_ack(self, ticket_id: str, at: str, now: int) -> AckClaim | None:
        if ticket_id in self.claims:
            state, reason, _ = self.claims[ticket_id]
            return AckClaim(state, reason)
        self.claims[ticket_id] = (AckState.CLAIMED, "", "")
        return None

    def finish_ack(self, ticket_id: str, state: AckState, reason: str = "", message_key: str = "") -> None:
        self.claims[ticket_id] = (state, reason, message_key)

    def release_ack(self, ticket_id: str) -> None:
        self.claims.pop(ticket_id, None)
