"""In-memory agent names and presence (ports.AgentNames, ports.PresenceStore), held to the
DynamoDB adapters by tests/contracts/test_staff_contract.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.services.ports.records import Presence


@dataclass
class FakeAgents:
    names: dict[str, str] = field(default_factory=dict)  # sub -> name, written once
    directory: dict[str, str] = field(default_factory=dict)  # name -> sub
    disabled: set[str] = field(default_factory=set)  # names `inbound staff disable` marked

    def name_of(self, subject: str) -> str:
        return self.names.get(subject, "")

    def record(self, subject: str, name: str) -> str:
        if subject not in self.names:
            self.names[subject] = name
            self.directory[name] = subject
        return self.names[subject]

    def enlist(self, subject: str, name: str) -> None:
        self.directory[name] = subject

    def set_disabled(self, name: str, disabled: bool) -> None:
        if name in self.directory:
            (self.disabled.add if disabled else self.disabled.discard)(name)

    def roster(self) -> list[str]:
        return sorted(set(self.directory) - self.disabled)

    def is_agent(self, name: str) -> bool:
        return name in self.directory and name not in self.disabled


@dataclass
class FakePresence:
    seen: dict[tuple[str, str], tuple[Presence, int]] = field(default_factory=dict)

    def touch(self, ticket_id: str, agent: str, writing: bool, seen_at: str, expires_at: int) -> None:
        self.seen[ticket_id, agent] = (Presence(agent, writing, seen_at), expires_at)

    def leave(self, ticket_id: str, agent: str) -> None:
        self.seen.pop((ticket_id, agent), None)

    def present(self, ticket_id: str, now: int) -> list[Presence]:
        """Unexpired presences, by agent (the adapter's sort key order)."""
        return [p for (t, _), (p, until) in sorted(self.seen.items()) if t == ticket_id and until > now]
