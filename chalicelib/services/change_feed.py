"""What an open console polls every few seconds: the change counters of every mailbox
and of the agent (dynamodb_changes.py), one cheap read; the console re-reads its queue
only when one of them moved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.domain.frozen import frozen
from chalicelib.services.ports.records import AGENT_SCOPE, ChangeCount

if TYPE_CHECKING:
    from chalicelib.services.ports.tickets import ChangeCounters


@frozen
class Changes:
    mailboxes: tuple[ChangeCount, ...]  # new tickets and any received message filed, per mailbox
    mine: ChangeCount  # customer messages on the agent's tickets


class ChangeFeed:
    def __init__(self, counters: ChangeCounters, mailboxes: Sequence[str]) -> None:
        self.counters = counters
        self.mailboxes = tuple(dict.fromkeys(mailboxes))

    def read(self, agent: str) -> Changes:
        """Every mailbox's counter and `agent`'s, in one read."""
        mine = AGENT_SCOPE + agent
        found = {c.scope: c for c in self.counters.counts([*self.mailboxes, mine])}
        return Changes(
            mailboxes=tuple(found.get(box, ChangeCount(scope=box)) for box in self.mailboxes),
            mine=found.get(mine, ChangeCount(scope=mine)),
        )
