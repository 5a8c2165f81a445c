"""What the composer's tools keep: a mailbox's saved replies and each agent's profile
(display name, signature). Implemented in DynamoDB (adapters/dynamodb_saved_replies.py,
adapters/dynamodb_agent_profiles.py) and in memory (tests/fakes/composer.py), held together
by tests/contracts/test_composer_contract.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.domain.saved_replies import AgentProfile, SavedReply


class SavedReplies(Protocol):
    def list(self, mailbox: str) -> list[SavedReply]:
        """The mailbox's saved replies, by title (case-insensitive), then id."""
        ...

    def get(self, mailbox: str, reply_id: str) -> SavedReply | None: ...

    def put(self, reply: SavedReply, new: bool) -> bool:
        """Write it; `new`: only if its id is free, else only if it exists. False when not."""
        ...

    def delete(self, mailbox: str, reply_id: str) -> bool:
        """False when there was none."""
        ...


class AgentProfiles(Protocol):
    def get(self, agent: str) -> AgentProfile | None: ...
    def put(self, profile: AgentProfile) -> None: ...
