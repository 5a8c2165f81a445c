"""What an open console polls every few seconds: the change counters of every mailbox
and of the agent (dynamodb_changes.py), one cheap read; the console re-reads its queue
only when one of them moved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.domain.frozen import frozen
from chalicelib.errors import InvalidRequest
from chalicelib.services.ports.records import AGENT_SCOPE, TICKET_SCOPE, ChangeCount

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import ChangeCounters


_TICKET_ID = re.compile(r"T-[0-9]{1,12}")


@frozen
class Changes:
    mailboxes: tuple[ChangeCount, ...]  # new tickets and any received message filed, per mailbox
    mine: ChangeCount  # customer messages on the agent's tickets
    presence: ChangeCount | None = None  # the open ticket's presence counter, when asked


class ChangeFeed:
    def __init__(self, counters: ChangeCounters, mailboxes: Sequence[str]) -> None:
        self.counters = counters
        self.mailboxes = tuple(dict.fromkeys(mailboxes))

    def read(self, agent: str, ticket_id: str | None = None) -> Changes:
        """Every mailbox's counter and `agent`'s, and the presence counter of the ticket the
        agent has open (who else opened it, writes on it or left it): in one read."""
        if ticket_id is not None and not _TICKET_ID.fullmatch(ticket_id):
            raise InvalidRequest("ticket must be a ticket id such as T-1042")
        mine = AGENT_SCOPE + agent
        here = TICKET_SCOPE + ticket_id if ticket_id else None
        found = {c.scope: c for c in self.counters.counts([*self.mailboxes, mine, *([here] if here else [])])}
        return Changes(
            mailboxes=tuple(found.get(box, ChangeCount(scope=box)) for box in self.mailboxes),
            mine=found.get(mine, ChangeCount(scope=mine)),
            presence=found.get(here, ChangeCount(scope=here)) if here else None,
        )
