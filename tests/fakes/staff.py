"""In-memory agent names, presence and the staff directory (ports.AgentNames,
ports.PresenceStore, ports.StaffDirectory), held to the DynamoDB and Cognito adapters by
tests/contracts/test_staff_contract.py."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.staff_identity import ADMIN, AGENT, ROLES
from chalicelib.services.ports.records import AgentStanding, Presence


@dataclass
class FakeAgents:
    names: dict[str, str] = field(default_factory=dict)  # sub -> name, written once
    directory: dict[str, str] = field(default_factory=dict)  # name -> sub
    disabled: set[str] = field(default_factory=set)  # names `inbound staff disable` marked
    roles: dict[str, str] = field(default_factory=dict)  # name -> the role an admin recorded

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

    def is_disabled(self, name: str) -> bool:
        return name in self.disabled

    def set_role(self, name: str, role: str) -> None:
        if name in self.directory:
            self.roles[name] = role

    def standing(self, name: str) -> AgentStanding:
        return AgentStanding(self.is_agent(name), self.roles.get(name, ""))


@dataclass
class FakePresence:
    seen: dict[tuple[str, str], tuple[Presence, int]] = field(default_factory=dict)

    signals: dict[str, int] = field(default_factory=dict)  # the tickets' presence counters

    def touch(
        self, ticket_id: str, agent: str, writing: bool, seen_at: str, expires_at: int
    ) -> tuple[bool, int] | None:
        old = self.seen.get((ticket_id, agent))
        self.seen[ticket_id, agent] = (Presence(agent, writing, seen_at), expires_at)
        return (old[0].writing, old[1]) if old else None

    def leave(self, ticket_id: str, agent: str) -> bool:
        return self.seen.pop((ticket_id, agent), None) is not None

    def signal(self, ticket_id: str) -> int:
        self.signals[ticket_id] = self.signals.get(ticket_id, 0) + 1
        return self.signals[ticket_id]

    def present(self, ticket_id: str, now: int) -> list[Presence]:
        """Unexpired presences, by agent (the adapter's sort key order)."""
        return [p for (t, _), (p, until) in sorted(self.seen.items()) if t == ticket_id and until > now]


@dataclass
class FakeStaffDirectory:
    """The user pool: accounts by email (invited until their first sign-in), each in one role."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def members(self) -> list[dict[str, Any]]:
        return [
            {**a, "status": a["status"] if a["enabled"] else "disabled"}
            for _, a in sorted(self.accounts.items())
        ]

    def create(self, email: str, password: str, role: str) -> bool:
        if email in self.accounts:
            return False
        self.accounts[email] = {"email": email, "status": "invited", "enabled": True, "role": AGENT}
        self.set_role(email, role)
        return True

    def set_role(self, email: str, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}: {role!r}")
        self.accounts[email]["role"] = ADMIN if role == ADMIN else AGENT

    def set_enabled(self, email: str, enabled: bool) -> None:
        self.accounts[email]["enabled"] = enabled

    def delete(self, email: str) -> None:
        del self.accounts[email]


@dataclass
class FakeAdminGuard:
    """The staff guard's lease (adapters/dynamodb_admin_guard.py). `refused` counts the
    acquisitions it turned away: a test's interleaving hook waits on it."""

    holder: str = ""
    expires_at: int = 0
    refused: int = 0
    # The conditional put is atomic in DynamoDB; threads of a test share this fake.
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def acquire(self, holder: str, now: int, lease: int) -> bool:
        with self.lock:
            if self.holder and self.expires_at >= now:
                self.refused += 1
                return False
            self.holder, self.expires_at = holder, now + lease
            return True

    def release(self, holder: str) -> None:
        with self.lock:
            if self.holder == holder:
                self.holder, self.expires_at = "", 0
