"""In-memory saved replies and agent profiles (services/ports/composer.py), held to the
DynamoDB adapters by tests/contracts/test_composer_contract.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.saved_replies import AgentProfile, SavedReply


@dataclass
class FakeSavedReplies:
    items: dict[tuple[str, str], SavedReply] = field(default_factory=dict)

    def list(self, mailbox: str) -> list[SavedReply]:
        found = [r for (box, _), r in self.items.items() if box == mailbox]
        return sorted(found, key=lambda r: (r.title.casefold(), r.id))

    def get(self, mailbox: str, reply_id: str) -> SavedReply | None:
        return self.items.get((mailbox, reply_id))

    def put(self, reply: SavedReply, new: bool) -> bool:
        if ((reply.mailbox, reply.id) in self.items) == new:
            return False
        self.items[reply.mailbox, reply.id] = reply
        return True

    def delete(self, mailbox: str, reply_id: str) -> bool:
        return self.items.pop((mailbox, reply_id), None) is not None


@dataclass
class FakeAgentProfiles:
    profiles: dict[str, AgentProfile] = field(default_factory=dict)

    def get(self, agent: str) -> AgentProfile | None:
        return self.profiles.get(agent)

    def put(self, profile: AgentProfile) -> None:
        self.profiles[profile.agent] = profile
