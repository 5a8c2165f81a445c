"""Staff requests named by agent: a verified token, then the stable name of its `sub`."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib.domain.staff_identity import first_name
from chalicelib.errors import UnknownAgent

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import AgentNames

MAX_CACHED = 4096  # names never change, so a container keeps what it has read


class StaffIdentities:
    def __init__(self, verifier: Any, names: AgentNames) -> None:
        self.verifier = verifier
        self.names = names
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str) -> Any:
        """The caller's Identity, its `agent` the name recorded for the token's `sub`."""
        identity = self.verifier.verify(authorization)
        return replace(identity, agent=self._name(identity.subject, identity.token_use, identity.claims))

    def agents(self) -> list[str]:
        """Every agent's name: whom a ticket may be assigned to."""
        return self.names.roster()

    def _name(self, subject: str, token_use: str, claims: Any) -> str:
        with self._lock:
            known = self._known.get(subject)
        if known:
            return known
        name = self.names.name_of(subject)
        if name:
            self.names.enlist(subject, name)  # named before the staff directory: enter them
        else:
            first, why_not = first_name(token_use, claims)
            if not first:
                raise UnknownAgent(why_not)
            name = self.names.record(subject, first)
        with self._lock:
            if len(self._known) >= MAX_CACHED:
                self._known.clear()
            self._known[subject] = name
        return name
