"""How many tickets each of the console's views holds (its tabs: a mailbox's tickets by
status, and the agent's own), in one request. The console used to ask for each view's
first 100 tickets, six requests whose tickets it threw away after counting them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.frozen import frozen
from chalicelib.domain.tickets import STATUSES, TicketStatus
from chalicelib.services.ports.records import QueueQuery

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import TicketQueue

COUNT_CAP = 100  # counted up to here; beyond, the view says "100+"
MINE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)  # the Mine view, every mailbox


@frozen
class ViewCount:
    count: int
    more: bool  # more than `count` (the cap)


def view_counts(queue: TicketQueue, mailbox: str, agent: str, cap: int = COUNT_CAP) -> dict[str, ViewCount]:
    """Each status of `mailbox`, and "mine": `agent`'s new, open and pending tickets."""
    asked = {str(status): QueueQuery(mailbox, (status,)) for status in STATUSES}
    asked["mine"] = QueueQuery(None, MINE, agent)
    counts = {}
    for name, query in asked.items():
        tickets, cursor = queue.page(query, cap)
        counts[name] = ViewCount(len(tickets), cursor is not None)
    return counts
