"""Who else has a ticket open, or is writing on it: a presence the console renews while
the ticket is open and that lapses on its own (a closed laptop leaves nothing behind)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.frozen import frozen
from chalicelib.domain.timestamps import iso_millis
from chalicelib.errors import TicketNotFound

if TYPE_CHECKING:
    from chalicelib.services.ports.records import Presence
    from chalicelib.services.ports.tickets import PresenceStore

# The console renews every 15 s; two missed renewals and the agent is gone (a colleague's
# console learns of an arrival, a draft begun or a leaving within its 3 s change poll).
PRESENCE_SECONDS = 45
_TICKET_ID = re.compile(r"T-[0-9]{1,12}")


@frozen
class PresenceSeen:
    others: tuple[Presence, ...]  # who else has the ticket open, by agent
    changes: int | None  # the ticket's presence counter after this touch moved it; None: unmoved


class TicketPresence:
    def __init__(self, store: PresenceStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def touch(self, ticket_id: str, agent: str, writing: bool) -> PresenceSeen:
        """`agent` has the ticket open (and is writing, or not) for the next PRESENCE_SECONDS;
        the others who have it open. An arrival or a change of `writing` moves the ticket's
        presence counter, which the consoles with it open read with their change counters
        every few seconds (change_feed.py); a renewal that changes nothing moves nothing.
        The counter's value after this touch moved it comes back, so the agent's own console
        knows its own move from a colleague's."""
        _check(ticket_id)
        now = self.clock()
        expires = int((now + timedelta(seconds=PRESENCE_SECONDS)).timestamp())
        was = self.store.touch(ticket_id, agent, writing, iso_millis(now), expires)
        moved = None
        if was is None or was[1] <= int(now.timestamp()) or was[0] != writing:
            moved = self.store.signal(ticket_id)
        return PresenceSeen(tuple(self.others(ticket_id, agent)), moved)

    def others(self, ticket_id: str, agent: str) -> list[Presence]:
        _check(ticket_id)
        now = int(self.clock().timestamp())
        return sorted(
            (p for p in self.store.present(ticket_id, now) if p.agent != agent), key=lambda p: p.agent
        )

    def leave(self, ticket_id: str, agent: str) -> None:
        _check(ticket_id)
        if self.store.leave(ticket_id, agent):
            self.store.signal(ticket_id)


def _check(ticket_id: str) -> None:
    if not _TICKET_ID.fullmatch(ticket_id):
        raise TicketNotFound(ticket_id[:40])
