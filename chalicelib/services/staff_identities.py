"""Staff requests named by agent: a verified token, then the stable name of its `sub`,
then whether that agent is still on the staff, and still an admin if the token says so.

A token outlives a disable or a demotion: Cognito cannot revoke an ID token, and its
`cognito:groups` are the groups at issue. So each container asks the staff directory (the
agent's `disabled` mark and recorded role, which `inbound staff` and the console set) at
most once per ENABLED_FOR seconds per agent: a disabled or removed agent's requests are
refused (401 `agent_disabled`), and a demoted admin's admin rights end, within that bound,
while a busy agent costs one GetItem per container every 30 s. What an admin changes
(`confirm_admin`) reads the directory afresh: no admin action rides on a cached answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib.domain.staff_identity import acts_as_admin, first_name, is_admin
from chalicelib.errors import AgentDisabled, Forbidden, UnknownAgent

if TYPE_CHECKING:
    from chalicelib.services.ports.records import AgentStanding
    from chalicelib.services.ports.tickets import AgentNames

MAX_CACHED = 4096  # names never change, so a container keeps what it has read
# How long a container trusts what it read of an agent's `disabled` mark and role (SECURITY.md).
ENABLED_FOR = 30.0


class StaffIdentities:
    def __init__(
        self,
        verifier: Any,
        names: AgentNames,
        clock: Callable[[], float] = time.monotonic,
        enabled_for: float = ENABLED_FOR,
    ) -> None:
        self.verifier = verifier
        self.names = names
        self._clock = clock
        self._enabled_for = enabled_for
        self._known: dict[str, str] = {}
        self._checked: dict[str, tuple[AgentStanding, float]] = {}  # name -> (standing, read at)
        self._lock = threading.Lock()

    def verify(self, authorization: str) -> Any:
        """The caller's Identity, its `agent` the name recorded for the token's `sub`, `admin`
        whether they act as one; AgentDisabled when an admin has disabled or removed them."""
        identity = self.verifier.verify(authorization)
        agent = self._name(identity.subject, identity.token_use, identity.claims)
        standing = self._standing(agent, fresh=False)
        if not standing.enabled:
            raise _disabled(agent)
        admin = acts_as_admin(is_admin(identity.claims), standing.role)
        return replace(identity, agent=agent, admin=admin)

    def confirm_admin(self, agent: str) -> None:
        """Before an admin's change: the directory read now, not the cached answer.
        AgentDisabled (disabled or removed since), Forbidden (made agent since)."""
        standing = self._standing(agent, fresh=True)
        if not standing.enabled:
            raise _disabled(agent)
        if not acts_as_admin(True, standing.role):
            raise Forbidden(f"{agent} is no longer an admin: an admin made them agent")

    def _standing(self, agent: str, fresh: bool) -> AgentStanding:
        now = self._clock()
        with self._lock:
            cached = self._checked.get(agent)
        if not fresh and cached is not None and now - cached[1] < self._enabled_for:
            return cached[0]
        standing = self.names.standing(agent)
        with self._lock:
            if len(self._checked) >= MAX_CACHED:
                self._checked.clear()
            self._checked[agent] = (standing, now)
        return standing

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


def _disabled(agent: str) -> AgentDisabled:
    return AgentDisabled(f"{agent} is no longer enabled on the staff: sign in again or ask an admin")
