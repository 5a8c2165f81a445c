"""Who else has a ticket open, or is writing on it: a presence the console renews while
the ticket is open and that lapses on its own (a closed laptop leaves nothing behind)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import TicketNotFound

if TYPE_CHECKING:
    from chalicelib.services.ports.records import Presence
    from chalicelib.services.ports.tickets import PresenceStore

# The console renews every 15 s; two missed renewals and the agent is gone.
PRESENCE_SECONDS = 45
_TICKET_ID = re.compile(r"T-[0-9]{1,12}")


class TicketPresence:
    def __init__(self, store: PresenceStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def touch(self, ticket_id: str, agent: str, writing: bool) -> list[Presence]:
        """`agent` has the ticket open (and is writing, or not) for the next PRESENCE_SECONDS;
        the others who have it open."""
        _check(ticket_id)
        now = self.clock()
        expires = int((now + timedelta(seconds=PRESENCE_SECONDS)).timestamp())
        self.store.touch(ticket_id, agent, writing, iso_millis(now), expires)
        return self.others(ticket_id, agent)

    def others(self, ticket_id: str, agent: str) -> list[Presence]:
        _check(ticket_id)
        now = int(self.clock().timestamp())
        return sorted(
            (p for p in self.store.present(ticket_id, now) if p.agent != agent), key=lambda p: p.agent
        )

    def leave(self, ticket_id: str, agent: str) -> None:
        _check(ticket_id)
        self.store.leave(ticket_id, agent)


def _check(ticket_id: str) -> None:
    if not _TICKET_ID.fullmatch(ticket_id):
        raise TicketNotFound(ticket_id[:40])
