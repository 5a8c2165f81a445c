"""In memory: who is answering which message (the same promises as dynamodb_reply_claims)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeReplyClaims:
    holders: dict[tuple[str, str], str] = field(default_factory=dict)  # (ticket, last seen) -> agent

    def claim(self, ticket_id: str, last_seen: str, agent: str, now: int) -> str:
        return self.holders.setdefault((ticket_id, last_seen), agent)

    def release(self, ticket_id: str, last_seen: str, agent: str) -> None:
        if self.holders.get((ticket_id, last_seen)) == agent:
            del self.holders[(ticket_id, last_seen)]
